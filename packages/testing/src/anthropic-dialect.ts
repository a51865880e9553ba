import { type DialectRenderer, payloadText, type RenderContext, sseFrame } from "./dialect.js";
import type { ResponsePlan } from "./response-plan.js";
import { mergeExtra, type ResolvedTextReply, type ResolvedToolCall } from "./text-reply.js";

const FINISH_FROM_OPENAI: Record<string, string> = {
  stop: "end_turn",
  length: "max_tokens",
  content_filter: "refusal",
  tool_calls: "tool_use",
};

const DEFAULT_STREAM_ERROR = {
  type: "error",
  error: { type: "overloaded_error", message: "Overloaded" },
};

/** Thinking blocks are signed by the real API; clients must pass the signature back verbatim. */
const MOCK_SIGNATURE = "bW9jay10aGlua2luZy1zaWduYXR1cmU=";

function messageId(ctx: RenderContext): string {
  return `msg_mock_${ctx.seq}`;
}

/** The id of a tool call: the one the reply gives, else `toolu_<response>_<ordinal>`. */
function toolUseId(call: ResolvedToolCall, ctx: RenderContext, ordinal: number): string {
  return call.id ?? `toolu_${ctx.seq}_${ordinal}`;
}

/**
 * The `input_json_delta` fragments of a streamed call. Given fragments are sent as they are;
 * without them the call is sent the way the API was recorded sending it: an empty first
 * fragment, then the whole input (a call without arguments gets the empty fragment only).
 */
function toolFragments(call: ResolvedToolCall, index: number, reply: ResolvedTextReply): string[] {
  if (reply.reply.toolCalls?.[index]?.argumentChunks) return call.argumentChunks;
  return call.argumentsText === "{}" ? [""] : ["", call.argumentsText];
}

/**
 * The usage object of a whole answer or of `message_start` (`outputTokens` 1 there, as
 * recorded). `input_tokens` leaves out cache reads and writes, as the API counts.
 * `output_tokens_details.thinking_tokens` (newer models) is sent only when the reply scripts
 * `reasoningTokens`.
 */
function usage(
  reply: ResolvedTextReply,
  outputTokens: number,
  whole: boolean,
): Record<string, unknown> {
  const u = reply.usage;
  if (u.raw) return u.raw;
  return {
    input_tokens: u.promptTokens,
    cache_creation_input_tokens: u.cacheWriteTokens ?? 0,
    cache_read_input_tokens: u.cachedTokens ?? 0,
    output_tokens: outputTokens,
    ...(whole &&
      reply.reply.usage?.reasoningTokens !== undefined && {
        output_tokens_details: { thinking_tokens: reply.reply.usage.reasoningTokens },
      }),
  };
}

/**
 * The usage of `message_delta`: the final `output_tokens`, and with `deltaInputUsage` the input
 * and cache counts again (newer API versions, anthropic-text.chunks.txt).
 */
function deltaUsage(reply: ResolvedTextReply): Record<string, unknown> {
  const u = reply.usage;
  if (u.raw) return u.raw;
  if (!u.deltaInputUsage) {
    return {
      output_tokens: u.completionTokens,
      ...(reply.reply.usage?.reasoningTokens !== undefined && {
        output_tokens_details: { thinking_tokens: reply.reply.usage.reasoningTokens },
      }),
    };
  }
  const { output_tokens: _, ...rest } = usage(reply, u.completionTokens, true);
  const { output_tokens_details, ...input } = rest;
  return {
    ...input,
    output_tokens: u.completionTokens,
    ...(output_tokens_details !== undefined && { output_tokens_details }),
  };
}

function renderBody(reply: ResolvedTextReply, ctx: RenderContext): ResponsePlan {
  const content: Record<string, unknown>[] = [];
  if (reply.reasoning !== undefined) {
    content.push({ type: "thinking", thinking: reply.reasoning, signature: MOCK_SIGNATURE });
  }
  if (reply.content !== "") content.push({ type: "text", text: reply.content });
  reply.toolCalls.forEach((call, i) => {
    content.push({
      type: "tool_use",
      id: toolUseId(call, ctx, i),
      name: call.name,
      input: call.argumentsObject,
    });
  });
  const body = mergeExtra(
    {
      id: messageId(ctx),
      type: "message",
      role: "assistant",
      model: reply.model,
      content,
      stop_reason: reply.finishReason ?? null,
      stop_sequence: null,
      usage: usage(reply, reply.usage.completionTokens, true),
    },
    reply.reply.extra,
  );
  return {
    kind: "body",
    status: reply.reply.status ?? 200,
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  };
}

