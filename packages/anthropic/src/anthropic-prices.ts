import type { PriceSheet } from "@rephysco/core";

/**
 * Claude API prices, USD per million tokens: base input, output, cache hits and refreshes
 * (`cachedInput`) and 5-minute cache writes (`cacheWrite`; 1-hour writes cost more and are not
 * modelled: a 1-hour write is counted at the 5-minute rate).
 *
 * Where the numbers come from: the "Model pricing" table of Anthropic's pricing page
 * (platform.claude.com/docs/en/about-claude/pricing, formerly docs.anthropic.com): every row
 * below is read from it. The newest version read lists Claude Fable 5.1 (launched by
 * 2026-09-01), hence `asOf`; it marks Opus 4.1 and Opus 4 retired on the Claude API (prices
 * unchanged). Sonnet 4.5 and Haiku 3.5, Sonnet 3.7 and Sonnet 4 rows come from the same page's
 * earlier 2026 version, which the newer one does not contradict. Claude Sonnet 5: its model page
 * (platform.claude.com/docs/en/models/sonnet-5/overview).
 *
 * Long context (Sonnet 4 and 4.5 with the 1M window): the page's "Long context pricing" table,
 * above 200K input tokens the whole request costs $6 input and $22.50 output. Its cache rates
 * there (0.60 read, 7.50 write) are derived, not read: the page's caching multipliers (0.1x and
 * 1.25x of input) applied to the long-context input rate, as the page says they stack.
 *
 * Left out: Sonnet 5.5, Opus 5.5, Haiku 5.5 and Fable (sources disagree on their cache-read rates
 * after 2026-10-07, or their prices depend on prompt length in ways not read here).
 */
const SONNET_4_LONG_CONTEXT = {
  threshold: 200_000,
  input: 6,
  cachedInput: 0.6,
  cacheWrite: 7.5,
  output: 22.5,
} as const;

const OPUS_4_5 = { input: 5, cacheWrite: 6.25, cachedInput: 0.5, output: 25 } as const;
const OPUS_4 = { input: 15, cacheWrite: 18.75, cachedInput: 1.5, output: 75 } as const;
const SONNET = { input: 3, cacheWrite: 3.75, cachedInput: 0.3, output: 15 } as const;

/**
 * Anthropic's prices (USD per million tokens; cache writes at the 5-minute rate), a dated
 * snapshot: sources, dates and what is left out are in the comment at the top of this file.
 */
export const ANTHROPIC_PRICES: PriceSheet = {
  asOf: "2026-09-01",
  sources: [
    "https://platform.claude.com/docs/en/about-claude/pricing",
    "https://docs.anthropic.com/en/docs/about-claude/pricing",
    "https://platform.claude.com/docs/en/models/sonnet-5/overview",
  ],
  models: {
    "claude-opus-4-7": OPUS_4_5,
    "claude-opus-4-6": OPUS_4_5,
    "claude-opus-4-5": OPUS_4_5,
    "claude-opus-4-1": OPUS_4,
    "claude-opus-4-0": OPUS_4,
    // `claude-opus-4-20250514` without its date.
    "claude-opus-4": OPUS_4,
    "claude-sonnet-5": { input: 2, cacheWrite: 2.5, cachedInput: 0.2, output: 10 },
    "claude-sonnet-4-6": SONNET,
    "claude-sonnet-4-5": { ...SONNET, longContext: SONNET_4_LONG_CONTEXT },
    "claude-sonnet-4-0": { ...SONNET, longContext: SONNET_4_LONG_CONTEXT },
    // `claude-sonnet-4-20250514` without its date.
    "claude-sonnet-4": { ...SONNET, longContext: SONNET_4_LONG_CONTEXT },
    // `claude-3-7-sonnet-latest` and `-20250219` without their suffix.
    "claude-3-7-sonnet": SONNET,
    "claude-haiku-4-5": { input: 1, cacheWrite: 1.25, cachedInput: 0.1, output: 5 },
    // `claude-3-5-haiku-latest` and `-20241022` without their suffix.
    "claude-3-5-haiku": { input: 0.8, cacheWrite: 1, cachedInput: 0.08, output: 4 },
  },
};
