import type { ServerResponse } from "node:http";

// Process-wide count of delay timers still pending, so tests can prove none is left behind.
let pendingTimers = 0;

/** Delay timers of all mock responses that have neither fired nor been cleared (internal, for tests). */
export function pendingDelayTimers(): number {
  return pendingTimers;
}

/**
 * Tracks whether a response is still alive and owns its timers, so that a client that goes
 * away (or a server that closes) never leaves a pending timer behind.
 */
export class ResponseLife {
  #closed = false;
  readonly #pending = new Map<ReturnType<typeof setTimeout>, (alive: boolean) => void>();

  constructor(response: ServerResponse) {
    response.once("close", () => {
      this.#closed = true;
      for (const [timer, resolve] of this.#pending) {
        clearTimeout(timer);
        pendingTimers--;
        resolve(false);
      }
      this.#pending.clear();
    });
  }

  /** True when the server itself destroyed the socket (a scripted reset). */
  destroyedByServer = false;

  /** Destroys the socket on purpose (scripted reset). */
  destroy(response: ServerResponse): void {
    this.destroyedByServer = true;
    response.socket?.destroy();
  }

  /** True once the response finished or its connection closed. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Waits `ms` milliseconds; resolves `false` at once if the response closes meanwhile. */
  wait(ms: number | undefined): Promise<boolean> {
    if (this.#closed) return Promise.resolve(false);
    if (!ms || ms <= 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      pendingTimers++;
      const timer = setTimeout(() => {
        pendingTimers--;
        this.#pending.delete(timer);
        resolve(!this.#closed);
      }, ms);
      this.#pending.set(timer, resolve);
    });
  }
}
