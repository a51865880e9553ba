import type { StreamPart } from "../stream-part.js";
import type { FinishReason, ProviderMetadata, ToolCall, Usage } from "../types.js";

/** A cached non-streaming answer. */
export interface CachedResponse {
  /** The answer text. */
  readonly content: string;
  /** Reasoning text, when there was some. */
  readonly reasoning?: string;
  /** The model that answered. */
  readonly model: string;
  /** The provider that answered. */
  readonly provider: string;
  /** Token counts of the original request. */
  readonly usage?: Usage;
  /** Why the model stopped. */
  readonly finishReason?: FinishReason;
  /** The model's refusal, when it declined. */
  readonly refusal?: string;
  /** Tool calls, with their arguments as the raw text the model wrote. */
  readonly toolCalls?: readonly Omit<ToolCall, "arguments">[];
  /** Provider data of the turn. */
  readonly providerMetadata?: ProviderMetadata;
}

/**
 * What the client stores: a whole answer, or the parts of a stream that completed normally.
 * Plain JSON, so any store can serialize it.
 */
export type CacheEntry =
  | { readonly v: 1; readonly kind: "response"; readonly response: CachedResponse }
  | {
      readonly v: 1;
      readonly kind: "parts";
      /** The provider that answered. */
      readonly provider: string;
      /** The model that answered, when known. */
      readonly model?: string;
      /** The stream's parts, in order, ending with its finish part. */
      readonly parts: readonly StreamPart[];
    };

/**
 * Where cached answers live. The shape Keyv instances already have, so `new Keyv(...)` works as
 * a store. Every method may reject: the client reports store failures through `onEvent`
 * (`cache_error`) and goes upstream, never failing the request.
 *
 * @example
 * ```ts
 * const client = new LLMClient({ provider: "openai", cache: memoryStore({ max: 500 }) });
 * ```
 */
export interface CacheStore {
  /** The entry for `key`, or `undefined`/`null` on a miss. */
  get(key: string): Promise<unknown>;
  /** Stores `value` under `key`, expiring after `ttlMs` when given. */
  set(key: string, value: CacheEntry, ttlMs?: number): Promise<unknown>;
  /** Removes `key`. */
  delete(key: string): Promise<unknown>;
}

/** `true` when a value read from a store is a well-formed {@link CacheEntry}. */
export function isCacheEntry(value: unknown): value is CacheEntry {
  if (!value || typeof value !== "object") return false;
  const v = value as { v?: unknown; kind?: unknown; response?: unknown; parts?: unknown };
  if (v.v !== 1) return false;
  if (v.kind === "response") {
    const r = v.response as { content?: unknown; model?: unknown } | undefined;
    return !!r && typeof r.content === "string" && typeof r.model === "string";
  }
  if (v.kind === "parts") return Array.isArray(v.parts);
  return false;
}
