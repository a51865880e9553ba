import { InvalidRequestError, type Message } from "@rephysco/core";
import { imageToUrl } from "@rephysco/core/http";
import type { OpenAIChatMessage, OpenAIContentPart } from "./openai-chat-types.js";

/** Options for {@link convertToOpenAIMessages}. */
export interface ConvertToOpenAIMessagesOptions {
  /** Registry id, for error messages. */
  readonly provider: string;
  /** Role that system messages are sent as (`developer` for OpenAI reasoning models). */
  readonly systemRole?: "system" | "developer";
}

/**
 * Converts Rephysco messages to OpenAI chat messages. Text-only messages keep plain string
 * content; a message with images becomes `[text, image_url...]` parts and is never flattened
 * back to a string (flattening is how some gateways silently drop Qwen-VL images).
 *
 * @throws {InvalidRequestError} for `tool` messages (no tool support yet) and for images on
 * non-user messages, which the OpenAI dialect rejects.
 */
export function convertToOpenAIMessages(
  messages: readonly Message[],
  { provider, systemRole = "system" }: ConvertToOpenAIMessagesOptions,
): OpenAIChatMessage[] {
  return messages.map((message): OpenAIChatMessage => {
    const name = message.name === undefined ? {} : { name: message.name };
    const images = message.images ?? [];
    switch (message.role) {
      case "system":
      case "assistant":
        if (images.length > 0) {
          throw new InvalidRequestError(
            `${provider}: images are only accepted on user messages, not on a ${message.role} message.`,
            { provider, reason: "unsupported_role" },
          );
        }
        return {
          role: message.role === "system" ? systemRole : "assistant",
          content: message.content,
          ...name,
        };
      case "user": {
        if (images.length === 0) return { role: "user", content: message.content, ...name };
        const parts: OpenAIContentPart[] = [];
        if (message.content !== "") parts.push({ type: "text", text: message.content });
        for (const image of images) {
          parts.push({ type: "image_url", image_url: { url: imageToUrl(image, provider) } });
        }
        return { role: "user", content: parts, ...name };
      }
      default:
        throw new InvalidRequestError(
          `${provider}: messages with role "${message.role}" are not supported (no tool calling yet).`,
          { provider, reason: "unsupported_role" },
        );
    }
  });
}
