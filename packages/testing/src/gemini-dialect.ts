import { type DialectRenderer, payloadText, type RenderContext, sseFrame } from "./dialect.js";
import type { ResponsePlan } from "./response-plan.js";
import { mergeExtra, type ResolvedTextReply, type ResolvedToolCall } from "./text-reply.js";

const FINISH_FROM_OPENAI: Record<string, string> = {
  stop: "STOP",
  length: "MAX_TOKENS",
  content_filter: "SAFETY",
  tool_calls: "STOP",
};

const DEFAULT_STREAM_ERROR = {
  error: {
    code: 500,
    message:
      "An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting",
    status: "INTERNAL",
  },
};

// The real service ends events with CRLF pairs; both parsers in use accept it, and it keeps
// clients honest about line endings.
const EOL = "\r\n";

interface Part {
  text?: string;
  thought?: true;
  functionCall?: { name: string; args: Record<string, unknown>; id?: string };
  thoughtSignature?: string;
}

/**
 * A tool call as Gemini sends it: a whole `functionCall` part (`name`, `args` as an object, and
 * an `id` only on surfaces that send one), with the call's `thoughtSignature` beside it on the
 * part (Gemini 3), as in recorded `generateContent` / `streamGenerateContent` traffic.
 */
function functionCallPart(call: ResolvedToolCall): Part {
  const part: Part = {
    functionCall: {
      name: call.name,
      args: call.argumentsObject,
      ...(call.id !== undefined && { id: call.id }),
    },
  };
  if (call.thoughtSignature !== undefined) part.thoughtSignature = call.thoughtSignature;
  return part;
}

/** Usage after `answered` of the answer chunks and `thought` of the reasoning chunks; cumulative like the API. */
function usageMetadata(reply: ResolvedTextReply, fraction: { answer: number; thought: number }) {
  const { promptTokens, completionTokens, reasoningTokens, cachedTokens, toolUsePromptTokens } =
    reply.usage;
  if (reply.usage.raw) return reply.usage.raw;
  const candidates = Math.round(completionTokens * fraction.answer);
  const thoughts =
    reasoningTokens === undefined ? undefined : Math.round(reasoningTokens * fraction.thought);
  // Field order as in recorded traffic; the total counts every part apart from the cache
  // (cachedContentTokenCount is within promptTokenCount).
  const usage: Record<string, unknown> = {
    promptTokenCount: promptTokens,
    candidatesTokenCount: candidates,
    totalTokenCount: promptTokens + candidates + (thoughts ?? 0) + (toolUsePromptTokens ?? 0),
  };
  if (cachedTokens !== undefined) usage.cachedContentTokenCount = cachedTokens;
  usage.promptTokensDetails = [{ modality: "TEXT", tokenCount: promptTokens }];
  if (cachedTokens !== undefined)
    usage.cacheTokensDetails = [{ modality: "TEXT", tokenCount: cachedTokens }];
  if (thoughts !== undefined) usage.thoughtsTokenCount = thoughts;
  if (toolUsePromptTokens !== undefined) {
    usage.toolUsePromptTokenCount = toolUsePromptTokens;
    usage.toolUsePromptTokensDetails = [{ modality: "TEXT", tokenCount: toolUsePromptTokens }];
  }
  return usage;
}

function response(
  reply: ResolvedTextReply,
  ctx: RenderContext,
  candidate: Record<string, unknown>,
  usage: Record<string, unknown>,
): Record<string, unknown> {
  return {
    candidates: [candidate],
    usageMetadata: usage,
    modelVersion: reply.model,
    responseId: `mock-response-${ctx.seq}`,
  };
}

function renderBody(reply: ResolvedTextReply, ctx: RenderContext): ResponsePlan {
  const parts: Part[] = [];
  if (reply.reasoning !== undefined) parts.push({ text: reply.reasoning, thought: true });
  if (reply.content !== "") {
    const text: Part = { text: reply.content };
    if (reply.reply.thoughtSignature !== undefined)
      text.thoughtSignature = reply.reply.thoughtSignature;
    parts.push(text);
  }
  for (const call of reply.toolCalls) parts.push(functionCallPart(call));
  const candidate: Record<string, unknown> = {};
  // A blocked output has no content at all, as the API sends it.
  if (parts.length > 0) candidate.content = { parts, role: "model" };
  if (reply.finishReason !== undefined) candidate.finishReason = reply.finishReason;
  candidate.index = 0;
  // Recorded answers that call functions say so (the finish reason itself stays STOP).
  if (reply.toolCalls.length > 0 && reply.finishReason === "STOP")
    candidate.finishMessage = "Model generated function call(s).";
  const body = mergeExtra(
    response(reply, ctx, candidate, usageMetadata(reply, { answer: 1, thought: 1 })),
    reply.reply.extra,
  );
  return {
    kind: "body",
    status: reply.reply.status ?? 200,
    headers: { "content-type": "application/json; charset=UTF-8" },
    body: JSON.stringify(body),
  };
}

