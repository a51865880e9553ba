import type {
  Cost,
  PriceSheet,
  ProviderCallOptions,
  ProviderCapabilities,
  ProviderOptions,
} from "@rephysco/core";
import type { ErrorClassName } from "@rephysco/core/http";
import type { OpenAIChatRequestBody, OpenAIUsage } from "./openai-chat-types.js";

/**
 * What a user passes when creating an OpenAI-compatible provider (through `createProvider`,
 * `LLMClient`'s `settings`, or the provider's constructor).
 */
export interface OpenAICompatibleSettings extends ProviderOptions {
  /** API key. When omitted, the provider's environment variables are read when it is created. */
  readonly apiKey?: string;
  /**
   * Base URL. Wins over `region` and the environment. Point it at a proxy or at the local mock
   * server from `@rephysco/testing`.
   */
  readonly baseURL?: string;
  /**
   * Name of one of the provider's alternative base URLs (see
   * {@link OpenAICompatibleConfig.baseURLs}), for example `"intl"`. Wins over the environment.
   */
  readonly region?: string;
  /** Extra HTTP headers sent with every request. */
  readonly headers?: Readonly<Record<string, string>>;
  /** A `fetch` implementation to use instead of the global one. */
  readonly fetch?: typeof globalThis.fetch;
  /** Model used when a call names none (overrides the provider's default). */
  readonly defaultModel?: string;
  /** Extra body fields merged into every request (per-call `providerOptions` win over these). */
  readonly extraBody?: Readonly<Record<string, unknown>>;
}

/** What the error hooks see about a failed request or a stream error event. */
export interface OpenAICompatibleErrorContext {
  /** Registry id of the provider. */
  readonly provider: string;
  /** HTTP status; `undefined` for an error event inside a 200 stream. */
  readonly status?: number;
  /** Response headers, when there was a response. */
  readonly headers?: Headers;
  /** The error body: parsed JSON when it was JSON, else the raw text (secrets not yet scrubbed). */
  readonly body: unknown;
  /** The code found in the body (`error.code`, a top-level `code`; numbers as strings). */
  readonly code?: string;
  /** `error.type`, when the body is OpenAI-shaped. */
  readonly type?: string;
  /** The provider's message found in the body. */
  readonly message?: string;
  /** `true` when the error arrived inside a stream that had already started. */
  readonly inStream: boolean;
}

/**
 * A refinement returned by {@link OpenAICompatibleConfig.mapError}. Every field is optional;
 * what is left out keeps the default (error table, then HTTP status).
 */
export interface OpenAICompatibleErrorMapping {
  /** The error class to raise. */
  readonly errorClass?: ErrorClassName;
  /** The code to report. */
  readonly code?: string;
  /** The message to report (secrets are scrubbed afterwards). */
  readonly message?: string;
  /** The request id to report. */
  readonly requestId?: string;
  /** The wait to report, in milliseconds. */
  readonly retryAfterMs?: number;
}

/** What {@link OpenAICompatibleConfig.transformRequest} receives besides the body. */
export interface OpenAICompatibleRequestContext {
  /** The call's options (model already resolved). */
  readonly options: ProviderCallOptions;
  /** `true` when the request streams (including stream-only `generate()` calls). */
  readonly stream: boolean;
}

/**
 * How an OpenAI-compatible service differs from OpenAI. Every vendor quirk is one of these named
 * settings; a vendor package is this object plus a registration.
 *
 * @example DeepSeek, in a few lines
 * ```ts
 * import { OpenAICompatibleProvider, type OpenAICompatibleConfig } from "@rephysco/openai/compatible";
 *
 * const deepseek: OpenAICompatibleConfig = {
 *   id: "deepseek",
 *   defaultModel: "deepseek-chat",
 *   defaultBaseURL: "https://api.deepseek.com/v1",
 *   apiKeyEnvVars: ["DEEPSEEK_API_KEY"],
 *   reasoningFields: ["reasoning_content"],
 *   errorCodes: { insufficient_balance: "quota" },
 *   capabilities: { reasoning: true },
 * };
 * registerProvider("deepseek", (s) => new OpenAICompatibleProvider(deepseek, s));
 * ```
 */
