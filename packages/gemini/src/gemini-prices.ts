import type { PriceSheet } from "@rephysco/core";

/**
 * Gemini Developer API prices, paid tier, USD per million tokens (output includes thinking
 * tokens, so no `reasoning` rate; context-cache storage per hour is not a token price and is
 * not modelled).
 *
 * Where the numbers come from: ai.google.dev/gemini-api/docs/pricing. Gemini 2.5 Pro input
 * ($1.25 up to 200k prompt tokens, $2.50 above), 2.5 Flash input ($0.30, text / image / video;
 * audio costs more and is not modelled), 2.5 Flash-Lite output ($0.40) and 3.5 Flash ($1.50 /
 * $9.00) as transcribed verbatim from the page on 2026-10-07 (hence `asOf`); 2.5 Pro output
 * ($10 / $15 above 200k) and context caching ($0.125 / $0.25), 2.5 Flash output ($2.50) and
 * 2.5 Flash-Lite input ($0.10) from the same page as quoted in 2026 (Google's developer forum
 * and pages citing it). Flash and Flash-Lite cached input ($0.03, $0.01) is the page's 90%
 * caching discount applied to input, as those pages state it: uncertain, verify.
 *
 * Left out: Gemini 2.0 Flash and Flash-Lite (shut down on 2026-06-01) and 1.5 (retired): the
 * page no longer prices them; `gemini-flash-latest` and `gemini-flash-lite-latest` (aliases that
 * move to the newest model, whose price changes with it); Gemini 3.8 Flash (its price changes on
 * 2027-01-01); 3.1 Pro Preview (its model id was not confirmed).
 */
export const GEMINI_PRICES: PriceSheet = {
  asOf: "2026-10-07",
  sources: ["https://ai.google.dev/gemini-api/docs/pricing"],
  models: {
    "gemini-2.5-pro": {
      input: 1.25,
      cachedInput: 0.125,
      output: 10,
      longContext: { threshold: 200_000, input: 2.5, cachedInput: 0.25, output: 15 },
    },
    "gemini-2.5-flash": { input: 0.3, cachedInput: 0.03, output: 2.5 },
    "gemini-2.5-flash-lite": { input: 0.1, cachedInput: 0.01, output: 0.4 },
    "gemini-3.5-flash": { input: 1.5, output: 9 },
  },
};
