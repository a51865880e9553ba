import type { Cost, FinishReason, Usage } from "../types.js";

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
      /** An upstream attempt starts. */
      readonly type: "request";
      /** 1 for the first try of each target, then 2, 3, ... */
      readonly attempt: number;
      /** Whether the call streams. */
      readonly stream: boolean;
    })
  | (Target & {
      /** An attempt failed; the client waits `delayMs`, then starts attempt number `attempt`. */
      readonly type: "retry";
      /** The number of the attempt about to start (2 for the first retry). */
      readonly attempt: number;
      /** The wait chosen: the provider's Retry-After when it sent one, else backoff. */
      readonly delayMs: number;
      /** The error of the failed attempt (secrets scrubbed). */
      readonly error: unknown;
      /** Whether the call streams. */
      readonly stream: boolean;
    })
  | {
      /** `from` failed after its retries; `to` is tried next. */
      readonly type: "fallback";
      /** The provider that failed. */
      readonly from: Target;
      /** The provider tried next. */
      readonly to: Target;
      /** Why `from` failed. */
      readonly error: unknown;
      /** Whether the call streams. */
      readonly stream: boolean;
    }
  | {
      /** The cache answered (`cache_hit`) or did not (`cache_miss`). */
      readonly type: "cache_hit" | "cache_miss";
      /** The cache key (a SHA-256 hash; it reveals nothing of the request). */
      readonly key: string;
      /** Whether the call streams. */
      readonly stream: boolean;
    }
  | {
      /** The cache store failed; the request went on without it. */
      readonly type: "cache_error";
      /** What failed: reading or writing. */
      readonly operation: "get" | "set";
      /** The cache key. */
      readonly key: string;
      /** The store's error. */
      readonly error: unknown;
    }
  | (Target & {
      /** A call finished successfully (also for cache hits, with `cached: true`). */
      readonly type: "finish";
      /** Whether the call streamed. */
      readonly stream: boolean;
      /** Whether the answer came from the cache. */
      readonly cached: boolean;
      /** Time from the call to its end, in ms. */
      readonly durationMs: number;
      /** Token counts, when known. */
      readonly usage?: Usage;
      /** What the call cost (0 for a cache hit or a call that joined one in flight). */
      readonly cost?: Cost;
      /** Why the model stopped. */
      readonly finishReason?: FinishReason;
    })
  | {
      /** The model called a tool (reported once its arguments are parsed and validated). */
      readonly type: "tool_call";
      /** The step of the call (1 for the first model call). */
      readonly stepNumber: number;
      /** The call's id. */
      readonly toolCallId: string;
      /** The tool's name (the arguments are not reported: they may hold personal data). */
      readonly toolName: string;
    }
  | {
      /** A tool ran (or was vetoed) in a tool loop. */
      readonly type: "tool_result";
      /** The step of the call. */
      readonly stepNumber: number;
      /** The call's id. */
      readonly toolCallId: string;
      /** The tool's name. */
      readonly toolName: string;
      /** `true` when the tool threw or was vetoed. */
      readonly isError: boolean;
      /** How long `execute` took, in ms. */
      readonly durationMs: number;
    }
  | (Target & {
      /** One model call of a tool loop ended (its tools not yet run). */
      readonly type: "step";
      /** 1 for the first step. */
      readonly stepNumber: number;
      /** Why the step's model call stopped. */
      readonly finishReason?: FinishReason;
      /** Token counts of the step. */
      readonly usage?: Usage;
      /** What the step cost. */
      readonly cost?: Cost;
      /** How many tools the model called. */
      readonly toolCalls: number;
      /** Whether the step's answer came from the cache. */
      readonly cached: boolean;
    })
  | (Target & {
      /**
       * A local rate limit or a shared cool-down held this attempt back for `waitMs` before it
       * was sent (`limit` names which: a rate limit's name, or `"cooldown"`).
       */
      readonly type: "limit_wait";
      /** The limit that made it wait. */
      readonly limit: string;
      /** How long it waited, in ms. */
      readonly waitMs: number;
    })
  | (Target & {
      /**
       * The provider answered 429 (or a quota error) and the account was put into a cool-down
       * until `until` (ms since the epoch), shared with every process on the same limit store.
       */
      readonly type: "cooldown";
      /** What cools down: the whole account, or this model of it. */
      readonly scope: "account" | "model";
      /** When the cool-down ends, ms since the epoch. */
      readonly until: number;
      /** The provider's error. */
      readonly error: unknown;
    })
  | {
      /**
       * The shared limit store (Redis) failed or was too slow; `fallback` says what happened:
       * `"local"` (the request went on under local limits), `"refused"` (fail-closed: it was
       * refused with reason `limits_unavailable`), or `"none"` (a settlement after the answer
       * was lost: the shared counts keep the reservation).
       */
      readonly type: "limit_error";
      /** What failed. */
      readonly operation: "acquire" | "settle" | "cooldown";
      /** The store's error. */
      readonly error: unknown;
      /** What the call did instead. */
      readonly fallback: "local" | "refused" | "none";
    }
  | (Target & {
      /** A call failed for good (after retries and fallbacks). */
      readonly type: "error";
      /** Whether the call streamed. */
      readonly stream: boolean;
      /** Time from the call to the failure, in ms. */
      readonly durationMs: number;
      /** The error the caller received. */
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
    process.emitWarning(
      `rephysco: onEvent listener threw on "${event.type}": ${String(error)}`,
      "RephyscoWarning",
    );
  }
}
