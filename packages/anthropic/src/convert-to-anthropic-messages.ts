import { InvalidRequestError, type Message } from "@rephysco/core";
import { resolveImage } from "@rephysco/core/http";
import type {
  AnthropicMessage,
  AnthropicPrompt,
  AnthropicRequestBlock,
} from "./anthropic-api-types.js";

function toBlocks(message: Message, provider: string): AnthropicRequestBlock[] {
  const blocks: AnthropicRequestBlock[] = [];
  // Images go before the text: Anthropic documents better results with the image first.
  for (const image of message.images ?? []) {
    const resolved = resolveImage(image, provider);
    blocks.push({
      type: "image",
      source:
        resolved.kind === "url"
          ? { type: "url", url: resolved.url }
          : { type: "base64", media_type: resolved.mediaType, data: resolved.base64 },
    });
  }
  if (message.content !== "") blocks.push({ type: "text", text: message.content });
  return blocks;
}

/**
 * Converts Rephysco messages to the Messages API shape: system messages are joined into the
 * top-level `system` field (Anthropic has no system role), images become `image` blocks with a
 * base64 or URL source, and consecutive messages of one role are merged into one turn because the
 * API expects user and assistant turns to alternate.
 *
 * @throws {InvalidRequestError} for a `tool` message, or images on a non-user message.
 */
export function convertToAnthropicMessages(
  messages: readonly Message[],
  provider = "anthropic",
): AnthropicPrompt {
  const system: string[] = [];
  const out: AnthropicMessage[] = [];
  for (const message of messages) {
    if (message.role === "system") {
      if (message.content !== "") system.push(message.content);
      continue;
    }
    if (message.role !== "user" && message.role !== "assistant") {
      throw new InvalidRequestError(`${provider}: "${message.role}" messages are not supported.`, {
        provider,
        reason: "unsupported_role",
      });
    }
    if (message.images?.length && message.role !== "user") {
      throw new InvalidRequestError(`${provider}: images are only accepted on user messages.`, {
        provider,
        reason: "invalid_image",
      });
    }
    const hasImages = (message.images?.length ?? 0) > 0;
    const last = out.at(-1);
    if (last && last.role === message.role) {
      const merged = [
        ...(typeof last.content === "string"
          ? [{ type: "text" as const, text: last.content }]
          : last.content),
        ...toBlocks(message, provider),
      ];
      out[out.length - 1] = { role: last.role, content: merged };
    } else {
      out.push({
        role: message.role,
        content: hasImages ? toBlocks(message, provider) : message.content,
      });
    }
  }
  return { ...(system.length > 0 && { system: system.join("\n\n") }), messages: out };
}
