import type { MockTextReply, MockToolCall, MockUsage } from "./mock-reply.js";
import { countTokens, type RequestText } from "./request-text.js";

/** A mock tool call with its arguments as text and as stream fragments. */
export interface ResolvedToolCall {
  /** The id given in the reply, if any (dialects supply their default). */
  id: string | undefined;
  name: string;
  /** The arguments as JSON text (a string given verbatim). */
  argumentsText: string;
  /** The arguments as an object (a string parsed; `{}` when it does not parse). */
  argumentsObject: Record<string, unknown>;
  /** Stream fragments of `argumentsText`. */
  argumentChunks: string[];
  thoughtSignature: string | undefined;
}

function resolveToolCall(call: MockToolCall): ResolvedToolCall {
  const text = typeof call.arguments === "string" ? call.arguments : JSON.stringify(call.arguments);
  let object: Record<string, unknown> = {};
  if (typeof call.arguments === "string") {
    try {
      const parsed: unknown = JSON.parse(call.arguments);
      if (parsed && typeof parsed === "object" && !Array.isArray(parsed))
        object = parsed as Record<string, unknown>;
    } catch {
      // Not JSON (a test of broken arguments): the object stays empty.
    }
  } else object = call.arguments;
  return {
    id: call.id,
    name: call.name,
    argumentsText: call.argumentChunks ? call.argumentChunks.join("") : text,
    argumentsObject: object,
    argumentChunks: call.argumentChunks ?? [text],
    thoughtSignature: call.thoughtSignature,
  };
}

/** A text reply with chunks, usage and model resolved; what dialect renderers consume. */
export interface ResolvedTextReply {
  /** Tool calls, in order (empty when none). */
  toolCalls: ResolvedToolCall[];
  /** Refusal text (OpenAI dialect), or undefined. */
  refusal: string | undefined;
  refusalChunks: string[];
  content: string;
  contentChunks: string[];
  /** Undefined when the reply has no reasoning. */
  reasoning: string | undefined;
  reasoningChunks: string[];
  /** Native finish reason, or undefined when the reply omits it. */
  finishReason: string | undefined;
  usage: Required<Pick<MockUsage, "promptTokens" | "completionTokens">> &
    Omit<MockUsage, "promptTokens" | "completionTokens" | "reasoningTokens"> & {
      reasoningTokens: number | undefined;
    };
  model: string;
  reply: MockTextReply;
}

function chunksOf(text: string | undefined, chunks: string[] | undefined): string[] {
  if (chunks) return chunks;
  return text ? [text] : [];
}

/**
 * Resolves chunks, usage and the finish reason of a text reply.
 * @param mapFinish translates a finish reason into the dialect's native value.
 */
export function resolveTextReply(
  reply: MockTextReply,
  options: {
    requestModel: string;
    text: RequestText;
    defaultFinish: string;
    mapFinish: (value: string) => string;
  },
): ResolvedTextReply {
  const contentChunks = chunksOf(reply.text, reply.chunks);
  const reasoningChunks = chunksOf(reply.reasoning, reply.reasoningChunks);
  const content = reply.chunks ? reply.chunks.join("") : (reply.text ?? "");
  const reasoning = reply.reasoningChunks ? reply.reasoningChunks.join("") : reply.reasoning;
  const toolCalls = (reply.toolCalls ?? []).map(resolveToolCall);
  const refusalChunks = chunksOf(reply.refusal, reply.refusalChunks);
  const refusal = reply.refusalChunks ? reply.refusalChunks.join("") : reply.refusal;
  const finishReason = reply.omitFinish
    ? undefined
    : options.mapFinish(
        reply.finishReason ?? (toolCalls.length > 0 ? "tool_calls" : options.defaultFinish),
      );
  return {
    toolCalls,
    refusal,
    refusalChunks,
    content,
    contentChunks,
    reasoning,
    reasoningChunks,
    finishReason,
    usage: {
      ...reply.usage,
      promptTokens: reply.usage?.promptTokens ?? Math.max(1, countTokens(options.text.all)),
      completionTokens: reply.usage?.completionTokens ?? countTokens(content),
      reasoningTokens:
        reply.usage?.reasoningTokens ??
        (reasoning === undefined ? undefined : countTokens(reasoning)),
    },
    model: reply.model ?? options.requestModel,
    reply,
  };
}

/** Shallow merge where a key explicitly set to `undefined` removes the key. */
export function mergeExtra(
  target: Record<string, unknown>,
  extra: Record<string, unknown> | undefined,
): Record<string, unknown> {
  if (!extra) return target;
  for (const [key, value] of Object.entries(extra)) {
    if (value === undefined) delete target[key];
    else target[key] = value;
  }
  return target;
}

/**
 * Splits `text` into `count` pieces of near-equal length whose concatenation is `text`.
 * Handy for building `chunks` for streaming replies.
 *
 * @example splitIntoChunks("Hello world", 3) // ["Hell", "o wo", "rld"]
 */
export function splitIntoChunks(text: string, count: number): string[] {
  const n = Math.max(1, Math.min(Math.floor(count), text.length || 1));
  const size = Math.ceil(text.length / n);
  const chunks: string[] = [];
  for (let i = 0; i < text.length; i += size) chunks.push(text.slice(i, i + size));
  return chunks.length > 0 ? chunks : [text];
}
