/**
 * The parts of Anthropic's Messages API wire format this provider reads and writes
 * (`anthropic-version: 2023-06-01`). Unknown fields are tolerated everywhere.
 */

/** An image source: inline base64 bytes or a URL Anthropic fetches. */
export type AnthropicImageSource =
  | { readonly type: "base64"; readonly media_type: string; readonly data: string }
  | { readonly type: "url"; readonly url: string };

/**
 * A thinking block as the API returned it, sent back unchanged at the start of the assistant
 * turn it belongs to (the API checks the signature, and requires it on tool-use turns when
 * thinking is on).
 */
export type AnthropicThinkingBlock =
  | { readonly type: "thinking"; readonly thinking: string; readonly signature: string }
  | { readonly type: "redacted_thinking"; readonly data: string };

/** A call of a tool in an assistant turn. */
export interface AnthropicToolUseBlock {
  readonly type: "tool_use";
  readonly id: string;
  readonly name: string;
  readonly input: Readonly<Record<string, unknown>>;
}

/** The result of one call, in the user turn that follows the call. */
export interface AnthropicToolResultBlock {
  readonly type: "tool_result";
  readonly tool_use_id: string;
  readonly content?: string;
  readonly is_error?: true;
}

/** A content block of a request message. */
export type AnthropicRequestBlock =
  | { readonly type: "text"; readonly text: string }
  | { readonly type: "image"; readonly source: AnthropicImageSource }
  | AnthropicThinkingBlock
  | AnthropicToolUseBlock
  | AnthropicToolResultBlock;

/** A tool declaration (`tools[]`). */
export interface AnthropicTool {
  readonly name: string;
  readonly description?: string;
  readonly input_schema: Readonly<Record<string, unknown>>;
  /** Constrained decoding of the input (models with structured outputs only). */
  readonly strict?: true;
}

/** `tool_choice`: `auto` (the default), `any` (some tool), `tool` (that one), `none`. */
export type AnthropicToolChoice =
  | { readonly type: "auto" | "any" | "none" }
  | { readonly type: "tool"; readonly name: string };

/** One message of the `messages` array. */
export interface AnthropicMessage {
  readonly role: "user" | "assistant";
  readonly content: string | AnthropicRequestBlock[];
}

/** What {@link AnthropicProvider.formatMessages} produces: the top-level `system` plus `messages`. */
export interface AnthropicPrompt {
  readonly system?: string;
  readonly messages: AnthropicMessage[];
}

/**
 * Token counts as Anthropic reports them (`input_tokens` excludes cache reads and writes). The
 * API adds fields over time (`cache_creation`, `service_tier`, `server_tool_use`, ...); they are
 * kept in `Usage.raw`.
 */
export interface AnthropicUsage {
  readonly input_tokens?: number | null;
  /** Every output token, thinking included. */
  readonly output_tokens?: number | null;
  readonly cache_creation_input_tokens?: number | null;
  readonly cache_read_input_tokens?: number | null;
  /** Newer models: the thinking part of `output_tokens`. */
  readonly output_tokens_details?: { readonly thinking_tokens?: number | null } | null;
  readonly [field: string]: unknown;
}

/** A content block of a response. */
export type AnthropicResponseBlock =
  | { readonly type: "text"; readonly text: string }
  | { readonly type: "thinking"; readonly thinking: string; readonly signature?: string }
  | { readonly type: "redacted_thinking"; readonly data: string }
  | {
      readonly type: "tool_use";
      readonly id: string;
      readonly name: string;
      readonly input?: Readonly<Record<string, unknown>> | null;
    }
  | { readonly type: string; readonly [key: string]: unknown };

/** The non-streaming response body. */
export interface AnthropicResponse {
  readonly id?: string;
  readonly type?: "message";
  readonly role?: "assistant";
  readonly model: string;
  readonly content: AnthropicResponseBlock[];
  readonly stop_reason: string | null;
  readonly stop_sequence?: string | null;
  readonly usage?: AnthropicUsage;
}

/** The body of an error response, and the data of an `error` stream event. */
export interface AnthropicErrorBody {
  readonly type?: "error";
  readonly error?: {
    readonly type?: string;
    readonly message?: string;
    readonly details?: { readonly error_code?: string } | null;
  };
  readonly request_id?: string;
}

/** A delta inside a `content_block_delta` event. */
export type AnthropicDelta =
  | { readonly type: "text_delta"; readonly text: string }
  | { readonly type: "thinking_delta"; readonly thinking: string }
  | { readonly type: "signature_delta"; readonly signature: string }
  | { readonly type: "input_json_delta"; readonly partial_json: string }
  | { readonly type: string; readonly [key: string]: unknown };

/** One parsed stream event (the `type` field repeats the SSE `event:` name). */
export type AnthropicStreamEvent =
  | {
      readonly type: "message_start";
      readonly message: {
        readonly model?: string;
        readonly usage?: AnthropicUsage;
        readonly id?: string;
      };
    }
  | {
      readonly type: "content_block_start";
      readonly index: number;
      readonly content_block: AnthropicResponseBlock;
    }
  | { readonly type: "content_block_delta"; readonly index: number; readonly delta: AnthropicDelta }
  | { readonly type: "content_block_stop"; readonly index: number }
  | {
      readonly type: "message_delta";
      readonly delta: {
        readonly stop_reason?: string | null;
        readonly stop_sequence?: string | null;
      };
      readonly usage?: AnthropicUsage;
    }
  | { readonly type: "message_stop" }
  | { readonly type: "ping" }
  | ({ readonly type: "error" } & AnthropicErrorBody);
