import { InvalidRequestError, type Message } from "@rephysco/core";
import { resolveImage, toolArgumentsObject } from "@rephysco/core/http";
import type {
  AnthropicMessage,
  AnthropicPrompt,
  AnthropicRequestBlock,
} from "./anthropic-api-types.js";
import { thinkingBlocksOf } from "./anthropic-thinking.js";

function userBlocks(message: Message, provider: string): AnthropicRequestBlock[] {
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
 * An assistant turn that called tools or thought: its signed thinking blocks first (Anthropic
 * requires them there on a tool-use turn when thinking is on), then the text, then one
 * `tool_use` block per call with the arguments as an object.
 */
function assistantBlocks(
  message: Message,
  blocks: AnthropicRequestBlock[],
): AnthropicRequestBlock[] {
  if (message.content !== "") blocks.push({ type: "text", text: message.content });
  for (const call of message.toolCalls ?? []) {
    blocks.push({
      type: "tool_use",
      id: call.id,
      name: call.name,
      input: toolArgumentsObject(call),
    });
  }
  return blocks;
}

function toolResultBlock(message: Message, provider: string): AnthropicRequestBlock {
  if (!message.toolCallId) {
    throw new InvalidRequestError(
      `${provider}: a "tool" message needs the toolCallId of the call it answers.`,
      { provider, reason: "invalid_input" },
    );
  }
  return {
    type: "tool_result",
    tool_use_id: message.toolCallId,
    // Anthropic's content is optional; an empty result is sent without it.
    ...(message.content !== "" && { content: message.content }),
    ...(message.isError === true && { is_error: true }),
  };
}

function asBlocks(content: AnthropicMessage["content"]): AnthropicRequestBlock[] {
  if (typeof content !== "string") return content;
  return content === "" ? [] : [{ type: "text", text: content }];
}

/**
 * Converts Rephysco messages to the Messages API shape: system messages are joined into the
 * top-level `system` field (Anthropic has no system role), images become `image` blocks with a
 * base64 or URL source, assistant tool calls become `tool_use` blocks (after the turn's signed
 * thinking blocks, read from `providerMetadata.anthropic`), and tool results become
 * `tool_result` blocks of a user turn. Consecutive messages of one role are merged into one
 * turn because the API expects user and assistant turns to alternate: all results of one tool
 * turn land in one user message, and a user message right after them adds its text after the
 * results.
 *
 * @throws {InvalidRequestError} for images on a non-user message, or a tool message without
 *   `toolCallId`.
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
    if (message.role !== "user" && message.role !== "assistant" && message.role !== "tool") {
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
    const role = message.role === "assistant" ? "assistant" : "user";
    let content: AnthropicMessage["content"];
    if (message.role === "tool") content = [toolResultBlock(message, provider)];
    else if (message.role === "assistant") {
      // Signed thinking goes back only with the turn's tool calls, where the API needs it (a turn
      // of thinking alone would end on a thinking block, which the API refuses).
      const thinking = message.toolCalls?.length ? thinkingBlocksOf(message) : [];
      content =
        thinking.length > 0 || message.toolCalls?.length
          ? assistantBlocks(message, thinking)
          : message.content;
    } else content = message.images?.length ? userBlocks(message, provider) : message.content;
    const last = out.at(-1);
    if (last && last.role === role) {
      // Merged in place: linear in the number of blocks.
      const blocks = typeof last.content === "string" ? asBlocks(last.content) : last.content;
      blocks.push(...asBlocks(content));
      out[out.length - 1] = { role, content: blocks };
    } else {
      out.push({ role, content });
    }
  }
  for (const m of out) if (typeof m.content !== "string") leadWith(m.content, m.role);
  return { ...(system.length > 0 && { system: system.join("\n\n") }), messages: out };
}

/**
 * Puts the blocks the API wants first at the front, keeping the order within each group: the
 * `tool_result` blocks of a user turn ("messages following tool_use blocks must begin with" their
 * results), the thinking blocks of an assistant turn.
 */
function leadWith(blocks: AnthropicRequestBlock[], role: "user" | "assistant"): void {
  const first = (b: AnthropicRequestBlock) =>
    role === "user"
      ? b.type === "tool_result"
      : b.type === "thinking" || b.type === "redacted_thinking";
  let sorted = true;
  let seenOther = false;
  for (const b of blocks) {
    if (!first(b)) seenOther = true;
    else if (seenOther) sorted = false;
  }
  if (sorted) return;
  const lead = blocks.filter(first);
  const rest = blocks.filter((b) => !first(b));
  blocks.length = 0;
  blocks.push(...lead, ...rest);
}
