/**
 * Prompt and answer content in the shape of the GenAI conventions' `gen_ai.input.messages` and
 * `gen_ai.output.messages` (role + parts), as JSON strings. Used only with `captureContent: true`.
 */
import type { FinishReason, ImageInput, Message } from "@rephysco/core";

type Part =
  | { type: "text"; content: string }
  | { type: "reasoning"; content: string }
  | { type: "uri"; modality: "image"; uri: string }
  | { type: "blob"; modality: "image" }
  | { type: "tool_call"; id: string; name: string; arguments: unknown }
  | { type: "tool_call_response"; id: string; response: string };

function imagePart(image: ImageInput): Part {
  const uri = typeof image === "string" ? image : image instanceof URL ? image.href : undefined;
  // Inline data (bytes, base64) is never exported: only that an image was there.
  if (typeof uri === "string" && /^https?:\/\//i.test(uri)) {
    const safe = safeUri(uri);
    if (safe) return { type: "uri", modality: "image", uri: safe };
  }
  return { type: "blob", modality: "image" };
}

/**
 * An image URL without what may be a credential: user info, query string (signed URLs carry
 * their signature there) and fragment. `undefined` when it does not parse.
 */
function safeUri(uri: string): string | undefined {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return undefined;
  }
  url.username = "";
  url.password = "";
  url.search = "";
  url.hash = "";
  return url.href;
}

/** The conventions' input messages for a call's messages. */
export function inputMessages(messages: readonly Message[]): string {
  const out: { role: string; parts: Part[] }[] = [];
  for (const m of messages) {
    const parts: Part[] = [];
    if (m.role === "tool") {
      parts.push({ type: "tool_call_response", id: m.toolCallId ?? "", response: m.content });
    } else {
      if (m.reasoning) parts.push({ type: "reasoning", content: m.reasoning });
      if (m.content) parts.push({ type: "text", content: m.content });
      for (const image of m.images ?? []) parts.push(imagePart(image));
      for (const call of m.toolCalls ?? [])
        parts.push({ type: "tool_call", id: call.id, name: call.name, arguments: call.arguments });
    }
    out.push({ role: m.role, parts });
  }
  return JSON.stringify(out);
}

/** The conventions' output messages for an answer's text. */
export function outputMessages(content: string, finishReason: FinishReason | undefined): string {
  // An unknown finish reason is left out rather than reported as `stop`.
  return JSON.stringify([
    {
      role: "assistant",
      parts: content ? [{ type: "text", content }] : [],
      ...(finishReason && { finish_reason: finishReason }),
    },
  ]);
}
