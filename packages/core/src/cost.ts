import { ConfigurationError } from "./errors.js";
import type { Cost, ModelPrice, PriceTable, Usage } from "./types.js";

/**
 * Price overrides of a client, by provider id: each a table of model id to price, which extends
 * the provider's own table and wins over it. `null` for a model removes its price (its cost is
 * then `undefined`).
 *
 * @example
 * ```ts
 * new LLMClient({ provider: "openai", prices: {
 *   openai: { "gpt-4o-mini": { input: 0.15, cachedInput: 0.075, output: 0.6 } },
 *   "my-llm": { "m-1": { input: 1, output: 2 } },
 * } });
 * ```
 */
export type PriceOverrides = Readonly<
  Record<string, Readonly<Record<string, ModelPrice | null>> | undefined>
>;

/** A date or version suffix a provider appends to a model id it answers with. */
const DATED_SUFFIX = /-(?:\d{4}-\d{2}-\d{2}|\d{8}|\d{4}|\d{2}-\d{2}|latest|\d{3})$/;

function lookup(
  table: Readonly<Record<string, ModelPrice | null>> | undefined,
  model: string,
): ModelPrice | null | undefined {
  if (!table) return undefined;
  if (Object.hasOwn(table, model)) return table[model];
  return undefined;
}

/**
 * The price of `model` in a table: the exact id, then without a `models/` prefix, then without a
 * date suffix (`gpt-4o-2024-08-06` finds `gpt-4o`, `claude-sonnet-4-5-20250929` finds
 * `claude-sonnet-4-5`). `null` means "removed by an override"; `undefined`, "not there".
 */
function find(
  table: Readonly<Record<string, ModelPrice | null>> | undefined,
  model: string,
): ModelPrice | null | undefined {
  if (!table) return undefined;
  let id = model;
  for (let i = 0; i < 3; i++) {
    const hit = lookup(table, id);
    if (hit !== undefined) return hit;
    const next = id.startsWith("models/") ? id.slice(7) : id.replace(DATED_SUFFIX, "");
    if (next === id) return undefined;
    id = next;
  }
  return undefined;
}

/**
 * The price of a model: the client's overrides first, then the provider's table, trying the
 * model id the provider answered with and then the one asked for. `undefined` when neither knows it.
 */
export function findPrice(
  provider: string,
  models: readonly (string | undefined)[],
  providerTable: PriceTable | undefined,
  overrides: PriceOverrides | undefined,
): ModelPrice | undefined {
  // The overrides win for every candidate id before the provider's table is read at all.
  const own = overrides && Object.hasOwn(overrides, provider) ? overrides[provider] : undefined;
  if (own) {
    for (const model of models) {
      if (!model) continue;
      const override = find(own, model);
      if (override === null) return undefined;
      if (override) return override;
    }
  }
  for (const model of models) {
    if (!model) continue;
    const price = find(providerTable, model);
    if (price) return price;
  }
  return undefined;
}

const PER_TOKEN = 1e-6;

/**
 * The cost of a usage at a price (USD per million tokens). Cached reads and cache writes are
 * priced at their own rates (falling back to `input`), reasoning at its own rate when the price
 * names one (else as output); long-context rates apply to the whole request above their
 * threshold.
 *
 * @example
 * ```ts
 * computeCost({ promptTokens: 1000, completionTokens: 200, totalTokens: 1200 },
 *   { input: 2.5, output: 10 }).total; // 0.0045
 * ```
 */
