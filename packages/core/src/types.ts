/**
 * Who wrote a message. `tool` is reserved for tool results; providers that do not support
 * tools reject it with an {@link InvalidRequestError}.
 */
export type Role = "system" | "user" | "assistant" | "tool";

/**
 * An image attached to a message. Accepted forms:
 * - an `http(s)://` URL string or a `URL` object (passed to providers that fetch URLs, fetched and
 *   inlined for providers that need bytes),
 * - a `data:<mime>;base64,...` URL string,
 * - raw bytes (`Uint8Array` or `Buffer`); the MIME type is sniffed from the bytes,
 * - `{ data, mediaType }` where `data` is bytes or a base64 string.
 *
 * Rephysco never reads a local file path on its own: read the file and pass the bytes.
 *
 * @example
 * ```ts
 * const img: ImageInput = { data: await readFile("cat.png"), mediaType: "image/png" };
 * ```
 */
export type ImageInput =
  | string
  | URL
  | Uint8Array
  | {
      /** The image bytes, or the bytes as a base64 string (no `data:` prefix). */
      readonly data: Uint8Array | string;
      /** The IANA media type, such as `image/png`. */
      readonly mediaType: string;
    };

/** A JSON value: what survives `JSON.stringify` and `JSON.parse` unchanged. */
export type JsonValue =
  | string
  | number
  | boolean
  | null
  | readonly JsonValue[]
  | { readonly [key: string]: JsonValue };

/** A JSON Schema, as a plain object (`{ type: "object", properties: {...}, required: [...] }`). */
export type JsonSchema = Readonly<Record<string, unknown>>;

/**
 * Opaque data a provider needs back with a turn it produced, keyed by provider id (for example
 * `{ gemini: { thoughtSignature: "..." } }`). Plain JSON, so a history round-trips through
 * `JSON.stringify`. Each provider reads only its own key; a turn answered by one provider and
 * sent to another goes without it.
 */
export type ProviderMetadata = Readonly<Record<string, Readonly<Record<string, JsonValue>>>>;

/**
 * A call of a tool, made by the model.
 *
 * @typeParam Name - the tool's name.
 * @typeParam Args - the type of its arguments (inferred from the tool's schema).
 */
export interface ToolCall<Name extends string = string, Args = unknown> {
  /** The provider's id for the call (made by Rephysco, stable, where the provider gives none). */
  readonly id: string;
  /** The tool's name. */
  readonly name: Name;
  /** The arguments, parsed from `rawArguments` (and validated, when the tool has a validator). */
  readonly arguments: Args;
  /** The arguments exactly as the model wrote them (JSON text). */
  readonly rawArguments: string;
  /** Provider data that must travel with this call (Gemini thought signatures). */
  readonly providerMetadata?: ProviderMetadata;
}

/**
 * One turn of a conversation. Which fields apply depends on `role`:
 * - `system`, `user`: `content` (and `images`, `name` for users);
 * - `assistant`: `content`, and for a turn that called tools `toolCalls`, with the turn's
 *   `reasoning` and `providerMetadata` (send them back unchanged: some providers reject a tool
 *   history without them);
 * - `tool`: the result of one call: `toolCallId`, `content` (the result as text; JSON for
 *   structured results) and `isError`.
 *
 * Every field is plain JSON, so a history round-trips through `JSON.stringify` / `JSON.parse`.
 *
 * @example
 * ```ts
 * const history: Message[] = [
 *   { role: "user", content: "Weather in Paris?" },
 *   { role: "assistant", content: "", toolCalls: [{ id: "call_1", name: "get_weather",
 *     arguments: { city: "Paris" }, rawArguments: '{"city":"Paris"}' }] },
 *   { role: "tool", toolCallId: "call_1", content: '{"tempC":18}' },
 * ];
 * ```
 */
export interface Message {
  /** Who wrote it. */
  readonly role: Role;
  /** The text of the message (for a `tool` message, the result). */
  readonly content: string;
  /** Optional participant name, passed to providers that support it. */
  readonly name?: string;
  /** Images attached to this message (user messages only on most providers). */
  readonly images?: readonly ImageInput[];
  /** Assistant turns: the tools the model called. */
  readonly toolCalls?: readonly ToolCall[];
  /** Assistant turns: the reasoning that came with the turn (echoed where a provider needs it). */
  readonly reasoning?: string;
  /** Assistant turns: provider data that must travel with the turn (see {@link ProviderMetadata}). */
  readonly providerMetadata?: ProviderMetadata;
  /** Tool messages: the `id` of the call this message answers. */
  readonly toolCallId?: string;
  /** Tool messages: `true` when the tool failed and `content` describes the failure. */
  readonly isError?: boolean;
}

