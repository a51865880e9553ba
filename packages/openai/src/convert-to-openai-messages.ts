import { InvalidRequestError, type Message } from "@rephysco/core";
import { imageToUrl, toolArgumentsJson } from "@rephysco/core/http";
import type { OpenAIChatMessage, OpenAIContentPart } from "./openai-chat-types.js";

/** Options for {@link convertToOpenAIMessages}. */
export interface ConvertToOpenAIMessagesOptions {
  /** Registry id, for error messages. */
  readonly provider: string;
  /** Role that system messages are sent as (`developer` for OpenAI reasoning models). */
  readonly systemRole?: "system" | "developer";
  /**
   * Send an assistant turn's `reasoning` back as `reasoning_content` (services with
   * DeepSeek-style thinking, which reject a tool history without it).
   */
  readonly echoReasoning?: boolean;
}

/**
 * Converts Rephysco messages to OpenAI chat messages. Text-only messages keep plain string
 * content; a message with images becomes `[text, image_url...]` parts and is never flattened
 * back to a string (flattening is how some gateways silently drop Qwen-VL images).
 *
 * Tool history: an assistant turn's `toolCalls` become `tool_calls` (arguments replayed as valid
 * JSON, since DashScope answers 400 to anything else; `content: null` when the turn has no
 * text), and each `tool` message becomes `{ role: "tool", tool_call_id, content }`. The dialect
 * has no field for a failed tool, so an `isError` result is sent as its content alone: the
 * text should say that the tool failed.
 *
 * @throws {InvalidRequestError} for images on non-user messages, which the dialect rejects, and
 *   for a `tool` message without `toolCallId`.
 */
export function convertToOpenAIMessages(
  messages: readonly Message[],
  { provider, systemRole = "system", echoReasoning = false }: ConvertToOpenAIMessagesOptions,
): OpenAIChatMessage[] {
  return messages.map((message): OpenAIChatMessage => {
    const name = message.name === undefined ? {} : { name: message.name };
    const images = message.images ?? [];
    if (images.length > 0 && message.role !== "user") {
      throw new InvalidRequestError(
        `${provider}: images are only accepted on user messages, not on a ${message.role} message.`,
        { provider, reason: "unsupported_role" },
      );
    }
    switch (message.role) {
      case "system":
        return { role: systemRole, content: message.content, ...name };
      case "assistant": {
        const calls = message.toolCalls;
        const reasoning =
          echoReasoning && message.reasoning ? { reasoning_content: message.reasoning } : {};
        if (!calls || calls.length === 0) {
          return { role: "assistant", content: message.content, ...name, ...reasoning };
        }
        return {
          role: "assistant",
          content: message.content === "" ? null : message.content,
          ...name,
          ...reasoning,
          tool_calls: calls.map((call) => ({
            id: call.id,
            type: "function",
            function: { name: call.name, arguments: toolArgumentsJson(call) },
          })),
        };
      }
      case "tool":
        if (!message.toolCallId) {
          throw new InvalidRequestError(
            `${provider}: a tool message needs the toolCallId of the call it answers.`,
            { provider, reason: "invalid_input" },
          );
        }
        return { role: "tool", tool_call_id: message.toolCallId, content: message.content };
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
          `${provider}: messages with role "${String(message.role)}" are not supported.`,
          { provider, reason: "unsupported_role" },
        );
    }
  });
}
