/**
 * The OpenAI chat-completions wire shapes as OpenAI-compatible vendors really send them: looser
 * than the `openai` SDK's types (fields may be missing or `null`, vendors add reasoning fields),
 * so that parsing never trusts a field the SDK's types promise but a vendor omits.
 */

/** One content part of a chat message. */
export type OpenAIContentPart =
  | { readonly type: "text"; readonly text: string }
  | { readonly type: "image_url"; readonly image_url: { readonly url: string } };

/** A chat message as sent in the request body. */
export interface OpenAIChatMessage {
  /** `developer` replaces `system` for OpenAI reasoning models. */
  readonly role: "system" | "developer" | "user" | "assistant";
  /** Plain text, or content parts when the message carries images (never flattened). */
  readonly content: string | readonly OpenAIContentPart[];
  /** Optional participant name. */
  readonly name?: string;
}

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

/** Token usage as reported in responses and in the last stream chunk. */
export interface OpenAIUsage {
  readonly prompt_tokens?: number | null;
  readonly completion_tokens?: number | null;
  readonly total_tokens?: number | null;
  readonly completion_tokens_details?: { readonly reasoning_tokens?: number | null } | null;
}

/** The assistant message of a non-streaming response, or the delta of a stream chunk. */
export interface OpenAIAssistantMessage {
  readonly role?: string;
  /** `null` while a vendor streams reasoning (DashScope) or when the model refused. */
  readonly content?: string | null;
  readonly refusal?: string | null;
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
