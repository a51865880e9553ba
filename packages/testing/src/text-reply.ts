import type { MockTextReply, MockUsage } from "./mock-reply.js";
import { countTokens, type RequestText } from "./request-text.js";

/** A text reply with chunks, usage and model resolved; what dialect renderers consume. */
export interface ResolvedTextReply {
  content: string;
  contentChunks: string[];
  /** Undefined when the reply has no reasoning. */
  reasoning: string | undefined;
  reasoningChunks: string[];
  /** Native finish reason, or undefined when the reply omits it. */
  finishReason: string | undefined;
  usage: Required<Pick<MockUsage, "promptTokens" | "completionTokens">> & {
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
  const finishReason = reply.omitFinish
    ? undefined
    : options.mapFinish(reply.finishReason ?? options.defaultFinish);
  return {
    content,
    contentChunks,
    reasoning,
    reasoningChunks,
    finishReason,
    usage: {
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
