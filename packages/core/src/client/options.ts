import type { CacheStore } from "../cache/cache-store.js";
import type { PriceOverrides } from "../cost.js";
import type { Provider } from "../provider.js";
import type {
  ProviderId,
  ProviderOptions,
  ProviderRegistry,
  ProviderSettings,
} from "../registry.js";
import type { RetryOptions } from "../retry.js";
import type { SchemaInput } from "../tools/schema.js";
import type { ToolCallDecision, ToolSet, TypedToolCall } from "../tools/tool.js";
import type { ImageInput, StepResult } from "../types.js";
import type { EventListener } from "./events.js";
import type { Middleware } from "./middleware.js";

/** A provider to try when the ones before it fail. */
export interface FallbackTarget<Id extends ProviderId = ProviderId> {
  /** Registry id, or a provider instance. */
  readonly provider: Id | Provider;
  /** Model to use with it (its default model when omitted). */
  readonly model?: string;
  /** API key (else its environment variable, read when the fallback is first needed). */
  readonly apiKey?: string;
  /** Base URL. */
  readonly baseURL?: string;
  /** Further provider settings. */
  readonly settings?: ProviderSettings<Id & string>;
}

/**
 * A fallback for any registered provider, typed by its id: `settings` are checked against that
 * provider's settings. Ids registered only at run time take the common {@link ProviderOptions};
 * a provider instance takes no settings.
 */
export type AnyFallbackTarget =
  | { [Id in keyof ProviderRegistry & string]: FallbackTarget<Id> }[keyof ProviderRegistry & string]
  | (FallbackTarget<string & {}> & { readonly settings?: ProviderOptions })
  | { readonly provider: Provider; readonly model?: string };

/** Settings of an {@link LLMClient}. Only `provider` is required. */
export interface LLMClientOptions<Id extends ProviderId = ProviderId> {
  /**
   * Registry id of the provider (import its package first, e.g. `import "@rephysco/openai"`), or
   * a {@link Provider} instance (then `apiKey`, `baseURL` and `settings` are not used).
   */
  readonly provider: Id | Provider;
  /** Default model (else the provider's default). */
  readonly model?: string;
  /** API key (else the provider's environment variable, read now). */
  readonly apiKey?: string;
  /** Base URL of the provider's API. */
  readonly baseURL?: string;
  /** Further provider-specific settings (headers, region, organization, ...). */
  readonly settings?: ProviderSettings<Id & string>;
  /**
   * Response cache: `true` for the default disk cache (`REPHYSCO_CACHE_DIR`, else the user cache
   * directory), a {@link CacheStore} (memoryStore, fileStore, redisStore, a Keyv instance), or
   * `false`/omitted for none.
   */
  readonly cache?: boolean | CacheStore;
  /** Time to live of cache entries, in ms (default: the store's own default, usually no expiry). */
  readonly cacheTtlMs?: number;
  /** Retry policy; `false` disables retries. Defaults: 3 retries, 1 s, x2, 60 s cap, ±20 % jitter. */
  readonly retry?: false | RetryOptions;
  /** Longest time one attempt may take, streams included, in ms (at most 2^31-1). */
  readonly timeoutMs?: number;
  /** Longest wait for a stream's first token, in ms. */
  readonly firstChunkTimeoutMs?: number;
  /** Longest gap between two streamed chunks, in ms. */
  readonly idleTimeoutMs?: number;
  /**
   * Providers to try, in order, when the current one fails (after its retries) with an error
   * `shouldFallback` accepts. Each is created when first needed.
   */
  readonly fallbacks?: readonly AnyFallbackTarget[];
  /**
   * Decides whether an error falls back to the next provider. Default: rate limits, quota,
   * timeouts, 5xx, connection failures, malformed and oversized answers do; authentication,
   * invalid request, content filter and configuration errors do not.
   */
  readonly shouldFallback?: (error: unknown) => boolean;
  /** Receives request, retry, fallback, cache and finish events. */
  readonly onEvent?: EventListener;
  /** Default system prompt for `chat()` and `chatStream()`. */
  readonly systemPrompt?: string;
  /**
   * Most bytes a non-streamed answer body may have; a larger one fails with a `ProviderError`
   * of code `response_too_large` (not retried; it may fall back). Default 64 MiB. Streams are
   * bounded by the timeouts, and each streamed event by 1 MiB.
   */
  readonly maxResponseBytes?: number;
  /**
   * Middleware around every call (`level: "call"`, before the cache) or every attempt
   * (`level: "attempt"`, inside fallback and retry). The first in the list is the outermost.
   */
  readonly middleware?: readonly Middleware[];
  /**
   * Prices that extend or override the providers' own tables, by provider id, in USD per
   * million tokens; `null` for a model removes its price. See {@link PriceOverrides}.
   */
  readonly prices?: PriceOverrides;
  /**
   * Labels on every call of this client (a team, a feature, a tenant); budgets and limits can
   * count per tag. Never sent to the provider, not part of the cache key.
   */
  readonly tags?: readonly string[];
}

