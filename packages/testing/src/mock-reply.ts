import type { RecordedRequest } from "./recorded-request.js";

/**
 * Token counts a reply reports. Each value is sent verbatim in the dialect's own field
 * (`completion_tokens` / `candidatesTokenCount` / `output_tokens`); totals follow the
 * dialect's (or, with `style`, the vendor's) arithmetic. Script the numbers the way the vendor
 * counts them: for xAI `completionTokens` excludes the reasoning, for Anthropic `promptTokens`
 * (`input_tokens`) excludes cache reads and writes, for Gemini `completionTokens`
 * (`candidatesTokenCount`) excludes the thoughts.
 */
export interface MockUsage {
  /** Input tokens (`prompt_tokens`, `promptTokenCount`, `input_tokens`). */
  promptTokens: number;
  /** Output tokens (`completion_tokens`, `candidatesTokenCount`, `output_tokens`). */
  completionTokens: number;
  /**
   * Reasoning tokens (`completion_tokens_details.reasoning_tokens`, `thoughtsTokenCount`;
   * Anthropic `output_tokens_details.thinking_tokens`, sent only when given here).
   */
  reasoningTokens?: number;
  /**
   * Prompt tokens read from the cache: OpenAI `prompt_tokens_details.cached_tokens` (DeepSeek
   * style: `prompt_cache_hit_tokens`), Gemini `cachedContentTokenCount` (sent only when given),
   * Anthropic `cache_read_input_tokens`. Default 0.
   */
  cachedTokens?: number;
  /** Anthropic `cache_creation_input_tokens` (prompt-cache writes). Default 0. */
  cacheWriteTokens?: number;
  /** Gemini `toolUsePromptTokenCount` (sent only when given; counted in `totalTokenCount`). */
  toolUsePromptTokens?: number;
  /** xAI `cost_in_usd_ticks` (10^10 ticks to the dollar); sent only when given. */
  costInUsdTicks?: number;
  /**
   * OpenAI dialect: whose `usage` object to send, as recorded from each vendor.
   * - `openai` (default): `total = prompt + completion`, both details objects with every field.
   * - `xai`: `completion_tokens` excludes `reasoning_tokens` and `total_tokens` = prompt +
   *   completion + reasoning; `prompt_tokens_details` has text/audio/image/cached counts;
   *   `num_sources_used`, and `cost_in_usd_ticks` when given (xai-text.json).
   * - `dashscope`: `prompt_tokens_details: {cached_tokens}` only, `completion_tokens_details:
   *   {reasoning_tokens}` only when there is reasoning (alibaba-text.json, alibaba-reasoning).
   * - `deepseek`: `prompt_cache_hit_tokens` / `prompt_cache_miss_tokens` instead of
   *   `prompt_tokens_details`, `completion_tokens_details: {reasoning_tokens}` when reasoning.
   */
  style?: "openai" | "xai" | "dashscope" | "deepseek";
  /**
   * Anthropic streams: `message_delta` repeats the input and cache counts next to
   * `output_tokens`, as newer API versions do (anthropic-text.chunks.txt). Default: only
   * `output_tokens`.
   */
  deltaInputUsage?: boolean;
  /** The whole usage object, sent verbatim in the dialect's usage field (wins over the counts). */
  raw?: Record<string, unknown>;
}

/**
 * A mid-stream error: after `afterChunks` content chunks the server sends one error event in
 * the dialect's form and ends the stream.
 */
export interface MockMidStreamError {
  /** Number of content chunks sent before the error event. */
  afterChunks: number;
  /**
   * Error payload. Objects are sent as JSON, strings verbatim. Defaults per dialect: OpenAI
   * `{"error":{"type":"server_error",...}}`, Gemini `{"error":{"code":500,"status":"INTERNAL",...}}`,
   * Anthropic `{"type":"error","error":{"type":"overloaded_error",...}}` (sent as `event: error`).
   */
  body?: unknown;
}

/**
 * A tool call a reply makes, rendered in the dialect's form: OpenAI `tool_calls` (streamed as
 * index-keyed argument fragments), Anthropic `tool_use` blocks (`input_json_delta` when
 * streamed), Gemini `functionCall` parts (always whole).
 */
export interface MockToolCall {
  /**
   * The call id. Defaults: OpenAI `call_<n>`, Anthropic `toolu_<n>`; Gemini sends an id only
   * when one is given here (the Gemini API usually sends none).
   */
  id?: string;
  /** The tool's name. */
  name: string;
  /**
   * The arguments: an object is sent as JSON (OpenAI) or as the object (Anthropic `input`,
   * Gemini `args`); a string is sent verbatim as OpenAI `arguments` (so broken JSON can be
   * tested) and parsed for the other dialects.
   */
  arguments: string | Record<string, unknown>;
  /** Streamed argument fragments (OpenAI, Anthropic); their concatenation is the arguments text. */
  argumentChunks?: string[];
  /** Gemini: the `thoughtSignature` on this `functionCall` part. */
  thoughtSignature?: string;
}

/** Timing shared by every reply kind. */
export interface MockTiming {
  /** Milliseconds to wait before the status line and headers are sent. */
  delayMs?: number;
}

