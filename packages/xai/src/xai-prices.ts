import type { PriceSheet } from "@rephysco/core";

/**
 * xAI (Grok) prices, USD per million tokens: input, cached input, output (reasoning tokens are
 * billed as output).
 *
 * Where the numbers come from: the "Models and Pricing" page (docs.x.ai/developers/models, the
 * former docs.x.ai/docs/models). Grok 4.20 ($2.00, cached $0.20, $6.00) and Grok 4.1 Fast
 * ($0.20, cached $0.05, $0.50) from the current page, which carries no date; the newest model it
 * lists is `grok-4.20-0309` (released 2026-03-09), hence `asOf`. Grok 3, Grok 3 Mini, Grok 2 and
 * Grok 2 Vision from the same page's 2025-06-02 version (archived): the current page no longer
 * lists them (they may be retired). Grok 4.1 Fast may cost more above 128k prompt tokens; that
 * tier was not read and is not modelled.
 *
 * Left out (no price read): grok-4, grok-4-0709, grok-4-latest, grok-latest (an alias that moves),
 * grok-4-fast-*, grok-code-fast-1. xAI also reports what a request cost; when it does, that
 * figure wins over this table.
 */
const GROK_4_20 = { input: 2, cachedInput: 0.2, output: 6 } as const;
const GROK_4_1_FAST = { input: 0.2, cachedInput: 0.05, output: 0.5 } as const;

/**
 * xAI's prices (USD per million tokens), a dated snapshot: sources, dates and what is left out
 * are in the comment at the top of this file. xAI's own reported cost wins over it.
 */
export const XAI_PRICES: PriceSheet = {
  asOf: "2026-03-09",
  sources: ["https://docs.x.ai/developers/models", "https://docs.x.ai/docs/models"],
  models: {
    "grok-4.20-reasoning": GROK_4_20,
    "grok-4.20-non-reasoning": GROK_4_20,
    "grok-4.20-0309-reasoning": GROK_4_20,
    "grok-4.20-0309-non-reasoning": GROK_4_20,
    "grok-4-1-fast-reasoning": GROK_4_1_FAST,
    "grok-4-1-fast-non-reasoning": GROK_4_1_FAST,
    "grok-3": { input: 3, cachedInput: 0.75, output: 15 },
    "grok-3-mini": { input: 0.3, cachedInput: 0.075, output: 0.5 },
    "grok-2-1212": { input: 2, output: 10 },
    "grok-2-vision-1212": { input: 2, output: 10 },
  },
};
