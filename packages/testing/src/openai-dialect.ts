import { type DialectRenderer, payloadText, type RenderContext, sseFrame } from "./dialect.js";
import type { ResponsePlan } from "./response-plan.js";
import { mergeExtra, type ResolvedTextReply } from "./text-reply.js";

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

function openaiUsage(reply: ResolvedTextReply): Record<string, unknown> {
  const { promptTokens, completionTokens, reasoningTokens } = reply.usage;
  return {
    prompt_tokens: promptTokens,
    completion_tokens: completionTokens,
    total_tokens: promptTokens + completionTokens,
    prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
    completion_tokens_details: {
      reasoning_tokens: reasoningTokens ?? 0,
      audio_tokens: 0,
      accepted_prediction_tokens: 0,
      rejected_prediction_tokens: 0,
    },
  };
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

function renderBody(reply: ResolvedTextReply, ctx: RenderContext, id: string): ResponsePlan {
  const { nullFields } = reply.reply;
  const message: Record<string, unknown> = {
    role: "assistant",
    content: nullFields && reply.content === "" ? null : reply.content,
  };
  if (reply.reasoning !== undefined) message.reasoning_content = reply.reasoning;
  else if (nullFields) message.reasoning_content = null;
  message.refusal = null;
  message.annotations = [];
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

function renderStream(reply: ResolvedTextReply, ctx: RenderContext, id: string): ResponsePlan {
  const { nullFields, omitDone, extra } = reply.reply;
  const withUsage = includeUsage(ctx.request.body);
  const chunk = (choices: unknown[], more?: Record<string, unknown>): Record<string, unknown> => {
    const value: Record<string, unknown> = {
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
  const choice = (delta: Record<string, unknown>, finish: string | null = null) => ({
    index: 0,
    delta,
    logprobs: null,
    finish_reason: finish,
  });
  const frame = (value: Record<string, unknown>) => sseFrame(JSON.stringify(value));

  const deltas: Record<string, unknown>[] = [
    ...reply.reasoningChunks.map((text) =>
      nullFields ? { content: null, reasoning_content: text } : { reasoning_content: text },
    ),
    ...reply.contentChunks.map((text) =>
      nullFields ? { content: text, reasoning_content: null } : { content: text },
    ),
  ];
  // The role rides on the first delta (as xAI does) so that chunk counts match content chunks.
  const groups = deltas.map((delta, i) => [
    frame(chunk([choice(i === 0 ? { role: "assistant", ...delta } : delta)])),
  ]);

  const trailer: string[] = [];
  if (reply.finishReason !== undefined) {
    const delta: Record<string, unknown> = nullFields
      ? { content: "", reasoning_content: null }
      : {};
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

/** OpenAI Chat Completions dialect (also DashScope compat, xAI, SiliconFlow). */
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