/**
 * Token counts for one request, with one meaning on every provider, so that counts compare
 * across providers and add up:
 *
 * - `promptTokens`: every input token: uncached input, cached reads and cache writes (for
 *   Anthropic `input_tokens + cache_read_input_tokens + cache_creation_input_tokens`; for Gemini
 *   `promptTokenCount + toolUsePromptTokenCount`).
 * - `completionTokens`: every output token, reasoning included (for Gemini
 *   `candidatesTokenCount + thoughtsTokenCount`; for xAI `completion_tokens + reasoning_tokens`).
 * - `totalTokens`: always `promptTokens + completionTokens`.
 * - The parts, each within its total: `cachedPromptTokens` and `cacheWriteTokens` within
 *   `promptTokens`, `reasoningTokens` within `completionTokens`; absent when the provider does
 *   not report them.
 * - `raw`: the provider's own usage object, field names as on the wire.
 */
export interface Usage {
  /** Every input token: uncached, read from the prompt cache, and written to it. */
  readonly promptTokens: number;
  /** Every output token, reasoning included. */
  readonly completionTokens: number;
  /** `promptTokens + completionTokens`. */
  readonly totalTokens: number;
  /** Of `promptTokens`: tokens read from the provider's prompt cache (billed at a discount). */
  readonly cachedPromptTokens?: number;
  /** Of `promptTokens`: tokens written to the prompt cache (Anthropic cache creation). */
  readonly cacheWriteTokens?: number;
  /** Of `completionTokens`: tokens spent on hidden reasoning ("thinking"). */
  readonly reasoningTokens?: number;
  /** The provider's usage object as it came (OpenAI `usage`, Gemini `usageMetadata`, ...). */
  readonly raw?: Readonly<Record<string, unknown>>;
}

/**
 * What a request cost, in US dollars, with its parts. The parts add up to `total`: `input`
 * (uncached prompt tokens), `cachedInput` (cache reads), `cacheWrite` (cache writes), `output`
 * (answer tokens, and reasoning tokens unless the model prices them apart) and `reasoning`
 * (reasoning tokens priced apart). A part that does not apply is 0. A cache hit costs 0. One
 * exception: a provider that reports only a total (xAI) for a model without a price has every
 * part 0 (with a price, the parts are the price sheet's split scaled to the reported total).
 */
export interface Cost {
  /** The whole cost, USD. */
  readonly total: number;
  /** Uncached prompt tokens, USD. */
  readonly input: number;
  /** Prompt tokens read from the provider's cache, USD. */
  readonly cachedInput: number;
  /** Prompt tokens written to the provider's cache, USD. */
  readonly cacheWrite: number;
  /** Output tokens (reasoning included unless priced apart), USD. */
  readonly output: number;
  /** Reasoning tokens priced apart from output, USD (0 when not priced apart). */
  readonly reasoning: number;
  /** Always `"USD"`. */
  readonly currency: "USD";
  /**
   * Where the numbers come from: `"prices"` (the price table times the usage), `"provider"` (the
   * provider reported the cost itself, as xAI does), `"cache"` (a cache hit: nothing spent) or
   * `"shared"` (the call joined an identical call in flight, which carries the cost: nothing
   * spent by this one).
   */
  readonly source: "prices" | "provider" | "cache" | "shared";
}

/**
 * A model's prices in US dollars per million tokens. Missing rates fall back: `cachedInput` and
 * `cacheWrite` to `input`, `reasoning` to `output`.
 */
export interface ModelPrice {
  /** Uncached input tokens, USD per million. */
  readonly input: number;
  /** Output tokens, USD per million. */
  readonly output: number;
  /** Input tokens read from the prompt cache, USD per million (default: `input`). */
  readonly cachedInput?: number;
  /** Input tokens written to the prompt cache, USD per million (default: `input`). */
  readonly cacheWrite?: number;
  /** Reasoning tokens, when priced apart from output, USD per million (default: `output`). */
  readonly reasoning?: number;
  /**
   * Prices for a long prompt: when `promptTokens` exceeds `threshold`, these rates apply to the
   * whole request (Gemini 2.5 Pro above 200k tokens, for example).
   */
  readonly longContext?: Omit<ModelPrice, "longContext"> & {
    /** Prompt tokens above which these prices apply. */
    readonly threshold: number;
  };
}

