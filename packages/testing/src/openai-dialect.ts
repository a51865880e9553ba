import { type DialectRenderer, payloadText, type RenderContext, sseFrame } from "./dialect.js";
import type { ResponsePlan } from "./response-plan.js";
import { mergeExtra, type ResolvedTextReply, type ResolvedToolCall } from "./text-reply.js";

/** Fixed epoch (2026-01-01) plus the response counter: deterministic `created` values. */
const CREATED_BASE = 1_767_225_600;

const DEFAULT_STREAM_ERROR = {
  error: {
    message: "The server had an error while processing your request. Sorry about that!",
    type: "server_error",
    param: null,
    code: null,
  },
};

type Style = "openai" | "dashscope" | "xai";
type Json = Record<string, unknown>;

/** The `usage` object in the vendor's shape (see `MockUsage.style`), field order as recorded. */
function openaiUsage(reply: ResolvedTextReply): Json {
  const u = reply.usage;
  if (u.raw) return u.raw;
  const { promptTokens, completionTokens, reasoningTokens } = u;
  const cached = u.cachedTokens ?? 0;
  switch (u.style) {
    case "xai":
      // completion_tokens leaves the reasoning out; the total counts it (xai-text.json).
      return {
        prompt_tokens: promptTokens,
        completion_tokens: completionTokens,
        total_tokens: promptTokens + completionTokens + (reasoningTokens ?? 0),
        prompt_tokens_details: {
          text_tokens: promptTokens,
          audio_tokens: 0,
          image_tokens: 0,
          cached_tokens: cached,
        },
        completion_tokens_details: {
          reasoning_tokens: reasoningTokens ?? 0,
          audio_tokens: 0,
          accepted_prediction_tokens: 0,
          rejected_prediction_tokens: 0,
        },
        num_sources_used: 0,
        ...(u.costInUsdTicks !== undefined && { cost_in_usd_ticks: u.costInUsdTicks }),
      };
    case "dashscope":
      return {
        prompt_tokens: promptTokens,
        completion_tokens: completionTokens,
        total_tokens: promptTokens + completionTokens,
        ...(reasoningTokens !== undefined && {
          completion_tokens_details: { reasoning_tokens: reasoningTokens },
        }),
        prompt_tokens_details: { cached_tokens: cached },
      };
    case "deepseek":
      return {
        prompt_tokens: promptTokens,
        completion_tokens: completionTokens,
        total_tokens: promptTokens + completionTokens,
        ...(reasoningTokens !== undefined && {
          completion_tokens_details: { reasoning_tokens: reasoningTokens },
        }),
        prompt_cache_hit_tokens: cached,
        prompt_cache_miss_tokens: promptTokens - cached,
      };
    default:
      return {
        prompt_tokens: promptTokens,
        completion_tokens: completionTokens,
        total_tokens: promptTokens + completionTokens,
        prompt_tokens_details: { cached_tokens: cached, audio_tokens: 0 },
        completion_tokens_details: {
          reasoning_tokens: reasoningTokens ?? 0,
          audio_tokens: 0,
          accepted_prediction_tokens: 0,
          rejected_prediction_tokens: 0,
        },
        ...(u.costInUsdTicks !== undefined && { cost_in_usd_ticks: u.costInUsdTicks }),
      };
  }
}

function includeUsage(body: unknown): boolean {
  if (typeof body !== "object" || body === null) return false;
  const options = (body as { stream_options?: unknown }).stream_options;
  return (
    typeof options === "object" &&
    options !== null &&
    (options as { include_usage?: unknown }).include_usage === true
  );
}

/** The id of a tool call: the one the reply gives, else `call_<response>_<ordinal>`. */
function callId(call: ResolvedToolCall, ctx: RenderContext, ordinal: number): string {
  return call.id ?? `call_${ctx.seq}_${ordinal}`;
}

/**
 * A whole tool call in a non-streamed message. Key order and fields as recorded: OpenAI
 * `{id, type, function}`; DashScope adds `index` (alibaba-tool-call.json); xAI has no `index`
 * either (xai-tool-call.json).
 */
function wholeCall(call: ResolvedToolCall, ctx: RenderContext, i: number, style: Style): Json {
  const id = callId(call, ctx, i);
  const fn = { name: call.name, arguments: call.argumentsText };
  if (style === "dashscope")
    return { function: { arguments: fn.arguments, name: fn.name }, id, index: i, type: "function" };
  if (style === "xai") return { id, function: fn, type: "function" };
  return { id, type: "function", function: fn };
}

