import type { GenerateContentResponseUsageMetadata } from "@google/genai";
import type { Usage } from "@rephysco/core";
import { usageOf } from "@rephysco/core/http";

function count(value: unknown): number {
  return typeof value === "number" && Number.isFinite(value) ? value : 0;
}

/**
 * Converts Gemini `usageMetadata` to the one meaning of {@link Usage}. Gemini counts apart what
 * the other providers count together, so the parts are added up:
 * - `promptTokens` = `promptTokenCount` (cached content included) + `toolUsePromptTokenCount`
 *   (the results of built-in tools fed back as input);
 * - `cachedPromptTokens` = `cachedContentTokenCount`;
 * - `completionTokens` = `candidatesTokenCount` (the answer) + `thoughtsTokenCount` (thinking);
 * - `reasoningTokens` = `thoughtsTokenCount`.
 *
 * `totalTokens` is then Gemini's `totalTokenCount`, computed rather than read; `raw` keeps
 * `usageMetadata` as received.
 */
export function convertGeminiUsage(
  usage: GenerateContentResponseUsageMetadata | undefined,
): Usage | undefined {
  if (!usage || typeof usage !== "object") return undefined;
  return usageOf({
    promptTokens: count(usage.promptTokenCount) + count(usage.toolUsePromptTokenCount),
    completionTokens: count(usage.candidatesTokenCount) + count(usage.thoughtsTokenCount),
    cachedPromptTokens: usage.cachedContentTokenCount,
    reasoningTokens: usage.thoughtsTokenCount,
    raw: { ...usage },
  });
}