/** Prices by model id. A model id with a date suffix (`gpt-4o-2024-08-06`) finds its base id. */
export type PriceTable = Readonly<Record<string, ModelPrice>>;

/**
 * A provider's price table as it ships: a dated snapshot that names where the prices were read,
 * so a reader can check them and know how old they are.
 */
export interface PriceSheet {
  /** The day the prices were read (`YYYY-MM-DD`). */
  readonly asOf: string;
  /** The pages the prices were read from. */
  readonly sources: readonly string[];
  /** Prices by model id. */
  readonly models: PriceTable;
}

/**
 * Why the model stopped, normalized across providers:
 * `stop` (natural end or stop sequence), `length` (token limit), `content_filter`,
 * `tool_calls` (the answer calls tools: OpenAI `tool_calls`, Anthropic `tool_use`, a Gemini
 * answer with `functionCall` parts), `refusal` (the model declined; the text is in `refusal`),
 * or `other`. A `content_filter` finish is raised as a `ContentFilterError` by every provider,
 * so successful responses carry it only when a provider is told not to raise.
 */
export type FinishReason =
  | "stop"
  | "length"
  | "content_filter"
  | "tool_calls"
  | "refusal"
  | "other";

/** What a tool returned (or how it failed), as sent back to the model. */
export interface ToolResult<Name extends string = string> {
  /** The `id` of the call. */
  readonly toolCallId: string;
  /** The tool's name. */
  readonly name: Name;
  /** What `execute` returned; for a failure, the error's message. */
  readonly result: unknown;
  /** `true` when `execute` threw (or the call was vetoed); the model is told so. */
  readonly isError: boolean;
}

/** One model call of a tool loop, with the tools it ran. */
export interface StepResult {
  /** 1 for the first step. */
  readonly stepNumber: number;
  /** Text of this step. */
  readonly content: string;
  /** Reasoning of this step, when any. */
  readonly reasoning?: string;
  /** The calls the model made in this step. */
  readonly toolCalls: readonly ToolCall[];
  /** The results sent back, one per executed call. */
  readonly toolResults: readonly ToolResult[];
  /** Why this step's model call stopped. */
  readonly finishReason?: FinishReason;
  /** Token counts of this step. */
  readonly usage?: Usage;
  /** What this step cost (see {@link ModelResponse.cost}). */
  readonly cost?: Cost;
  /** The model that answered this step. */
  readonly model: string;
  /** The provider that answered this step. */
  readonly provider: string;
  /** `true` when this step's answer came from the cache (tools still ran). */
  readonly cached: boolean;
  /** Provider data of this step's turn (sent back with it in the next step). */
  readonly providerMetadata?: ProviderMetadata;
}

/** The answer to a non-streaming request. */
export interface ModelResponse {
  /** The answer text. */
  readonly content: string;
  /** Reasoning ("thinking") text, kept apart from `content`, when the provider returns it. */
  readonly reasoning?: string;
  /** The model that answered, as reported by the provider. */
  readonly model: string;
  /** The registry id of the provider that answered (differs from the client's when a fallback answered). */
  readonly provider: string;
  /** Token counts, when the provider reports them. */
  readonly usage?: Usage;
  /**
   * What the answer cost in USD, with its parts; summed over the steps of a tool loop. 0 for a
   * cache hit; `undefined` when the model's price is not known or the usage was not reported.
   */
  readonly cost?: Cost;
  /** Why the model stopped. */
  readonly finishReason?: FinishReason;
  /** `true` when this answer was served from the cache. */
  readonly cached: boolean;
  /** The provider's raw response body (not present on cache hits). */
  readonly raw?: unknown;
  /** The tools the model called (in the last step, for a tool loop), in order. */
  readonly toolCalls?: readonly ToolCall[];
  /** The model's refusal, when it declined (`finishReason: "refusal"`, `content` empty). */
  readonly refusal?: string;
  /** Provider data that must travel with this turn into the next request. */
  readonly providerMetadata?: ProviderMetadata;
  /** Every model call of a tool loop, in order (absent when no loop ran). */
  readonly steps?: readonly StepResult[];
}

/** A fragment of a streamed tool call. */
export interface ToolCallDelta {
  /** The call's ordinal among the tool calls of its step (0 for the first). */
  readonly index: number;
  /** The call's id, on its first fragment. */
  readonly id?: string;
  /** The tool's name, on its first fragment. */
  readonly name?: string;
  /** New argument text (may be empty). */
  readonly argumentsDelta: string;
}

