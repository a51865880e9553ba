/**
 * Attribute and metric names. The `gen_ai.*` and `error.type` names are those of the OpenTelemetry
 * GenAI semantic conventions as published in `@opentelemetry/semantic-conventions` 1.45.0
 * (`/incubating`); they are copied here so that the package depends on `@opentelemetry/api` only
 * (its tests check that every one equals the published constant). `rephysco.*` names are ours.
 */

/** `gen_ai.operation.name`: `chat` for a call, `execute_tool` for a tool run. */
export const ATTR_GEN_AI_OPERATION_NAME = "gen_ai.operation.name";
/** `gen_ai.provider.name`: the conventions' well-known value where one exists, else the registry id. */
export const ATTR_GEN_AI_PROVIDER_NAME = "gen_ai.provider.name";
/** `gen_ai.request.model`: the model asked (on attempts: of that provider). */
export const ATTR_GEN_AI_REQUEST_MODEL = "gen_ai.request.model";
/** `gen_ai.request.temperature`: set when the call sets `temperature`. */
export const ATTR_GEN_AI_REQUEST_TEMPERATURE = "gen_ai.request.temperature";
/** `gen_ai.request.top_p`: set when the call sets `topP`. */
export const ATTR_GEN_AI_REQUEST_TOP_P = "gen_ai.request.top_p";
/** `gen_ai.request.max_tokens`: set when the call sets `maxTokens`. */
export const ATTR_GEN_AI_REQUEST_MAX_TOKENS = "gen_ai.request.max_tokens";
/** `gen_ai.request.stop_sequences`: set when the call sets `stop`. */
export const ATTR_GEN_AI_REQUEST_STOP_SEQUENCES = "gen_ai.request.stop_sequences";
/** `gen_ai.request.stream`: `true` for `stream`, `chatStream` and `streamObject`. */
export const ATTR_GEN_AI_REQUEST_STREAM = "gen_ai.request.stream";
/** `gen_ai.response.model`: the model that answered. */
export const ATTR_GEN_AI_RESPONSE_MODEL = "gen_ai.response.model";
/** `gen_ai.response.finish_reasons`: why the model stopped, as an array; absent when unknown. */
export const ATTR_GEN_AI_RESPONSE_FINISH_REASONS = "gen_ai.response.finish_reasons";
/** `gen_ai.response.time_to_first_chunk`: streams, seconds to the first chunk with content. */
export const ATTR_GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK = "gen_ai.response.time_to_first_chunk";
/** `gen_ai.usage.input_tokens`: prompt tokens spent (call span only). */
export const ATTR_GEN_AI_USAGE_INPUT_TOKENS = "gen_ai.usage.input_tokens";
/** `gen_ai.usage.output_tokens`: completion tokens spent (call span only). */
export const ATTR_GEN_AI_USAGE_OUTPUT_TOKENS = "gen_ai.usage.output_tokens";
/** `gen_ai.usage.cache_read.input_tokens`: prompt tokens read from the provider's prompt cache, when reported. */
export const ATTR_GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS = "gen_ai.usage.cache_read.input_tokens";
/** `gen_ai.usage.cache_creation.input_tokens`: prompt tokens written to the provider's prompt cache, when reported. */
export const ATTR_GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS =
  "gen_ai.usage.cache_creation.input_tokens";
/** `gen_ai.usage.reasoning.output_tokens`: reasoning tokens, when reported. */
export const ATTR_GEN_AI_USAGE_REASONING_OUTPUT_TOKENS = "gen_ai.usage.reasoning.output_tokens";
/** `gen_ai.input.messages`: the prompt as JSON (only with `captureContent`). */
export const ATTR_GEN_AI_INPUT_MESSAGES = "gen_ai.input.messages";
/** `gen_ai.output.messages`: the answer as JSON (only with `captureContent`). */
export const ATTR_GEN_AI_OUTPUT_MESSAGES = "gen_ai.output.messages";
/** `gen_ai.tool.name`: tool spans, the tool's name. */
export const ATTR_GEN_AI_TOOL_NAME = "gen_ai.tool.name";
/** `gen_ai.tool.call.id`: tool spans, the model's id of the call. */
export const ATTR_GEN_AI_TOOL_CALL_ID = "gen_ai.tool.call.id";
/** `gen_ai.tool.call.arguments`: tool spans, the arguments' JSON text (only with `captureContent`). */
export const ATTR_GEN_AI_TOOL_CALL_ARGUMENTS = "gen_ai.tool.call.arguments";
/** `gen_ai.tool.call.result`: tool spans, the result sent to the model (only with `captureContent`). */
export const ATTR_GEN_AI_TOOL_CALL_RESULT = "gen_ai.tool.call.result";
/** `gen_ai.token.type`: the token metric's `input` / `output`. */
export const ATTR_GEN_AI_TOKEN_TYPE = "gen_ai.token.type";
/** `error.type`: Rephysco's `reason`, else the error's class, else `_OTHER`; `tool_error` for a failed tool. */
export const ATTR_ERROR_TYPE = "error.type";

