import { InvalidRequestError, type Message } from "@rephysco/core";
import { imageToUrl, toolArgumentsJson } from "@rephysco/core/http";
import type { AcmeMessage } from "./acme-api-types.js";

/**
 * Converts Rephysco messages to Acme's (OpenAI-style) messages: images become `image_url`
 * parts, an assistant turn's `toolCalls` become `tool_calls` (arguments replayed as valid JSON
 * with `toolArgumentsJson`), and each `tool` message becomes `{ role: "tool", tool_call_id,
 * content }`. Acme has no field for a failed tool, so an `isError` result is sent as its text.
 */
export function convertToAcmeMessages(messages: readonly Message[]): AcmeMessage[] {
  return messages.map((m): AcmeMessage => {
    if (m.role === "tool") {
      if (!m.toolCallId) {
        throw new InvalidRequestError("acme: a tool message needs the toolCallId it answers.", {
          provider: "acme",
          reason: "invalid_input",
        });
      }
      return { role: "tool", tool_call_id: m.toolCallId, content: m.content };
    }
    if (m.role === "assistant") {
      if (!m.toolCalls?.length) return { role: "assistant", content: m.content };
      return {
        role: "assistant",
        content: m.content === "" ? null : m.content,
        tool_calls: m.toolCalls.map((call) => ({
          id: call.id,
          type: "function" as const,
          function: { name: call.name, arguments: toolArgumentsJson(call) },
        })),
      };
    }
    if (!m.images?.length) return { role: m.role, content: m.content };
    return {
      role: m.role,
      content: [
        { type: "text", text: m.content },
        ...m.images.map((img) => ({
          type: "image_url" as const,
          image_url: { url: imageToUrl(img, "acme") },
        })),
      ],
    };
  });
}