function renderBody(reply: ResolvedTextReply, ctx: RenderContext, id: string): ResponsePlan {
  const { nullFields } = reply.reply;
  const style: Style = reply.reply.toolCallStyle ?? "openai";
  const calls = reply.toolCalls;
  // OpenAI sends `content: null` for an answer that is only tool calls or a refusal; DashScope
  // and xAI send `""` (recorded in alibaba-tool-call.json / xai-tool-call.json).
  const noText =
    reply.content === "" &&
    (nullFields || (style === "openai" && (calls.length > 0 || reply.refusal !== undefined)));
  const message: Json = { role: "assistant", content: noText ? null : reply.content };
  if (reply.reasoning !== undefined) message.reasoning_content = reply.reasoning;
  else if (nullFields) message.reasoning_content = null;
  if (calls.length > 0) message.tool_calls = calls.map((call, i) => wholeCall(call, ctx, i, style));
  message.refusal = reply.refusal ?? null;
  if (style === "openai") message.annotations = [];
  const body = mergeExtra(
    {
      id,
      object: "chat.completion",
      created: CREATED_BASE + ctx.seq,
      model: reply.model,
      choices: [{ index: 0, message, logprobs: null, finish_reason: reply.finishReason ?? null }],
      usage: openaiUsage(reply),
      service_tier: "default",
      system_fingerprint: "fp_mock",
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

/**
 * The deltas of the tool calls, one delta per stream chunk, in the style of the vendor:
 * - `openai`: the first delta of an index carries `id`, `type`, `function.name` and
 *   `arguments: ""`; each argument chunk follows in a delta of its own holding only `index` and
 *   `function.arguments` (recorded OpenAI traffic).
 * - `dashscope`: later deltas repeat `"id": ""` and `"type": "function"`, the first delta carries
 *   the first argument chunk (give `""` as the first chunk for the recorded empty start), and a
 *   trailing delta with empty `arguments` closes each call (alibaba-tool-call.chunks.txt).
 * - `xai`: each call whole in one delta (xai-tool-call.chunks.txt).
 */
function toolCallDeltas(reply: ResolvedTextReply, ctx: RenderContext, style: Style): Json[] {
  const deltas: Json[] = [];
  reply.toolCalls.forEach((call, index) => {
    const id = callId(call, ctx, index);
    const one = (value: Json): Json => ({ tool_calls: [value] });
    if (style === "xai") {
      deltas.push(
        one({
          id,
          function: { name: call.name, arguments: call.argumentsText },
          index,
          type: "function",
        }),
      );
      return;
    }
    if (style === "dashscope") {
      const [first = "", ...rest] = call.argumentChunks;
      deltas.push({
        content: null,
        ...one({ index, id, type: "function", function: { name: call.name, arguments: first } }),
      });
      for (const text of rest) {
        deltas.push({
          content: null,
          ...one({ index, id: "", type: "function", function: { arguments: text } }),
        });
      }
      deltas.push(one({ function: { arguments: "" }, index, id: "", type: "function" }));
      return;
    }
    deltas.push(one({ index, id, type: "function", function: { name: call.name, arguments: "" } }));
    for (const text of call.argumentChunks)
      deltas.push(one({ index, function: { arguments: text } }));
  });
  return deltas;
}

function renderStream(reply: ResolvedTextReply, ctx: RenderContext, id: string): ResponsePlan {
  const { nullFields, omitDone, extra } = reply.reply;
  const style: Style = reply.reply.toolCallStyle ?? "openai";
  const withUsage = includeUsage(ctx.request.body);
  const chunk = (choices: unknown[], more?: Json): Json => {
    const value: Json = {
      id,
      object: "chat.completion.chunk",
      created: CREATED_BASE + ctx.seq,
      model: reply.model,
      system_fingerprint: "fp_mock",
      choices,
    };
    // As the real API: with include_usage every chunk carries `usage: null` except the usage chunk.
    if (withUsage) value.usage = null;
    return more ? mergeExtra(value, more) : value;
  };
  // xAI leaves `finish_reason` (and `logprobs`) out of every chunk but the last.
  const choice = (delta: Json, finish: string | null = null): Json =>
    style === "xai" && finish === null
      ? { index: 0, delta }
      : { index: 0, delta, logprobs: null, finish_reason: finish };
  const frame = (value: Json) => sseFrame(JSON.stringify(value));

  const deltas: Json[] = [
    ...reply.reasoningChunks.map((text) =>
      nullFields ? { content: null, reasoning_content: text } : { reasoning_content: text },
    ),
    ...reply.contentChunks.map((text) =>
      nullFields ? { content: text, reasoning_content: null } : { content: text },
    ),
    ...reply.refusalChunks.map((text) => ({ refusal: text })),
    ...toolCallDeltas(reply, ctx, style),
  ];
  // The role rides on the first delta (as xAI does) so that chunk counts match content chunks.
  // OpenAI opens an answer that has no text with `content: null` next to the role.
  const opening = (delta: Json): Json => {
    const open: Json = { role: "assistant", ...delta };
    if (style === "openai" && ("tool_calls" in delta || "refusal" in delta)) {
      open.content = null;
      open.refusal ??= null;
    }
    return open;
  };
  const groups = deltas.map((delta, i) => [
    frame(chunk([choice(i === 0 ? opening(delta) : delta)])),
  ]);

  const trailer: string[] = [];
  if (reply.finishReason !== undefined) {
    const delta: Json = nullFields ? { content: "", reasoning_content: null } : {};
    if (groups.length === 0) delta.role = "assistant";
    trailer.push(frame(chunk([choice(delta, reply.finishReason)], extra)));
  }
  if (withUsage) trailer.push(frame(chunk([], { usage: openaiUsage(reply) })));
  if (!omitDone) trailer.push(sseFrame("[DONE]"));
  return {
    kind: "stream",
    status: reply.reply.status ?? 200,
    headers: { "content-type": "text/event-stream", "cache-control": "no-cache" },
    groups,
    trailer,
  };
}

/**
 * OpenAI Chat Completions dialect (also DashScope compat, xAI, SiliconFlow). Tool calls are
 * rendered after the text, with ids `call_<response>_<ordinal>` unless the reply gives them;
 * `toolCallStyle` picks the vendor's streamed shape (see {@link toolCallDeltas}). A refusal is
 * `message.refusal` with `content: null` (streamed as `delta.refusal` fragments).
 */
export const openaiDialect: DialectRenderer = {
  defaultFinish: "stop",
  mapFinish: (value) => value,
  baseHeaders: (ctx) => ({ "x-request-id": `req_mock_${ctx.seq}` }),
  renderText(reply, ctx) {
    const id = `chatcmpl-mock-${ctx.seq}`;
    return ctx.request.stream ? renderStream(reply, ctx, id) : renderBody(reply, ctx, id);
  },
  streamErrorFrame: (body) => sseFrame(payloadText(body ?? DEFAULT_STREAM_ERROR)),
  rawDataFrame: (text) => sseFrame(text),
};