/** One piece of a streamed answer. */
export interface StreamChunk {
  /** New answer text in this chunk (may be empty). */
  readonly content: string;
  /** New reasoning text in this chunk, kept apart from `content`. */
  readonly reasoning?: string;
  /** The model that answers, when known. */
  readonly model?: string;
  /** The registry id of the provider that answers. */
  readonly provider?: string;
  /** Set on the chunk that ends the answer. */
  readonly finishReason?: FinishReason;
  /** Token counts for the whole request, usually on the last chunk. */
  readonly usage?: Usage;
  /** What the request cost (on the chunk that carries `usage`; see {@link ModelResponse.cost}). */
  readonly cost?: Cost;
  /** `true` when the stream is replayed from the cache. */
  readonly cached?: boolean;
  /** New refusal text in this chunk (OpenAI `delta.refusal`). */
  readonly refusal?: string;
  /** One fragment of a tool call (a Gemini event holding several calls yields several chunks). */
  readonly toolCallDelta?: ToolCallDelta;
  /**
   * The assembled, parsed tool calls; on the chunk that ends a model call (the last chunk, or a
   * step boundary in a tool loop).
   */
  readonly toolCalls?: readonly ToolCall[];
  /** One tool's result, in a tool loop, after it ran. */
  readonly toolResult?: ToolResult;
  /**
   * A step boundary in a tool loop: the step that just ended. Such a chunk has no
   * `finishReason`; only the loop's very last chunk has one.
   */
  readonly step?: StepResult;
  /** Provider data of the turn (on the last chunk of a model call). */
  readonly providerMetadata?: ProviderMetadata;
}

/** A tool as a provider receives it: name, description and a JSON Schema for the arguments. */
export interface ToolSpec {
  /** The name the model calls it by (already checked against the provider's rules). */
  readonly name: string;
  /** What the tool does, for the model. */
  readonly description?: string;
  /** JSON Schema of the arguments (an object schema). */
  readonly parameters: JsonSchema;
  /** Ask for strict schema adherence where the provider supports it (OpenAI `strict`). */
  readonly strict?: boolean;
}

/**
 * Whether and which tools the model may call: `auto` (the model decides), `none`, `required`
 * (at least one), or `{ name }` (exactly that tool).
 */
export type ToolChoice = "auto" | "none" | "required" | { readonly name: string };

/** Asks for a JSON answer, conforming to `schema` when one is given. */
export interface ResponseFormat {
  readonly type: "json";
  /** JSON Schema of the answer. Without one, any JSON object (`json_object` mode). */
  readonly schema?: JsonSchema;
  /** A name for the schema (OpenAI `json_schema.name`); default `"response"`. */
  readonly name?: string;
  /** What the answer is, for the model. */
  readonly description?: string;
}

/**
 * Generation parameters a provider receives for one call, after the client resolved defaults.
 * Third-party providers implement {@link BaseProvider.generate} and {@link BaseProvider.stream}
 * against this shape.
 */
export interface ProviderCallOptions {
  /** The model id to call (already resolved to a default when the caller gave none). */
  readonly model: string;
  /** Sampling temperature. */
  readonly temperature?: number;
  /** Upper bound on answer tokens. */
  readonly maxTokens?: number;
  /** Nucleus sampling. */
  readonly topP?: number;
  /** Stop sequences. */
  readonly stop?: readonly string[];
  /** Aborts the request; providers must pass it to their transport so the socket is closed. */
  readonly signal?: AbortSignal;
  /** Provider-specific parameters, passed through unchanged (for example DashScope's `enable_thinking`). */
  readonly providerOptions?: Readonly<Record<string, unknown>>;
  /**
   * Most bytes a non-streamed response body may have; a larger one fails with a `ProviderError`
   * of code `response_too_large`. The client always sets it (default 64 MiB); providers called
   * directly fall back to that default when it is absent.
   */
  readonly maxResponseBytes?: number;
  /** Tools the model may call; already checked against the provider's rules. */
  readonly tools?: readonly ToolSpec[];
  /** Whether and which tools to call (only with `tools`). */
  readonly toolChoice?: ToolChoice;
  /** Ask for a JSON answer (structured output). */
  readonly responseFormat?: ResponseFormat;
}

/** What a provider can do, declared by the provider and used by the client and conformance kit. */
export interface ProviderCapabilities {
  /** Accepts images in user messages. */
  readonly images: boolean;
  /** Returns reasoning text for some models. */
  readonly reasoning: boolean;
  /** Takes `tools` and returns tool calls (absent: `false`). */
  readonly tools?: boolean;
  /** Takes `responseFormat` (absent: `false`). */
  readonly structuredOutput?: boolean;
}
