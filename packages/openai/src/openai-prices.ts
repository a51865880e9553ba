import type { PriceSheet } from "@rephysco/core";

/**
 * OpenAI prices, Standard tier, USD per million tokens (Batch, Flex and Priority are not modelled).
 *
 * Where the numbers come from: OpenAI's pricing page (platform.openai.com/docs/pricing, now
 * developers.openai.com/api/docs/pricing) could not be read directly while this sheet was made;
 * every number below is the page's Standard-tier row as quoted by dated secondary sources that
 * cite it and agree with each other (input / cached input / output): the GPT-4.1 and GPT-4o
 * families and o1 as transcribed from the page on 2025-06-03 (hex.pm `openai_responses`), input
 * and output of every model here re-checked against the page's table as republished on
 * 2026-03-21 (deploybase.ai). Reasoning tokens are billed as output (no `reasoning` rate).
 *
 * Uncertain: one secondary source (2026) quotes GPT-4.1 at half these rates ($1 / $4, mini
 * $0.20 / $0.80, nano $0.05 / $0.20); it could not be confirmed on the official page, so the
 * long-standing rates stay. Newer models (gpt-5.x and later) are left out: their secondary
 * quotes disagree. Verify before billing; override with the client's `prices` option.
 */
export const OPENAI_PRICES: PriceSheet = {
  asOf: "2026-03-21",
  sources: [
    "https://platform.openai.com/docs/pricing",
    "https://developers.openai.com/api/docs/pricing",
  ],
  models: {
    "gpt-4o": { input: 2.5, cachedInput: 1.25, output: 10 },
    // The first gpt-4o snapshot kept its launch price (a dated id would otherwise find gpt-4o's).
    "gpt-4o-2024-05-13": { input: 5, output: 15 },
    "gpt-4o-mini": { input: 0.15, cachedInput: 0.075, output: 0.6 },
    "gpt-4.1": { input: 2, cachedInput: 0.5, output: 8 },
    "gpt-4.1-mini": { input: 0.4, cachedInput: 0.1, output: 1.6 },
    "gpt-4.1-nano": { input: 0.1, cachedInput: 0.025, output: 0.4 },
    o1: { input: 15, cachedInput: 7.5, output: 60 },
    o3: { input: 2, cachedInput: 0.5, output: 8 },
    "o3-mini": { input: 1.1, cachedInput: 0.55, output: 4.4 },
    "o4-mini": { input: 1.1, cachedInput: 0.275, output: 4.4 },
    "gpt-5": { input: 1.25, cachedInput: 0.125, output: 10 },
    "gpt-5-mini": { input: 0.25, cachedInput: 0.025, output: 2 },
    "gpt-5-nano": { input: 0.05, cachedInput: 0.005, output: 0.4 },
    "gpt-5-chat-latest": { input: 1.25, cachedInput: 0.125, output: 10 },
  },
};
