import type { Cost } from "@rephysco/core";
import type { OpenAIUsage } from "@rephysco/openai/compatible";

/** USD per `cost_in_usd_ticks` tick: xAI counts 10^10 ticks to the dollar (docs.x.ai cost tracking). */
export const XAI_USD_PER_TICK = 1e-10;

/**
 * The cost xAI reports in `usage.cost_in_usd_ticks` (the amount billed, after cache discounts,
 * tool calls included), as a {@link Cost} with `source: "provider"`. xAI reports only the whole,
 * so it is `total` with parts 0; the client then splits it as the price sheet would (scaled to
 * xAI's total) when the model has a price. `undefined` when the usage object has no tick count.
 */
export function xaiReportedCost(usage: OpenAIUsage): Cost | undefined {
  const ticks = usage.cost_in_usd_ticks;
  if (typeof ticks !== "number" || !Number.isFinite(ticks) || ticks < 0) return undefined;
  return {
    total: ticks * XAI_USD_PER_TICK,
    input: 0,
    cachedInput: 0,
    cacheWrite: 0,
    output: 0,
    reasoning: 0,
    currency: "USD",
    source: "provider",
  };
}
