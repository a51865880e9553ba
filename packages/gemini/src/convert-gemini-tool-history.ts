import type { Part } from "@google/genai";
import type { Message, ToolCall } from "@rephysco/core";
import { toolArgumentsObject } from "@rephysco/core/http";

/**
 * The signature Gemini documents for function calls it did not produce (history from another
 * model or provider, a fallback, calls written by hand): Gemini 3 rejects a function call in the
 * current turn that has no thought signature with a 400, and accepts this value in its place.
 * See https://ai.google.dev/gemini-api/docs/thought-signatures#faqs ("You can set the following
 * dummy signatures of either `context_engineering_is_the_way_to_go` or
 * `skip_thought_signature_validator`"); Vertex AI documents only
 * `skip_thought_signature_validator`
 * (https://cloud.google.com/vertex-ai/generative-ai/docs/thought-signatures), so that is the one
 * used: it works on both.
 */
export const GEMINI_DUMMY_THOUGHT_SIGNATURE = "skip_thought_signature_validator";

/** A call made in an earlier assistant turn, as a later tool result needs it. */
export interface KnownToolCall {
  readonly name: string;
  /** Gemini's own `functionCall.id`, sent back on the `functionResponse`; absent for ours. */
  readonly geminiId: string | undefined;
}

/** This provider's string field of a metadata record, if it is one. */
function geminiString(
  metadata: ToolCall["providerMetadata"] | Message["providerMetadata"],
  key: string,
): string | undefined {
  const value = metadata?.gemini?.[key];
  return typeof value === "string" && value !== "" ? value : undefined;
}

/** The `functionCall.id` Gemini sent for this call, when the call still carries it. */
function geminiCallId(call: ToolCall): string | undefined {
  const own = geminiString(call.providerMetadata, "functionCallId");
  return own !== undefined && own === call.id ? own : undefined;
}

/** The turn's thought signature (from a text part of a Gemini answer), if this turn has one. */
export function turnThoughtSignature(message: Message): string | undefined {
  return geminiString(message.providerMetadata, "thoughtSignature");
}

/**
 * An assistant turn's calls as `functionCall` parts, recording each in `known` for the results
 * that follow. Only this provider's metadata is read (`providerMetadata.gemini`); other keys are
 * never sent.
 * - `args` is the arguments object (`toolArgumentsObject`);
 * - `id` is sent only when it was Gemini's own (`providerMetadata.gemini.functionCallId`); ids
 *   Rephysco made, or another provider's, stay on our side;
 * - each call's `thoughtSignature` is sent back exactly as received. A call without one gets
 *   {@link GEMINI_DUMMY_THOUGHT_SIGNATURE}, except after a call of the same turn that had a real
 *   one: Gemini signs only the first of parallel calls, and the others are sent as they came.
 */
export function functionCallParts(
  calls: readonly ToolCall[],
  known: Map<string, KnownToolCall>,
): Part[] {
  const parts: Part[] = [];
  let signed = false;
  for (const call of calls) {
    const geminiId = geminiCallId(call);
    known.set(call.id, { name: call.name, geminiId });
    const part: Part = {
      functionCall: {
        name: call.name,
        args: toolArgumentsObject(call),
        ...(geminiId !== undefined && { id: geminiId }),
      },
    };
    const signature = geminiString(call.providerMetadata, "thoughtSignature");
    if (signature !== undefined) {
      part.thoughtSignature = signature;
      signed = true;
    } else if (!signed) {
      part.thoughtSignature = GEMINI_DUMMY_THOUGHT_SIGNATURE;
    }
    parts.push(part);
  }
  return parts;
}

/**
 * What a tool result becomes in `functionResponse.response`, which Gemini takes as an object
 * only. The one rule:
 * - `isError: true` -> `{ error: content }` (the API reference's key for error details);
 * - content that parses as a JSON object -> that object, as it is;
 * - any other content (plain text, a JSON array, string or number) -> `{ result: content }`,
 *   the wrapping Gemini's function-calling guide uses.
 */
export function functionResponseOf(message: Message): Record<string, unknown> {
  const content = message.content;
  if (message.isError === true) return { error: content };
  // Only text that can be an object is parsed at all.
  if (/^\s*\{/.test(content)) {
    try {
      const parsed: unknown = JSON.parse(content);
      if (parsed !== null && typeof parsed === "object" && !Array.isArray(parsed))
        return parsed as Record<string, unknown>;
    } catch {
      // Not JSON: sent as text below.
    }
  }
  return { result: content };
}

/**
 * A tool result as a `functionResponse` part: `{ id?, name, response }`, the name (and Gemini's
 * id) taken from the call it answers, in the nearest earlier assistant turn. The messages were
 * checked first (`checkToolResults`), so that call is known.
 */
export function functionResponsePart(
  index: number,
  message: Message,
  known: ReadonlyMap<string, KnownToolCall>,
  provider: string,
): Part {
  const call = message.toolCallId === undefined ? undefined : known.get(message.toolCallId);
  if (!call) throw new TypeError(`rephysco: tool result ${index} was not checked (${provider})`);
  return {
    functionResponse: {
      ...(call.geminiId !== undefined && { id: call.geminiId }),
      name: call.name,
      response: functionResponseOf(message),
    },
  };
}