export function computeCost(usage: Usage, price: ModelPrice): Cost {
  const rates =
    price.longContext && usage.promptTokens > price.longContext.threshold
      ? price.longContext
      : price;
  const cached = usage.cachedPromptTokens ?? 0;
  const writes = usage.cacheWriteTokens ?? 0;
  const uncached = Math.max(0, usage.promptTokens - cached - writes);
  const reasoningApart = rates.reasoning !== undefined ? (usage.reasoningTokens ?? 0) : 0;
  const output = Math.max(0, usage.completionTokens - reasoningApart);
  const parts = {
    input: uncached * rates.input * PER_TOKEN,
    cachedInput: cached * (rates.cachedInput ?? rates.input) * PER_TOKEN,
    cacheWrite: writes * (rates.cacheWrite ?? rates.input) * PER_TOKEN,
    output: output * rates.output * PER_TOKEN,
    reasoning: reasoningApart * (rates.reasoning ?? rates.output) * PER_TOKEN,
  };
  return {
    total: parts.input + parts.cachedInput + parts.cacheWrite + parts.output + parts.reasoning,
    ...parts,
    currency: "USD",
    source: "prices",
  };
}

/** The cost of a cache hit: nothing was spent. */
export const CACHED_COST: Cost = Object.freeze({
  total: 0,
  input: 0,
  cachedInput: 0,
  cacheWrite: 0,
  output: 0,
  reasoning: 0,
  currency: "USD",
  source: "cache",
});

/** Two costs summed (the steps of a tool loop); `undefined` when either is unknown. */
export function addCost(a: Cost | undefined, b: Cost | undefined): Cost | undefined {
  if (!a || !b) return undefined;
  return {
    total: a.total + b.total,
    input: a.input + b.input,
    cachedInput: a.cachedInput + b.cachedInput,
    cacheWrite: a.cacheWrite + b.cacheWrite,
    output: a.output + b.output,
    reasoning: a.reasoning + b.reasoning,
    currency: "USD",
    source: a.source === b.source ? a.source : "prices",
  };
}

const RATE_NAMES = ["input", "output", "cachedInput", "cacheWrite", "reasoning"] as const;

function checkPrice(where: string, price: unknown): void {
  if (price === null) return;
  if (!price || typeof price !== "object")
    throw new ConfigurationError(`${where} must be a price object or null.`, {
      provider: "client",
      reason: "invalid_option",
    });
  const p = price as Record<string, unknown>;
  for (const name of RATE_NAMES) {
    const v = p[name];
    const required = name === "input" || name === "output";
    if (v === undefined && !required) continue;
    if (typeof v !== "number" || !Number.isFinite(v) || v < 0)
      throw new ConfigurationError(
        `${where}.${name} must be a non-negative number of USD per million tokens; got ${String(v)}.`,
        { provider: "client", reason: "invalid_option" },
      );
  }
  if (p.longContext !== undefined) {
    const lc = p.longContext as Record<string, unknown> | null;
    if (!lc || typeof lc.threshold !== "number" || !(lc.threshold > 0))
      throw new ConfigurationError(
        `${where}.longContext.threshold must be a positive number of prompt tokens.`,
        { provider: "client", reason: "invalid_option" },
      );
    checkPrice(`${where}.longContext`, { ...lc, longContext: undefined });
  }
}

/** Checks a client's `prices` option, naming the first bad entry. */
export function validatePriceOverrides(overrides: unknown): PriceOverrides | undefined {
  if (overrides === undefined) return undefined;
  if (!overrides || typeof overrides !== "object" || Array.isArray(overrides))
    throw new ConfigurationError(
      'prices must be an object of provider id to { model: price }: { openai: { "gpt-4o": { input: 2.5, output: 10 } } }.',
      { provider: "client", reason: "invalid_option" },
    );
  for (const [provider, table] of Object.entries(overrides)) {
    if (table === undefined) continue;
    if (!table || typeof table !== "object" || Array.isArray(table))
      throw new ConfigurationError(`prices.${provider} must be an object of model id to price.`, {
        provider: "client",
        reason: "invalid_option",
      });
    for (const [model, price] of Object.entries(table))
      checkPrice(`prices.${provider}[${JSON.stringify(model)}]`, price);
  }
  return overrides as PriceOverrides;
}
