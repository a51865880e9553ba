import type { PriceSheet } from "@rephysco/core";

/**
 * SiliconFlow prices, international site (siliconflow.com), USD per million tokens.
 *
 * Empty on purpose: no USD price from siliconflow.com's pricing page could be read when this
 * sheet was made (only old CNY prices of the Chinese site, which do not cover these models), and
 * a price is never guessed. Every model's cost is therefore `undefined`; give prices with the
 * client's `prices` option: `{ siliconflow: { "deepseek-ai/DeepSeek-V3": { input, output } } }`.
 */
export const SILICONFLOW_PRICES: PriceSheet = {
  asOf: "2026-11-30",
  sources: ["https://www.siliconflow.com/pricing"],
  models: {},
};