/**
 * A successful text answer, rendered in the dialect of the request, streamed when the request
 * asks for a stream. Every field is optional: `{}` is an empty answer.
 */
export interface MockTextReply extends MockTiming {
  /** Answer text (non-stream body; a single chunk when streaming and `chunks` is absent). */
  text?: string;
  /** Answer split into stream chunks; their concatenation is the non-stream text. */
  chunks?: string[];
  /** Reasoning / thinking text, sent before the answer. */
  reasoning?: string;
  /** Reasoning split into stream chunks. */
  reasoningChunks?: string[];
  /**
   * Finish reason. Native values of the dialect are sent verbatim ("stop", "STOP", "SAFETY",
   * "end_turn", ...); the OpenAI values `stop`, `length`, `content_filter`, `tool_calls` are
   * translated for Gemini (STOP, MAX_TOKENS, SAFETY) and Anthropic (end_turn, max_tokens,
   * refusal, tool_use). Defaults to the dialect's normal stop.
   */
  finishReason?: string;
  /** Token usage; derived from word counts when absent. */
  usage?: MockUsage;
  /** Model name in the body; defaults to the model the request named. */
  model?: string;
  /** Extra response headers (override the defaults). */
  headers?: Record<string, string>;
  /** HTTP status (default 200). */
  status?: number;
  /** Milliseconds between the headers and the first chunk (streams only). */
  firstChunkDelayMs?: number;
  /** Milliseconds before each later chunk and before the closing events (streams only). */
  chunkDelayMs?: number;
  /** Destroy the socket right after this many content chunks (streams only). */
  resetAfterChunks?: number;
  /**
   * Send this many content chunks, then nothing: the socket stays open until the client goes
   * or the server closes (streams only).
   */
  stallAfterChunks?: number;
  /** Leave out the end marker: OpenAI `data: [DONE]`, Anthropic `message_stop`. */
  omitDone?: boolean;
  /** Leave out the finish reason (OpenAI finish chunk, Gemini finishReason, Anthropic message_delta). */
  omitFinish?: boolean;
  /** Send an error event in the dialect's form mid-stream, then end the stream. */
  midStreamError?: MockMidStreamError;
  /**
   * Shallow-merged into the JSON body (non-stream) or the last chunk carrying the finish
   * reason (stream), e.g. Gemini `promptFeedback`. A key set to `undefined` is removed.
   */
  extra?: Record<string, unknown>;
  /** DashScope style (OpenAI dialect): `content: null` while reasoning, `reasoning_content: null` while answering. */
  nullFields?: boolean;
  /**
   * Tool calls of the answer, after its text. The finish reason defaults to the dialect's
   * tool-call finish (`tool_calls`, `tool_use`; Gemini stays `STOP`).
   */
  toolCalls?: MockToolCall[];
  /** OpenAI dialect: the model's refusal (`message.refusal`, streamed as `delta.refusal`); content stays null. */
  refusal?: string;
  /** The refusal split into stream chunks. */
  refusalChunks?: string[];
  /**
   * OpenAI dialect, how streamed tool calls look: `openai` (default: first delta with id, type,
   * name and `arguments: ""`, then fragments), `dashscope` (later deltas repeat `"id": ""` and
   * `"type": "function"`, a trailing empty `arguments` delta), `xai` (each whole call in one chunk).
   */
  toolCallStyle?: "openai" | "dashscope" | "xai";
  /** Gemini: the `thoughtSignature` on the (last) text part. */
  thoughtSignature?: string;
}

/** An HTTP error answer. */
export interface MockErrorReply extends MockTiming {
  error: {
    /** HTTP status. */
    status: number;
    /** Body; objects and strings are sent as JSON (a string becomes a JSON string literal). */
    body?: unknown;
    /** Body bytes sent exactly as given (wins over `body`). */
    rawBody?: string;
    /** Extra response headers (override the defaults). */
    headers?: Record<string, string>;
  };
}

/** The socket is destroyed before any response byte is sent. */
export interface MockResetReply extends MockTiming {
  reset: true;
}

/** HTTP 200 with a broken body: raw text as the JSON body, or as one SSE data line when streaming. */
export interface MockMalformedReply extends MockTiming {
  malformed: string;
}

/** Bytes exactly as given; an array body is written piece by piece. */
export interface MockRawReply extends MockTiming {
  raw: {
    /** HTTP status. */
    status: number;
    /** Response headers, sent as given. */
    headers?: Record<string, string>;
    /** Body, or body pieces written one by one with `chunkDelayMs` between them. */
    body: string | string[];
  };
  /** Milliseconds between body pieces. */
  chunkDelayMs?: number;
}

/** Any reply the mock server can give, independent of the dialect. */
export type MockReply =
  | MockTextReply
  | MockErrorReply
  | MockResetReply
  | MockMalformedReply
  | MockRawReply;

/** Computes a reply from the request it answers (may be async, e.g. to hold a response). */
export type MockReplyFactory = (request: RecordedRequest) => MockReply | Promise<MockReply>;

/** One queue entry: a reply or a function producing one. */
export type MockReplySource = MockReply | MockReplyFactory;