/**
 * Options of one `generate`/`stream`/`chat` call. They override the client's settings.
 *
 * @typeParam T - the call's tools (inferred from `tools`), which type the calls returned.
 */
export interface GenerateOptions<T extends ToolSet = ToolSet> {
  /** System prompt placed before the messages. */
  readonly systemPrompt?: string;
  /** Model for this call. */
  readonly model?: string;
  /** Sampling temperature. */
  readonly temperature?: number;
  /** Upper bound on answer tokens. */
  readonly maxTokens?: number;
  /** Nucleus sampling. */
  readonly topP?: number;
  /** Stop sequences. */
  readonly stop?: readonly string[];
  /** Images for a string prompt (or appended to the last user message). */
  readonly images?: readonly ImageInput[];
  /** Aborts the call: the request, the retry wait and the stream. The error is the signal's `AbortError`. */
  readonly signal?: AbortSignal;
  /** `false`: neither read nor write the cache; `"refresh"`: skip the read, write the new answer. */
  readonly cache?: boolean | "refresh";
  /** Time to live of this answer in the cache, in ms. */
  readonly cacheTtlMs?: number;
  /** Provider-specific parameters (JSON data), passed through. */
  readonly providerOptions?: Readonly<Record<string, unknown>>;
  /** Overrides the client's `timeoutMs`. */
  readonly timeoutMs?: number;
  /** Overrides the client's `firstChunkTimeoutMs`. */
  readonly firstChunkTimeoutMs?: number;
  /** Overrides the client's `idleTimeoutMs`. */
  readonly idleTimeoutMs?: number;
  /** Overrides the client's `maxResponseBytes`. */
  readonly maxResponseBytes?: number;
  /** Labels of this call, added to the client's `tags` (see {@link LLMClientOptions.tags}). */
  readonly tags?: readonly string[];
  /**
   * Tools the model may call, keyed by name (define each with `tool()` to have its arguments
   * typed). Names and schemas are checked against every provider the call can reach before any
   * request. The calls come back on `toolCalls`, parsed and validated; with `maxSteps`, tools
   * that have `execute` run in a loop.
   */
  readonly tools?: T;
  /** Whether and which tools to call: `auto` (default), `none`, `required`, or `{ name }`. */
  readonly toolChoice?: "auto" | "none" | "required" | { readonly name: keyof T & string };
  /**
   * Runs the tool loop: call the model, run the tools it asked for (`execute`), send the
   * results, repeat, at most this many model calls. The answer has `steps`, and `usage` is the
   * total. Without it (and without `stopWhen`) tools never run: the calls are returned.
   */
  readonly maxSteps?: number;
  /** Ends the tool loop after a step when it returns `true` (also starts the loop; default at most 10 steps). */
  readonly stopWhen?: (step: StepResult, steps: readonly StepResult[]) => boolean;
  /** Most tools running at once in a tool loop (default 4). */
  readonly maxParallelTools?: number;
  /**
   * What a tool that throws does in a tool loop: `"send"` (default) sends the error message to
   * the model as an error result; `"throw"` fails the call with a `ToolExecutionError`.
   */
  readonly toolErrors?: "send" | "throw";
  /**
   * Called before each tool runs in a tool loop: return nothing to run it, `{ veto: reason }` to
   * skip it (the model is told `reason`), or `{ arguments }` to run it with other arguments
   * (checked against the tool's schema).
   */
  readonly onToolCall?: (
    call: TypedToolCall<T>,
    context: { readonly stepNumber: number; readonly signal: AbortSignal | undefined },
  ) => ToolCallDecision | Promise<ToolCallDecision>;
}

/**
 * Options of `generateObject` / `streamObject`: those of a call without tools, and the schema of
 * the answer.
 */
export interface GenerateObjectOptions<S extends SchemaInput = SchemaInput>
  extends Omit<
    GenerateOptions,
    | "tools"
    | "toolChoice"
    | "maxSteps"
    | "stopWhen"
    | "maxParallelTools"
    | "toolErrors"
    | "onToolCall"
  > {
  /** The answer's schema: JSON Schema, a Standard JSON Schema (zod >= 4.2, ArkType) or `jsonSchema(...)`. The root must be an object. */
  readonly schema: S;
  /** A name for the schema, sent where the provider takes one (default `"response"`). */
  readonly schemaName?: string;
  /** What the answer is, for the model. */
  readonly schemaDescription?: string;
  /**
   * `generateObject` only: when the answer is not valid JSON or fails the schema, `false`
   * (default) throws an `InvalidOutputError`; `true` asks the model once more, showing it its
   * answer and the problem.
   */
  readonly repair?: boolean;
}
