import { TimeoutError } from "@rephysco/core";

/** The signal a command call runs under, bounded by `--timeout` as a whole. */
export interface CallDeadline {
  /** The call's own signal combined with the `--timeout` deadline (undefined when neither exists). */
  readonly signal: AbortSignal | undefined;
  /**
   * What to report for an error the call raised: a {@link TimeoutError} when the deadline fired
   * (the client only sees an abort, which would otherwise read as a user cancel), else the error.
   */
  translate(error: unknown): unknown;
}

/**
 * Bounds a whole call, retries and their waits included, by `timeoutMs`. The client's own
 * `timeoutMs` is per attempt, so with retries it alone would let a call run several times longer.
 *
 * @param timeoutMs - the `--timeout` value; no deadline when undefined.
 * @param provider - named in the timeout message.
 * @param signal - the call's own signal (Ctrl+C in chat), which keeps meaning "cancelled".
 */
export function callDeadline(
  timeoutMs: number | undefined,
  provider: string,
  signal?: AbortSignal,
): CallDeadline {
  if (timeoutMs === undefined) return { signal, translate: (error) => error };
  const deadline = AbortSignal.timeout(timeoutMs);
  return {
    signal: AbortSignal.any(signal ? [signal, deadline] : [deadline]),
    translate(error) {
      if (signal?.aborted || !deadline.aborted) return error;
      return new TimeoutError(`${provider} did not finish within --timeout (${timeoutMs} ms).`, {
        provider,
        reason: "timeout",
        cause: error,
      });
    },
  };
}
