import type { GenerateContentResponseUsageMetadata } from "@google/genai";
import type { Usage } from "@rephysco/core";

/**
 * Converts Gemini `usageMetadata` to {@link Usage}. Gemini counts thinking apart from the answer:
 * `candidatesTokenCount` is the answer only and `thoughtsTokenCount` the thinking, so
 * `completionTokens` excludes reasoning and `totalTokens` is Gemini's own total (which includes it).
 */
export function convertGeminiUsage(
  usage: GenerateContentResponseUsageMetadata | undefined,
): Usage | undefined {
  if (!usage) return undefined;
  const promptTokens = usage.promptTokenCount ?? 0;
  const completionTokens = usage.candidatesTokenCount ?? 0;
  const reasoningTokens = usage.thoughtsTokenCount;
  return {
    promptTokens,
    completionTokens,
    totalTokens: usage.totalTokenCount ?? promptTokens + completionTokens + (reasoningTokens ?? 0),
    ...(reasoningTokens !== undefined && { reasoningTokens }),
  };
}
