import { TimeoutError } from "../errors.js";
import { abortReason } from "../retry.js";

/** What an attempt needs from its scope; see {@link AttemptScope}. */
export interface Scope {
  readonly signal: AbortSignal | undefined;
  translate(error: unknown): unknown;
  next<T>(
    iterator: AsyncIterator<T>,
    ms: number | undefined,
    what: string,
  ): Promise<IteratorResult<T>>;
  dispose(): void;
}

/** The scope of an attempt with no signal and no timeouts: nothing to create or clean up. */
const PASSTHROUGH: Scope = {
  signal: undefined,
  translate: (error) => error,
  next: (iterator) => iterator.next(),
  dispose: () => {},
};

/**
 * A scope for one attempt: {@link PASSTHROUGH} when there is nothing to watch (the common,
 * fastest case), else an {@link AttemptScope}.
 */
export function attemptScope(
  userSignal: AbortSignal | undefined,
  timeoutMs: number | undefined,
  chunkTimeouts: boolean,
  provider: string,
): Scope {
  if (!userSignal && timeoutMs === undefined && !chunkTimeouts) return PASSTHROUGH;
  return new AttemptScope(userSignal, timeoutMs, provider);
}

/**
 * One upstream attempt's abort controller: follows the caller's signal, enforces the
 * whole-attempt timeout and the chunk timeouts, and translates the resulting abort into the
 * right error (the caller's `AbortError`, or a {@link TimeoutError}). Always `dispose()` it.
 */
export class AttemptScope implements Scope {
  readonly #controller = new AbortController();
  readonly #userSignal: AbortSignal | undefined;
  readonly #onUserAbort: () => void;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #timeout: TimeoutError | undefined;

  constructor(
    userSignal: AbortSignal | undefined,
    timeoutMs: number | undefined,
    private readonly provider: string,
  ) {
    this.#userSignal = userSignal;
    this.#onUserAbort = () => this.#controller.abort(abortReason(userSignal!));
    if (userSignal?.aborted) this.#onUserAbort();
    else userSignal?.addEventListener("abort", this.#onUserAbort, { once: true });
    if (timeoutMs !== undefined) {
      this.#timer = setTimeout(
        () =>
          this.fail(
            new TimeoutError(`${provider} did not answer within timeoutMs (${timeoutMs} ms).`, {
              provider,
              reason: "timeout",
            }),
          ),
        timeoutMs,
      );
    }
  }

  /** The signal handed to the provider. */
  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  /** Aborts the attempt because of a timeout. */
  fail(error: TimeoutError): void {
    if (this.#controller.signal.aborted) return;
    this.#timeout = error;
    this.#controller.abort(error);
  }

  /** What the caller should see for an error raised during this attempt. */
  translate(error: unknown): unknown {
    if (this.#userSignal?.aborted) return abortReason(this.#userSignal);
    if (this.#timeout) return this.#timeout;
    return error;
  }

  /**
   * `iterator.next()` bounded by `ms` (no bound when undefined). On expiry the attempt is
   * aborted, so the provider's socket closes, and a {@link TimeoutError} is thrown.
   */
  next<T>(
    iterator: AsyncIterator<T>,
    ms: number | undefined,
    what: string,
  ): Promise<IteratorResult<T>> {
    if (ms === undefined) return iterator.next();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        const err = new TimeoutError(`${this.provider} sent no ${what} within ${ms} ms.`, {
          provider: this.provider,
          reason: what === "first chunk" ? "first_chunk_timeout" : "idle_timeout",
        });
        this.fail(err);
        reject(err);
      }, ms);
      iterator.next().then(
        (r) => {
          clearTimeout(timer);
          resolve(r);
        },
        (e) => {
          clearTimeout(timer);
          reject(e);
        },
      );
    });
  }

  /** Clears the timer and detaches from the caller's signal. */
  dispose(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#userSignal?.removeEventListener("abort", this.#onUserAbort);
  }
}