/** Histogram, seconds: each call's duration, success or failure. */
export const METRIC_GEN_AI_CLIENT_OPERATION_DURATION = "gen_ai.client.operation.duration";
/** Histogram, tokens: input and output tokens a call spent. */
export const METRIC_GEN_AI_CLIENT_TOKEN_USAGE = "gen_ai.client.token.usage";
/** Histogram, seconds: a stream's time to its first chunk with content. */
export const METRIC_GEN_AI_CLIENT_OPERATION_TIME_TO_FIRST_CHUNK =
  "gen_ai.client.operation.time_to_first_chunk";

/** The call's cost in USD, when known (0 for a cache hit or a shared call). */
export const ATTR_REPHYSCO_COST_USD = "rephysco.cost.usd";
/** `true` on a call the cache answered. */
export const ATTR_REPHYSCO_CACHE_HIT = "rephysco.cache.hit";
/** `true` on a call that joined an identical call in flight (it spent nothing itself). */
export const ATTR_REPHYSCO_CACHE_SHARED = "rephysco.cache.shared";
/** `true` on a stream its consumer stopped reading before the end. */
export const ATTR_REPHYSCO_STREAM_ABANDONED = "rephysco.stream.abandoned";
/** The public method: `generate`, `stream`, `generateObject`, `streamObject`. */
export const ATTR_REPHYSCO_OPERATION = "rephysco.operation";
/** Attempt spans: 1 for the first try of a provider, then 2, 3, ...; retry waits: the next try. */
export const ATTR_REPHYSCO_ATTEMPT = "rephysco.attempt";
/** Attempt spans: 0 for the provider asked first, 1 for the first fallback, ... */
export const ATTR_REPHYSCO_TARGET_INDEX = "rephysco.target_index";
/** Attempt spans: `ok`, the `error.type` of the failure, or `abandoned`. */
export const ATTR_REPHYSCO_ATTEMPT_OUTCOME = "rephysco.attempt.outcome";
/** Step spans: 1 for the first model call of a tool loop. */
export const ATTR_REPHYSCO_STEP = "rephysco.step";
/** Retry wait spans: the wait chosen, in ms. */
export const ATTR_REPHYSCO_RETRY_DELAY_MS = "rephysco.retry.delay_ms";
/** Fallback spans: the provider that failed. */
export const ATTR_REPHYSCO_FALLBACK_FROM_PROVIDER = "rephysco.fallback.from.provider";
/** Fallback spans: the model that failed. */
export const ATTR_REPHYSCO_FALLBACK_FROM_MODEL = "rephysco.fallback.from.model";
/** Fallback spans: the provider tried next. */
export const ATTR_REPHYSCO_FALLBACK_TO_PROVIDER = "rephysco.fallback.to.provider";
/** Fallback spans: the model tried next. */
export const ATTR_REPHYSCO_FALLBACK_TO_MODEL = "rephysco.fallback.to.model";

/** Registry ids whose `gen_ai.provider.name` differs from the id, or is a well-known value. */
const WELL_KNOWN: Readonly<Record<string, string>> = {
  openai: "openai",
  anthropic: "anthropic",
  gemini: "gcp.gemini",
  xai: "x_ai",
  mistral: "mistral_ai",
  deepseek: "deepseek",
  groq: "groq",
  perplexity: "perplexity",
  cohere: "cohere",
};

/**
 * The `gen_ai.provider.name` of a Rephysco provider: the conventions' well-known value where one
 * exists (`gemini` is `gcp.gemini`, `xai` is `x_ai`), else the registry id itself.
 */
export function genAiProviderName(provider: string): string {
  return WELL_KNOWN[provider] ?? provider;
}

/** A low-cardinality name for an error: Rephysco's `reason`, else the error's name, else `_OTHER`. */
export function errorType(error: unknown): string {
  if (error !== null && typeof error === "object") {
    const e = error as { reason?: unknown; name?: unknown };
    if (typeof e.reason === "string" && e.reason) return e.reason;
    if (typeof e.name === "string" && e.name) return e.name;
  }
  return "_OTHER";
}

/** The first line of an error's message, at most 200 characters (errors arrive scrubbed of keys). */
export function shortMessage(error: unknown): string | undefined {
  const message =
    error !== null && typeof error === "object" ? (error as { message?: unknown }).message : error;
  if (typeof message !== "string" || !message) return undefined;
  const line = message.split("\n", 1)[0]!;
  return line.length > 200 ? `${line.slice(0, 199)}…` : line;
}
