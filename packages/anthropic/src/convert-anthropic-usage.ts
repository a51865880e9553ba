import type { Usage } from "@rephysco/core";
import type { AnthropicUsage } from "./anthropic-api-types.js";

/**
 * Converts Anthropic usage to Rephysco's. Anthropic's `input_tokens` leaves out prompt-cache reads
 * and writes, so they are added back: `promptTokens` is every token of the prompt.
 */
export function convertAnthropicUsage(usage: AnthropicUsage | undefined): Usage | undefined {
  if (!usage) return undefined;
  const promptTokens =
    (usage.input_tokens ?? 0) +
    (usage.cache_creation_input_tokens ?? 0) +
    (usage.cache_read_input_tokens ?? 0);
  const completionTokens = usage.output_tokens ?? 0;
  return { promptTokens, completionTokens, totalTokens: promptTokens + completionTokens };
}