function renderStream(reply: ResolvedTextReply, ctx: RenderContext): ResponsePlan {
  const sse = ctx.request.query.alt === "sse";
  const events: Record<string, unknown>[] = [];
  const thoughtCount = reply.reasoningChunks.length;
  const answerCount = reply.contentChunks.length;
  const fraction = (done: number, total: number) => (total === 0 ? 1 : done / total);
  reply.reasoningChunks.forEach((text, i) => {
    const usage = usageMetadata(reply, { answer: 0, thought: fraction(i + 1, thoughtCount) });
    const candidate = { content: { parts: [{ text, thought: true }], role: "model" }, index: 0 };
    events.push(response(reply, ctx, candidate, usage));
  });
  reply.contentChunks.forEach((text, i) => {
    const usage = usageMetadata(reply, { answer: fraction(i + 1, answerCount), thought: 1 });
    const candidate = { content: { parts: [{ text }], role: "model" }, index: 0 };
    events.push(response(reply, ctx, candidate, usage));
  });
  // Calls arrive whole, all of an answer's (parallel) calls in one event, after its text.
  if (reply.toolCalls.length > 0) {
    const usage = usageMetadata(reply, { answer: 1, thought: 1 });
    const candidate = {
      content: { parts: reply.toolCalls.map(functionCallPart), role: "model" },
      index: 0,
    };
    events.push(response(reply, ctx, candidate, usage));
  }
  const contentCount = events.length;

  // The finish reason rides on its own closing event (empty text), as in recorded streams; the
  // text's thought signature comes on that empty part.
  const last: Record<string, unknown> = { index: 0 };
  const signature = reply.reply.thoughtSignature;
  if (contentCount > 0 || signature !== undefined) {
    const closingPart: Part = { text: "" };
    if (signature !== undefined) closingPart.thoughtSignature = signature;
    last.content = { parts: [closingPart], role: "model" };
  }
  if (reply.finishReason !== undefined) last.finishReason = reply.finishReason;
  const closing = mergeExtra(
    response(reply, ctx, last, usageMetadata(reply, { answer: 1, thought: 1 })),
    reply.reply.extra,
  );
  events.push(closing);

  const status = reply.reply.status ?? 200;
  if (sse) {
    const frames = events.map((event) => sseFrame(JSON.stringify(event), undefined, EOL));
    return {
      kind: "stream",
      status,
      headers: { "content-type": "text/event-stream" },
      groups: frames.slice(0, contentCount).map((frame) => [frame]),
      trailer: frames.slice(contentCount),
    };
  }
  // Without alt=sse the API streams one JSON array, element by element.
  const pieces = events.map((event, i) => `${i === 0 ? "[" : ",\r\n"}${JSON.stringify(event)}`);
  return {
    kind: "stream",
    status,
    headers: { "content-type": "application/json; charset=UTF-8" },
    groups: pieces.slice(0, contentCount).map((piece) => [piece]),
    trailer: [...pieces.slice(contentCount), "]"],
  };
}

/** Gemini Developer API dialect (`generateContent` / `streamGenerateContent`). */
export const geminiDialect: DialectRenderer = {
  defaultFinish: "STOP",
  mapFinish: (value) => FINISH_FROM_OPENAI[value] ?? value,
  baseHeaders: () => ({}),
  renderText: (reply, ctx) =>
    ctx.request.stream ? renderStream(reply, ctx) : renderBody(reply, ctx),
  streamErrorFrame: (body) => sseFrame(payloadText(body ?? DEFAULT_STREAM_ERROR), undefined, EOL),
  rawDataFrame: (text) => sseFrame(text, undefined, EOL),
};
