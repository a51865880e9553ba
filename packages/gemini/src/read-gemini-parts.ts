import type { Part } from "@google/genai";
import type { JsonValue, ProviderMetadata, ToolCall } from "@rephysco/core";

/** What one candidate's parts (or one streamed event's parts) hold, kept apart. */
export interface GeminiParts {
  /** Answer text. */
  readonly content: string;
  /** Thought-summary text (`thought: true` parts). */
  readonly reasoning: string;
  /** The `functionCall` parts, in order; `undefined` when there are none. */
  readonly toolCalls: ToolCall[] | undefined;
  /**
   * The turn's metadata: the last `thoughtSignature` on a part that is not a function call, with
   * its scope (`providerMetadata.gemini.thoughtSignature` / `signatureScope`); `undefined` when
   * there is none.
   */
  readonly providerMetadata: ProviderMetadata | undefined;
}

/** A signature as this provider's metadata record, with the scope it is valid under. */
function signed(signature: string, scope: string | undefined): Record<string, JsonValue> {
  return scope === undefined
    ? { thoughtSignature: signature }
    : { thoughtSignature: signature, signatureScope: scope };
}

/**
 * 32-bit FNV-1a of `text` from `seed`: enough to tell calls apart in an id, costs no import (the
 * package does not load `node:crypto` for this) and is the same on every platform.
 */
function fnv1a(text: string, seed: number): string {
  let h = seed >>> 0;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, "0");
}

/**
 * The id Rephysco gives a Gemini function call that came without one (the Developer API usually
 * sends none). It is stable: the same answer always yields the same ids, so an answer replayed from
 * the cache and the history built from the first answer agree.
 * - `gemini_<responseId>_<ordinal>` when the response has a `responseId` (unique per answer, the
 *   same on every event of a stream), `ordinal` being the call's place among the answer's calls;
 * - else `gemini_<hash>_<ordinal>`, the hash (FNV-1a, 64 bits) taken over the name, the arguments
 *   text and the ordinal.
 *
 * Results are matched to calls by these ids; Gemini itself only sees the name (and the id, when
 * it sent one).
 */
export function geminiToolCallId(
  responseId: string | undefined,
  ordinal: number,
  name: string,
  rawArguments: string,
): string {
  if (responseId) return `gemini_${responseId}_${ordinal}`;
  const key = `${name}\u0000${rawArguments}\u0000${ordinal}`;
  return `gemini_${fnv1a(key, 0x811c9dc5)}${fnv1a(key, 0x050c5d1f)}_${ordinal}`;
}

function toolCallOf(
  part: Part,
  responseId: string | undefined,
  ordinal: number,
  scope: string | undefined,
): ToolCall {
  const fc = part.functionCall!;
  const name = fc.name ?? "";
  const args = fc.args ?? {};
  const rawArguments = JSON.stringify(args);
  const ownId = typeof fc.id === "string" && fc.id !== "" ? fc.id : undefined;
  let gemini: Record<string, JsonValue> | undefined;
  if (part.thoughtSignature) gemini = signed(part.thoughtSignature, scope);
  // Remembered so that history sends `id` back only when it was Gemini's own.
  if (ownId) gemini = { ...gemini, functionCallId: ownId };
  return {
    id: ownId ?? geminiToolCallId(responseId, ordinal, name, rawArguments),
    name,
    arguments: args,
    rawArguments,
    ...(gemini && { providerMetadata: { gemini } satisfies ProviderMetadata }),
  };
}

/**
 * Reads a candidate's parts: text, thoughts, `functionCall` parts (as tool calls, numbered from
 * `firstOrdinal`, the count of calls already seen in this answer) and the turn's thought
 * signature. A signature on a `functionCall` part belongs to that call
 * (`providerMetadata.gemini.thoughtSignature`, with `signatureScope` = `scope`, the credential
 * fingerprint it is valid under); one on any other part is the turn's.
 */
export function readGeminiParts(
  parts: readonly Part[] | undefined,
  responseId: string | undefined,
  firstOrdinal = 0,
  scope?: string,
): GeminiParts {
  let content = "";
  let reasoning = "";
  let toolCalls: ToolCall[] | undefined;
  let thoughtSignature: string | undefined;
  for (const part of parts ?? []) {
    if (part.functionCall) {
      toolCalls ??= [];
      toolCalls.push(toolCallOf(part, responseId, firstOrdinal + toolCalls.length, scope));
      continue;
    }
    if (part.thoughtSignature) thoughtSignature = part.thoughtSignature;
    if (typeof part.text !== "string" || part.text === "") continue;
    if (part.thought === true) reasoning += part.text;
    else content += part.text;
  }
  return {
    content,
    reasoning,
    toolCalls,
    providerMetadata:
      thoughtSignature === undefined ? undefined : { gemini: signed(thoughtSignature, scope) },
  };
}
