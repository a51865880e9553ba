import type { OpenAIAssistantMessage } from "./openai-chat-types.js";

/**
 * Reads reasoning text from a message or delta, trying each field name in order. `null` and
 * empty strings mean "nothing new" (DashScope sends `reasoning_content: null` while answering).
 */
export function extractReasoning(
  message: OpenAIAssistantMessage | null | undefined,
  fields: readonly string[],
): string | undefined {
  if (!message) return undefined;
  for (const field of fields) {
    const value = message[field];
    if (typeof value === "string" && value !== "") return value;
  }
  return undefined;
}
