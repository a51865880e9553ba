import type { JsonValue, Message, ProviderMetadata } from "@rephysco/core";
import type { AnthropicThinkingBlock } from "./anthropic-api-types.js";

/**
 * `true` when the call turns extended thinking on: `providerOptions.thinking` (sent to the API
 * as it is) with `type: "enabled"` (a token budget) or `"adaptive"` (the model decides). The
 * API then accepts only `tool_choice` `auto` or `none`.
 */
export function isThinkingOn(providerOptions: Readonly<Record<string, unknown>> | undefined) {
  const thinking = providerOptions?.thinking as { type?: unknown } | null | undefined;
  return thinking?.type === "enabled" || thinking?.type === "adaptive";
}

/**
 * The turn-level metadata of an answer with thinking: its signed `thinking` blocks and
 * `redacted_thinking` blocks, exactly as received, under `providerMetadata.anthropic.thinking`.
 * Anthropic needs them back, first in the assistant turn, when that turn called tools with
 * thinking on; a block without a signature could not be verified, so it is not kept.
 */
export function thinkingMetadata(
  blocks: readonly AnthropicThinkingBlock[],
): ProviderMetadata | undefined {
  if (blocks.length === 0) return undefined;
  return { anthropic: { thinking: blocks as unknown as JsonValue[] } };
}

/**
 * The thinking blocks a history turn carries for Anthropic (read from its own key only:
 * blocks another provider left, or a turn without Anthropic's metadata, send nothing).
 * Malformed entries are skipped.
 */
export function thinkingBlocksOf(message: Message): AnthropicThinkingBlock[] {
  const stored = message.providerMetadata?.anthropic?.thinking;
  if (!Array.isArray(stored)) return [];
  const blocks: AnthropicThinkingBlock[] = [];
  for (const entry of stored as readonly unknown[]) {
    const block = entry as Record<string, unknown> | null;
    if (block?.type === "thinking") {
      if (typeof block.thinking === "string" && typeof block.signature === "string")
        blocks.push({ type: "thinking", thinking: block.thinking, signature: block.signature });
    } else if (block?.type === "redacted_thinking" && typeof block.data === "string") {
      blocks.push({ type: "redacted_thinking", data: block.data });
    }
  }
  return blocks;
}
