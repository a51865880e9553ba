import { ConfigurationError, RephyscoError } from "./errors.js";
import { MAX_TIMEOUT_MS } from "./http/limits.js";

/** How the client retries a failed call. Every field is optional; defaults are listed. */
export interface RetryOptions {
  /** Retries after the first attempt. Default `3`. `0` disables retries. */
  readonly maxRetries?: number;
  /** Wait before the first retry, in ms. Default `1000`. */
  readonly baseDelayMs?: number;
  /** Longest single wait, in ms; a `Retry-After` above it ends the retries. Default `60000`. */
  readonly maxDelayMs?: number;
  /** Growth of the wait per attempt. Default `2`. */
  readonly backoffFactor?: number;
  /** Random spread of each computed wait, as a fraction (`0.2` = ±20 %). Default `0.2`. */
  readonly jitter?: number;
  /** Cap on the sum of all waits of one call, in ms. Default: unlimited (bounded by the other settings). */
  readonly maxTotalDelayMs?: number;
}

/** {@link RetryOptions} with every default filled in. */
export type ResolvedRetryOptions = Required<Omit<RetryOptions, "maxTotalDelayMs">> & {
  readonly maxTotalDelayMs: number;
};

/** The defaults: 3 retries, 1 s base, factor 2, 60 s cap, ±20 % jitter. */
export const DEFAULT_RETRY: ResolvedRetryOptions = Object.freeze({
  maxRetries: 3,
  baseDelayMs: 1000,
  maxDelayMs: 60_000,
  backoffFactor: 2,
  jitter: 0.2,
  maxTotalDelayMs: Number.POSITIVE_INFINITY,
});

/** Fills in defaults; `false` means no retries. */
export function resolveRetryOptions(opts: RetryOptions | false | undefined): ResolvedRetryOptions {
  if (opts === false) return { ...DEFAULT_RETRY, maxRetries: 0 };
  // Fields given as undefined keep their default, as if they were left out.
  const given = Object.fromEntries(Object.entries(opts ?? {}).filter(([, v]) => v !== undefined));
  const r = { ...DEFAULT_RETRY, ...given } as ResolvedRetryOptions;
  for (const [k, v] of Object.entries(r)) {
    if (typeof v !== "number" || Number.isNaN(v) || v < 0) {
      throw new ConfigurationError(`retry.${k} must be a non-negative number, got ${String(v)}.`, {
        provider: "client",
        reason: "invalid_option",
      });
    }
    if ((k === "baseDelayMs" || k === "maxDelayMs") && v > MAX_TIMEOUT_MS) {
      throw new ConfigurationError(
        `retry.${k} must be at most ${MAX_TIMEOUT_MS} ms (about 24.8 days), the longest timer Node can arm; got ${v}.`,
        { provider: "client", reason: "invalid_option" },
      );
    }
  }
  return r;
}

/**
 * The wait before retry number `attempt` (1-based): the error's own `retryAfterMs` when the
 * provider sent one, else exponential backoff with jitter. Returns `undefined` when the provider
 * asks for longer than `maxDelayMs` (the call then fails with that error instead of waiting).
 */
export function computeRetryDelay(
  attempt: number,
  error: unknown,
  opts: ResolvedRetryOptions,
  random: () => number = Math.random,
): number | undefined {
  const retryAfter = error instanceof RephyscoError ? error.retryAfterMs : undefined;
  if (retryAfter !== undefined && Number.isFinite(retryAfter) && retryAfter >= 0) {
    return retryAfter <= opts.maxDelayMs ? retryAfter : undefined;
  }
  const base = opts.baseDelayMs * opts.backoffFactor ** (attempt - 1);
  const spread = 1 + opts.jitter * (2 * random() - 1);
  return Math.min(opts.maxDelayMs, Math.max(0, base * spread));
}

/**
 * What an abort rejects with, as `fetch` does: the signal's reason when set, else a DOMException
 * `AbortError` (also when there is no signal, e.g. an SDK reporting its own abort).
 */
export function abortReason(signal?: AbortSignal): unknown {
  return signal?.reason ?? new DOMException("This operation was aborted", "AbortError");
}

/** `true` for an abort error (DOMException or any error named `AbortError`). */
export function isAbortError(error: unknown): boolean {
  return (
    typeof error === "object" &&
    error !== null &&
    ((error as { name?: unknown }).name === "AbortError" ||
      (error as { name?: unknown }).name === "APIUserAbortError")
  );
}

/** Waits `ms`, rejecting with the signal's abort reason as soon as it aborts. Leaves no timer behind. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortReason(signal));
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortReason(signal!));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
