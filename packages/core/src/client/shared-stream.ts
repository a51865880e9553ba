import { abortReason } from "../retry.js";

/**
 * A stream shared by identical requests in flight: the upstream chunks are buffered, and each
 * subscriber replays the buffer and then follows. An upstream error reaches every subscriber.
 */
export class SharedStream<T> {
  readonly controller = new AbortController();
  readonly #chunks: T[] = [];
  #done = false;
  #error: { e: unknown } | undefined;
  #wake: (() => void)[] = [];
  #subscribers = 0;
  readonly #onSettle: () => void;

  /** `true` once every subscriber left before the end: a new identical call must not join it. */
  get abandoned(): boolean {
    return this.controller.signal.aborted;
  }

  constructor(source: (signal: AbortSignal) => AsyncIterable<T>, onSettle: () => void) {
    this.#onSettle = onSettle;
    (async () => {
      try {
        for await (const chunk of source(this.controller.signal)) {
          this.#chunks.push(chunk);
          this.#notify();
        }
      } catch (e) {
        this.#error = { e };
      } finally {
        this.#done = true;
        onSettle();
        this.#notify();
      }
    })();
  }

  #notify(): void {
    const w = this.#wake;
    this.#wake = [];
    for (const f of w) f();
  }

  /**
   * Iterates the shared stream from its first chunk. `beforeEach` runs before each chunk is
   * handed on and once at the end (so a subscriber can copy what the shared run learned without
   * a generator layer of its own).
   */
  async *subscribe(signal: AbortSignal | undefined, beforeEach?: () => void): AsyncGenerator<T> {
    this.#subscribers++;
    let i = 0;
    let finished = false;
    try {
      while (true) {
        if (signal?.aborted) throw abortReason(signal);
        if (i < this.#chunks.length) {
          const chunk = this.#chunks[i++]!;
          beforeEach?.();
          yield chunk;
          continue;
        }
        if (this.#done) {
          beforeEach?.();
          if (this.#error) throw this.#error.e;
          finished = true;
          return;
        }
        await new Promise<void>((resolve, reject) => {
          const onAbort = () => reject(abortReason(signal!));
          signal?.addEventListener("abort", onAbort, { once: true });
          this.#wake.push(() => {
            signal?.removeEventListener("abort", onAbort);
            resolve();
          });
        });
      }
    } finally {
      this.#subscribers--;
      if (!finished && this.#subscribers <= 0 && !this.#done) {
        this.#onSettle();
        this.controller.abort(new DOMException("All subscribers left", "AbortError"));
      }
    }
  }
}
