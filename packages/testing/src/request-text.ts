import type { MockDialect } from "./recorded-request.js";

/** Text of the conversation a request carries, used for the echo reply and default usage. */
export interface RequestText {
  /** Text of the last user message. */
  lastUser: string;
  /** All message text (system prompt included). */
  all: string;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Text of OpenAI/Anthropic `content` (a string or an array of parts with `text`). */
function contentText(content: unknown): string {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return "";
  return content
    .map((part) => (isRecord(part) && typeof part.text === "string" ? part.text : ""))
    .filter((text) => text !== "")
    .join("\n");
}

function messagesText(
  messages: unknown,
  userRole: string,
  read: (message: Record<string, unknown>) => string,
): RequestText {
  let lastUser = "";
  const all: string[] = [];
  if (Array.isArray(messages)) {
    for (const message of messages) {
      if (!isRecord(message)) continue;
      const text = read(message);
      if (text) all.push(text);
      // Gemini allows contents without a role; they are user turns.
      if (message.role === userRole || message.role === undefined) lastUser = text;
    }
  }
  return { lastUser, all: all.join("\n") };
}

/** Extracts the conversation text of a parsed request body in the given dialect. */
export function requestText(dialect: MockDialect, body: unknown): RequestText {
  if (!isRecord(body)) return { lastUser: "", all: "" };
  if (dialect === "gemini") {
    const text = messagesText(body.contents, "user", (message) => contentText(message.parts));
    const system = isRecord(body.systemInstruction)
      ? contentText(body.systemInstruction.parts)
      : "";
    return { lastUser: text.lastUser, all: [system, text.all].filter(Boolean).join("\n") };
  }
  const text = messagesText(body.messages, "user", (message) => contentText(message.content));
  if (dialect === "anthropic") {
    const system = contentText(body.system);
    return { lastUser: text.lastUser, all: [system, text.all].filter(Boolean).join("\n") };
  }
  return text;
}

/** Deterministic token estimate: whitespace-separated words. */
export function countTokens(text: string): number {
  const words = text.trim().split(/\s+/);
  return words[0] === "" ? 0 : words.length;
}
