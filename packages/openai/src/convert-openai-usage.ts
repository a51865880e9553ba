import type { Usage } from "@rephysco/core";
import { usageOf } from "@rephysco/core/http";
import type { OpenAIUsage } from "./openai-chat-types.js";

/** How a service's `usage` differs from OpenAI's (see `OpenAICompatibleConfig`). */
export interface OpenAIUsageDialect {
  /**
   * `false` when `completion_tokens` leaves out `completion_tokens_details.reasoning_tokens`
   * (xAI: `total_tokens = prompt + completion + reasoning`); the reasoning is then added back.
   * Default `true`, as on OpenAI, DashScope, DeepSeek and SiliconFlow.
   */
  readonly reasoningInCompletion?: boolean;
}

function count(value: unknown): number | undefined {
  return typeof value === "number" && Number.isFinite(value) ? value : undefined;
}

/**
 * Converts OpenAI-style usage to the one meaning of {@link Usage}:
 * - `promptTokens` = `prompt_tokens` (which already counts cached tokens);
 * - `cachedPromptTokens` = `prompt_tokens_details.cached_tokens`, else DeepSeek's
 *   `prompt_cache_hit_tokens`;
 * - `completionTokens` = `completion_tokens`, plus `reasoning_tokens` where the service leaves
 *   them out (`reasoningInCompletion: false`);
 * - `cacheWriteTokens` = `prompt_tokens_details.cache_creation_input_tokens` (DashScope's explicit
 *   context cache);
 * - `reasoningTokens` = `completion_tokens_details.reasoning_tokens`;
 * - `totalTokens` = prompt + completion (the service's `total_tokens` is not read), `raw` = `usage`.
 */
export function convertOpenAIUsage(
  usage: OpenAIUsage | null | undefined,
  dialect: OpenAIUsageDialect = {},
): Usage | undefined {
  if (!usage || typeof usage !== "object") return undefined;
  const reasoning = count(usage.completion_tokens_details?.reasoning_tokens);
  const completion = count(usage.completion_tokens) ?? 0;
  return usageOf({
    promptTokens: usage.prompt_tokens,
    completionTokens:
      dialect.reasoningInCompletion === false ? completion + (reasoning ?? 0) : completion,
    cachedPromptTokens:
      count(usage.prompt_tokens_details?.cached_tokens) ?? count(usage.prompt_cache_hit_tokens),
    cacheWriteTokens: count(usage.prompt_tokens_details?.cache_creation_input_tokens),
    reasoningTokens: reasoning,
    raw: usage,
  });
}