export interface OpenAICompatibleConfig {
  /** Registry id (`"xai"`); becomes `provider.name` and the `provider` of every error. */
  readonly id: string;
  /** Model used when the caller names none. */
  readonly defaultModel: string;
  /** Base URL used when neither the settings nor the environment give one. */
  readonly defaultBaseURL: string;
  /**
   * Named alternative base URLs, chosen with the `region` setting
   * (`{ intl: "https://dashscope-intl.aliyuncs.com/compatible-mode/v1" }`).
   */
  readonly baseURLs?: Readonly<Record<string, string>>;
  /** Environment variables read for the key, in order. The first one is named in "missing key" errors. */
  readonly apiKeyEnvVars: readonly string[];
  /** Environment variables read for the base URL, in order. */
  readonly baseURLEnvVars?: readonly string[];
  /** Set to `false` for servers that need no key (a local vLLM or Ollama). Default `true`. */
  readonly requireApiKey?: boolean;
  /**
   * Fields of the message / stream delta that carry reasoning text, tried in order.
   * Default `["reasoning_content", "reasoning"]`. Their text goes to `reasoning`, never `content`.
   */
  readonly reasoningFields?: readonly string[];
  /**
   * Calls the service accepts only as streams. When it returns `true`, `generate()` sends
   * `stream: true` and assembles content, reasoning, usage and finish reason, so callers need
   * not know. Receives the model and the call's `providerOptions`.
   */
  readonly streamOnly?: (
    model: string,
    providerOptions: Readonly<Record<string, unknown>> | undefined,
  ) => boolean;
  /**
   * Provider error code (or OpenAI `error.type`) -> error class, checked before the HTTP status.
   * Merged over the OpenAI defaults (`invalid_api_key`, `insufficient_quota`,
   * `rate_limit_exceeded`, ...). Numeric codes are written as strings (`"20012"`).
   */
  readonly errorCodes?: Readonly<Record<string, ErrorClassName>>;
  /**
   * Hook for error shapes a table cannot express (a code prefix, a status + code pair). Return a
   * refinement, or `undefined` to keep the default mapping.
   */
  readonly mapError?: (
    context: OpenAICompatibleErrorContext,
  ) => OpenAICompatibleErrorMapping | undefined;
  /** Body fields added to every request (settings' `extraBody` and `providerOptions` win). */
  readonly extraBody?: Readonly<Record<string, unknown>>;
  /** Last look at the request body before it is sent; return the body to send. */
  readonly transformRequest?: (
    body: OpenAIChatRequestBody,
    context: OpenAICompatibleRequestContext,
  ) => OpenAIChatRequestBody;
  /**
   * Response headers that carry the request id, tried first and in order (SiliconFlow:
   * `["x-siliconcloud-trace-id"]`). The common ones (`x-request-id`, ...) are tried after them;
   * an id in the error body (DashScope `request_id`) wins over all headers.
   */
  readonly requestIdHeaders?: readonly string[];
  /**
   * Whether a stream must end with `data: [DONE]`. Default `true`: a stream that stops without
   * it (after the finish chunk but before the usage chunk, say) is a cut stream and raises a
   * retryable `ServiceUnavailableError` (code `incomplete_stream`). Set to `false` for servers
   * that never send the marker; the finish reason is then the only completeness check.
   */
  readonly requireDoneMarker?: boolean;
  /**
   * Send an assistant turn's `reasoning` back as `reasoning_content`. Services with
   * DeepSeek-style thinking (DashScope, SiliconFlow) reject a tool history whose assistant turns
   * lack it. Default `false` (OpenAI has no such field).
   */
  readonly echoReasoning?: boolean;
  /**
   * Whether the service takes `response_format: { type: "json_schema" }`, for all models or per
   * model. Default `true`. Where it returns `false`, a schema falls back to the `json_object`
   * mode with the schema in a system instruction.
   */
  readonly jsonSchema?: boolean | ((model: string) => boolean);
  /**
   * Add a short system instruction to `json_object` requests whose system and user messages never
   * say "JSON" (OpenAI and DashScope answer 400 without the word). Default `true`.
   */
  readonly jsonObjectInstruction?: boolean;
  /**
   * Whether `completion_tokens` counts the reasoning tokens of
   * `completion_tokens_details.reasoning_tokens`. Default `true` (OpenAI, DashScope, DeepSeek).
   * Set to `false` for services that count them apart (xAI: `total_tokens` = prompt + completion
   * + reasoning): the reasoning is then added to `completionTokens`, so that usage means the same
   * on every provider.
   */
  readonly reasoningInCompletion?: boolean;
  /**
   * The cost the service reports itself in its `usage` object (xAI `cost_in_usd_ticks`), as a
   * {@link Cost} with `source: "provider"`; `undefined` when the object reports none. The cost
   * is set on the answer and on the stream's `finish` part, and the client uses it instead of
   * the price table.
   */
  readonly reportedCost?: (usage: OpenAIUsage) => Cost | undefined;
  /**
   * The service's price table (a dated snapshot naming its sources), from which the client
   * computes `cost`. Without one, `cost` is `undefined` unless the client's `prices` option or
   * the service's own report gives one.
   */
  readonly prices?: PriceSheet;
  /** What the provider supports. Default: images, reasoning, tools and structured output on. */
  readonly capabilities?: Partial<ProviderCapabilities>;
}
