import type { FinishReason, Usage } from "../types.js";

/** A provider and model pair, as reported in events. */
export interface Target {
  /** Registry id. */
  readonly provider: string;
  /** Model id. */
  readonly model: string;
}

/**
 * What the client reports through `onEvent`, for logging, tracing or counting. Events never carry
 * the API key (errors are already scrubbed).
 */
export type RephyscoEvent =
  | (Target & {
      /** An upstream attempt starts. `attempt` is 1 for the first try of each target. */
      readonly type: "request";
      readonly attempt: number;
      readonly stream: boolean;
    })
  | (Target & {
      /** An attempt failed and the client waits `delayMs` before attempt number `attempt`. */
      readonly type: "retry";
      readonly attempt: number;
      readonly delayMs: number;
      readonly error: unknown;
      readonly stream: boolean;
    })
  | {
      /** `from` failed after its retries; `to` is tried next. */
      readonly type: "fallback";
      readonly from: Target;
      readonly to: Target;
      readonly error: unknown;
      readonly stream: boolean;
    }
  | {
      /** The cache answered (`cache_hit`) or did not (`cache_miss`). `key` is the cache key (a hash). */
      readonly type: "cache_hit" | "cache_miss";
      readonly key: string;
      readonly stream: boolean;
    }
  | {
      /** The cache store failed; the request went on without it. */
      readonly type: "cache_error";
      readonly operation: "get" | "set";
      readonly key: string;
      readonly error: unknown;
    }
  | (Target & {
      /** A call finished successfully (also for cache hits, with `cached: true`). */
      readonly type: "finish";
      readonly stream: boolean;
      readonly cached: boolean;
      readonly durationMs: number;
      readonly usage?: Usage;
      readonly finishReason?: FinishReason;
    })
  | (Target & {
      /** A call failed for good (after retries and fallbacks). */
      readonly type: "error";
      readonly stream: boolean;
      readonly durationMs: number;
      readonly error: unknown;
    });

/** A listener for {@link RephyscoEvent}s. Exceptions it throws are reported as process warnings, never to the caller. */
export type EventListener = (event: RephyscoEvent) => void;

/** Calls a listener without letting it break the request. */
export function emit(listener: EventListener | undefined, event: RephyscoEvent): void {
  if (!listener) return;
  try {
    listener(event);
  } catch (error) {
    process.emitWarning(`rephysco: onEvent listener threw on "${event.type}": ${String(error)}`, "RephyscoWarning");
  }
}