function event(value: Record<string, unknown>): string {
  return sseFrame(JSON.stringify(value), value.type as string);
}

function renderStream(reply: ResolvedTextReply, ctx: RenderContext): ResponsePlan {
  const preamble = [
    event({
      type: "message_start",
      message: {
        id: messageId(ctx),
        type: "message",
        role: "assistant",
        model: reply.model,
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: usage(reply, 1, false),
      },
    }),
  ];
  const groups: string[][] = [];
  // Frames waiting to be sent with the next content chunk (or with the trailer).
  let carry: string[] = preamble;
  let index = 0;
  let pinged = false;

  const block = (
    contentBlock: Record<string, unknown>,
    chunks: string[],
    delta: (text: string) => Record<string, unknown>,
    closing: Record<string, unknown>[] = [],
  ) => {
    carry.push(event({ type: "content_block_start", index, content_block: contentBlock }));
    // Recorded streams show pings right after the first block starts and around tool blocks.
    if (!pinged || contentBlock.type === "tool_use") {
      carry.push(event({ type: "ping" }));
      pinged = true;
    }
    for (const text of chunks) {
      groups.push([...carry, event({ type: "content_block_delta", index, delta: delta(text) })]);
      carry = [];
    }
    for (const value of closing)
      carry.push(event({ type: "content_block_delta", index, delta: value }));
    carry.push(event({ type: "content_block_stop", index }));
    index++;
  };

  if (reply.reasoningChunks.length > 0) {
    block(
      { type: "thinking", thinking: "", signature: "" },
      reply.reasoningChunks,
      (thinking) => ({ type: "thinking_delta", thinking }),
      [{ type: "signature_delta", signature: MOCK_SIGNATURE }],
    );
  }
  if (reply.contentChunks.length > 0) {
    block({ type: "text", text: "" }, reply.contentChunks, (text) => ({
      type: "text_delta",
      text,
    }));
  }
  reply.toolCalls.forEach((call, i) => {
    block(
      { type: "tool_use", id: toolUseId(call, ctx, i), name: call.name, input: {} },
      toolFragments(call, i, reply),
      (partial_json) => ({ type: "input_json_delta", partial_json }),
    );
  });

  const trailer = carry;
  if (reply.finishReason !== undefined) {
    trailer.push(
      event(
        mergeExtra(
          {
            type: "message_delta",
            delta: { stop_reason: reply.finishReason, stop_sequence: null },
            usage: deltaUsage(reply),
          },
          reply.reply.extra,
        ),
      ),
    );
  }
  if (!reply.reply.omitDone) trailer.push(event({ type: "message_stop" }));
  return {
    kind: "stream",
    status: reply.reply.status ?? 200,
    headers: { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache" },
    groups,
    trailer,
  };
}

/**
 * Anthropic Messages dialect (`POST .../messages`). Tool calls are `tool_use` blocks after the
 * text (streamed as `input_json_delta` fragments in blocks of their own, with pings between
 * blocks, as recorded from the live API); their finish is `stop_reason: "tool_use"`.
 */
export const anthropicDialect: DialectRenderer = {
  defaultFinish: "end_turn",
  mapFinish: (value) => FINISH_FROM_OPENAI[value] ?? value,
  baseHeaders: (ctx) => ({ "request-id": `req_mock_${ctx.seq}` }),
  renderText: (reply, ctx) =>
    ctx.request.stream ? renderStream(reply, ctx) : renderBody(reply, ctx),
  streamErrorFrame: (body) => sseFrame(payloadText(body ?? DEFAULT_STREAM_ERROR), "error"),
  rawDataFrame: (text) => sseFrame(text, "content_block_delta"),
};
