import type { Usage } from "@rephysco/core";
import type { OpenAIUsage } from "./openai-chat-types.js";

/**
 * Converts OpenAI-style usage. `total_tokens` is kept as reported: xAI counts reasoning in the
 * total but not in `completion_tokens`, so recomputing it would under-bill.
 */
export function convertOpenAIUsage(usage: OpenAIUsage | null | undefined): Usage | undefined {
  if (!usage) return undefined;
  const promptTokens = usage.prompt_tokens ?? 0;
  const completionTokens = usage.completion_tokens ?? 0;
  const reasoningTokens = usage.completion_tokens_details?.reasoning_tokens;
  return {
    promptTokens,
    completionTokens,
    totalTokens: usage.total_tokens ?? promptTokens + completionTokens,
    ...(typeof reasoningTokens === "number" && { reasoningTokens }),
  };
}
