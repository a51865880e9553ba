/**
 * The OpenAI chat-completions wire shapes as OpenAI-compatible vendors really send them: looser
 * than the `openai` SDK's types (fields may be missing or `null`, vendors add reasoning fields),
 * so that parsing never trusts a field the SDK's types promise but a vendor omits.
 */

/** One content part of a chat message. */
export type OpenAIContentPart =
  | { readonly type: "text"; readonly text: string }
  | { readonly type: "image_url"; readonly image_url: { readonly url: string } };

/** A tool call as it travels in an assistant message (request history and answers). */
export interface OpenAIToolCall {
  readonly id: string;
  readonly type: "function";
  readonly function: { readonly name: string; readonly arguments: string };
}

/** A chat message as sent in the request body. */
export interface OpenAIChatMessage {
  /** `developer` replaces `system` for OpenAI reasoning models; `tool` carries a tool's result. */
  readonly role: "system" | "developer" | "user" | "assistant" | "tool";
  /**
   * Plain text, or content parts when the message carries images (never flattened); `null` on an
   * assistant turn that only calls tools.
   */
  readonly content: string | readonly OpenAIContentPart[] | null;
  /** Optional participant name. */
  readonly name?: string;
  /** Assistant turns: the tools the model called. */
  readonly tool_calls?: readonly OpenAIToolCall[];
  /** Tool messages: the id of the call answered. */
  readonly tool_call_id?: string;
  /** Assistant turns, for services that need their reasoning back (DeepSeek-style thinking). */
  readonly reasoning_content?: string;
}

/** A function the model may call, as declared in `tools`. */
export interface OpenAIFunctionTool {
  readonly type: "function";
  readonly function: {
    readonly name: string;
    readonly description?: string;
    readonly parameters: Readonly<Record<string, unknown>>;
    readonly strict?: boolean;
  };
}

/** `tool_choice`. */
export type OpenAIToolChoice =
  | "auto"
  | "none"
  | "required"
  | { readonly type: "function"; readonly function: { readonly name: string } };

/** `response_format`: a JSON Schema answer, or any JSON object. */
export type OpenAIResponseFormat =
  | {
      readonly type: "json_schema";
      readonly json_schema: {
        readonly name: string;
        readonly schema: Readonly<Record<string, unknown>>;
        readonly strict: boolean;
        readonly description?: string;
      };
    }
  | { readonly type: "json_object" };

/**
 * The request body the OpenAI-compatible base sends. Vendor parameters (`enable_thinking`,
 * `reasoning_effort`, ...) sit next to the standard ones.
 */
export interface OpenAIChatRequestBody {
  model: string;
  messages: OpenAIChatMessage[];
  stream: boolean;
  [key: string]: unknown;
}

/**
 * Token usage as reported in responses and in the last stream chunk. Vendors add fields: xAI
 * `cost_in_usd_ticks` and `num_sources_used`, DeepSeek `prompt_cache_hit_tokens` /
 * `prompt_cache_miss_tokens`; the index signature keeps whatever else comes.
 */
export interface OpenAIUsage {
  /** Every prompt token, cached ones included. */
  readonly prompt_tokens?: number | null;
  /** Output tokens; reasoning included (OpenAI, DashScope) or not (xAI). */
  readonly completion_tokens?: number | null;
  readonly total_tokens?: number | null;
  readonly prompt_tokens_details?: {
    readonly cached_tokens?: number | null;
    /** DashScope explicit context cache: prompt tokens written to the cache (within `prompt_tokens`). */
    readonly cache_creation_input_tokens?: number | null;
  } | null;
  readonly completion_tokens_details?: { readonly reasoning_tokens?: number | null } | null;
  /** DeepSeek-style cache read count (within `prompt_tokens`). */
  readonly prompt_cache_hit_tokens?: number | null;
  /** DeepSeek-style cache miss count (within `prompt_tokens`). */
  readonly prompt_cache_miss_tokens?: number | null;
  readonly [field: string]: unknown;
}

/**
 * A tool call in an answer: whole in a message; in a stream delta, fragments keyed by `index`
 * where only the first usually carries `id` and `name` (DashScope repeats `"id": ""` later).
 */
export interface OpenAIToolCallDelta {
  readonly index?: number;
  readonly id?: string | null;
  readonly type?: string | null;
  readonly function?: {
    readonly name?: string | null;
    /** JSON text; a few servers send an object. */
    readonly arguments?: string | Readonly<Record<string, unknown>> | null;
  } | null;
}

/** The assistant message of a non-streaming response, or the delta of a stream chunk. */
export interface OpenAIAssistantMessage {
  readonly role?: string;
  /** `null` while a vendor streams reasoning (DashScope), when the model refused or only called tools. */
  readonly content?: string | null;
  readonly refusal?: string | null;
  readonly tool_calls?: readonly OpenAIToolCallDelta[] | null;
  /** The legacy (pre-`tools`) single function call, found in old recordings. */
  readonly function_call?: {
    readonly name?: string | null;
    readonly arguments?: string | null;
  } | null;
  /** Reasoning fields (`reasoning_content`, `reasoning`) are read by name from the config. */
  readonly [field: string]: unknown;
}

/** A non-streaming chat completion. */
export interface OpenAIChatCompletion {
  readonly id?: string;
  readonly model?: string;
  readonly choices?: readonly {
    readonly message?: OpenAIAssistantMessage | null;
    readonly finish_reason?: string | null;
  }[];
  readonly usage?: OpenAIUsage | null;
}

/** One streamed chat-completion chunk. */
export interface OpenAIChatCompletionChunk {
  readonly id?: string;
  readonly model?: string;
  readonly choices?: readonly {
    readonly delta?: OpenAIAssistantMessage | null;
    readonly finish_reason?: string | null;
  }[];
  readonly usage?: OpenAIUsage | null;
}
