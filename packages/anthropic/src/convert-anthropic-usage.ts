import type { Usage } from "@rephysco/core";
import { usageOf } from "@rephysco/core/http";
import type { AnthropicUsage } from "./anthropic-api-types.js";

function count(value: unknown): number {
  return typeof value === "number" && Number.isFinite(value) ? value : 0;
}

/**
 * Converts Anthropic usage to the one meaning of {@link Usage}. Anthropic's `input_tokens` leaves
 * out prompt-cache reads and writes, so they are added back: `promptTokens` =
 * `input_tokens + cache_read_input_tokens + cache_creation_input_tokens`, of which
 * `cachedPromptTokens` = the reads and `cacheWriteTokens` = the writes. `completionTokens` =
 * `output_tokens`, thinking included; `reasoningTokens` = `output_tokens_details.thinking_tokens`
 * where the API reports it (newer models), else absent. `raw` is the object as received.
 */
export function convertAnthropicUsage(usage: AnthropicUsage | undefined): Usage | undefined {
  if (!usage || typeof usage !== "object") return undefined;
  const reads = usage.cache_read_input_tokens;
  const writes = usage.cache_creation_input_tokens;
  return usageOf({
    promptTokens: count(usage.input_tokens) + count(reads) + count(writes),
    completionTokens: usage.output_tokens,
    cachedPromptTokens: reads,
    cacheWriteTokens: writes,
    reasoningTokens: usage.output_tokens_details?.thinking_tokens,
    raw: usage,
  });
}

/**
 * The usage of a stream: `message_start`'s object with the fields `message_delta` reports laid
 * over it. `message_delta` carries the final (cumulative) `output_tokens` and, in newer API
 * versions, the input and cache counts again; a field it sends as `null` or leaves out keeps
 * the `message_start` value, as the official SDK merges them.
 */
export function mergeAnthropicUsage(
  start: AnthropicUsage | undefined,
  delta: AnthropicUsage | undefined,
): AnthropicUsage | undefined {
  if (!delta || typeof delta !== "object") return start;
  const merged: Record<string, unknown> = { ...(start ?? {}) };
  for (const [key, value] of Object.entries(delta)) {
    if (value !== null && value !== undefined) merged[key] = value;
  }
  return merged as AnthropicUsage;
}
