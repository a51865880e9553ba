import type { Usage } from "../types.js";

/** The counts a provider read from its usage object, before they are made a {@link Usage}. */
export interface UsageCounts {
  /** Every input token: uncached, cached reads and cache writes. */
  readonly promptTokens: unknown;
  /** Every output token, reasoning included. */
  readonly completionTokens: unknown;
  /** Of `promptTokens`: read from the prompt cache. */
  readonly cachedPromptTokens?: unknown;
  /** Of `promptTokens`: written to the prompt cache. */
  readonly cacheWriteTokens?: unknown;
  /** Of `completionTokens`: reasoning. */
  readonly reasoningTokens?: unknown;
  /** The provider's usage object as it came. */
  readonly raw?: unknown;
}

function count(value: unknown): number | undefined {
  return typeof value === "number" && Number.isFinite(value) && value >= 0
    ? Math.round(value)
    : undefined;
}

/**
 * A {@link Usage} with the one meaning every provider shares: `totalTokens` is always
 * `promptTokens + completionTokens`, the parts are kept only when reported (and never above
 * their totals), counts that are not non-negative numbers are 0 (or dropped, for the parts),
 * and `raw` keeps the provider's object. Provider authors map their fields into
 * {@link UsageCounts} (see docs/implementing-providers.md) and call this.
 *
 * @example
 * ```ts
 * // Anthropic: input_tokens excludes cache reads and writes.
 * usageOf({
 *   promptTokens: u.input_tokens + (u.cache_read_input_tokens ?? 0) + (u.cache_creation_input_tokens ?? 0),
 *   completionTokens: u.output_tokens,
 *   cachedPromptTokens: u.cache_read_input_tokens,
 *   cacheWriteTokens: u.cache_creation_input_tokens,
 *   raw: u,
 * });
 * ```
 */
export function usageOf(counts: UsageCounts): Usage {
  const promptTokens = count(counts.promptTokens) ?? 0;
  const completionTokens = count(counts.completionTokens) ?? 0;
  const cached = count(counts.cachedPromptTokens);
  const writes = count(counts.cacheWriteTokens);
  const reasoning = count(counts.reasoningTokens);
  const raw = counts.raw;
  return {
    promptTokens,
    completionTokens,
    totalTokens: promptTokens + completionTokens,
    ...(cached !== undefined && { cachedPromptTokens: Math.min(cached, promptTokens) }),
    ...(writes !== undefined && { cacheWriteTokens: Math.min(writes, promptTokens) }),
    ...(reasoning !== undefined && { reasoningTokens: Math.min(reasoning, completionTokens) }),
    ...(raw !== null &&
      typeof raw === "object" &&
      !Array.isArray(raw) && { raw: raw as Readonly<Record<string, unknown>> }),
  };
}

/**
 * The sum of two usages, part by part (a part is kept when either side reports it); `undefined`
 * when neither is known. `raw` is dropped: a sum has no single provider object.
 */
export function addUsage(a: Usage | undefined, b: Usage | undefined): Usage | undefined {
  if (!a) return b && { ...b };
  if (!b) return a;
  const part = (x: number | undefined, y: number | undefined) =>
    x === undefined && y === undefined ? undefined : (x ?? 0) + (y ?? 0);
  const cached = part(a.cachedPromptTokens, b.cachedPromptTokens);
  const writes = part(a.cacheWriteTokens, b.cacheWriteTokens);
  const reasoning = part(a.reasoningTokens, b.reasoningTokens);
  return {
    promptTokens: a.promptTokens + b.promptTokens,
    completionTokens: a.completionTokens + b.completionTokens,
    totalTokens: a.totalTokens + b.totalTokens,
    ...(cached !== undefined && { cachedPromptTokens: cached }),
    ...(writes !== undefined && { cacheWriteTokens: writes }),
    ...(reasoning !== undefined && { reasoningTokens: reasoning }),
  };
}
