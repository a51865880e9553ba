import type { PriceSheet } from "@rephysco/core";

/**
 * DashScope (Alibaba Cloud Model Studio) prices, international deployment (Singapore), in USD
 * per million tokens. The China (Beijing) region bills in CNY at other rates: override with the
 * client's `prices` option when calling `region: "cn"`.
 *
 * Where the numbers come from: Model Studio's "Billing for model services" page
 * (alibabacloud.com/help/en/model-studio/billing-for-model-studio, version last updated
 * 2025-04-22, hence `asOf`): the flagship table's input and output prices (the lowest tier:
 * Qwen-Plus and Qwen-Turbo cost more for long prompts, a tiering not modelled). Cache rates from
 * the "Context cache" page (alibabacloud.com/help/en/model-studio/context-cache, updated
 * 2026-03-31): an implicit-cache hit costs 20% of the input price (`cachedInput`), creating an
 * explicit cache 125% (`cacheWrite`); an explicit-cache hit costs 10%, which the usage does not
 * tell apart from an implicit one, so explicit hits are charged at the implicit 20%.
 *
 * Uncertain: Qwen-Plus and Qwen-Turbo bill thinking-mode output at a higher rate than the
 * non-thinking one used here; a thinking call is undercounted.
 *
 * Left out (no USD price read): qwen-flash, qwen3-max, qwen-omni-turbo, qwq-plus, qwen-vl-max,
 * qwen-vl-plus, deepseek-r1, deepseek-v3.
 */
export const ALIYUN_PRICES: PriceSheet = {
  asOf: "2025-04-22",
  sources: [
    "https://www.alibabacloud.com/help/en/model-studio/billing-for-model-studio",
    "https://www.alibabacloud.com/help/en/model-studio/context-cache",
  ],
  models: {
    // `qwen-max-latest` finds this entry without its suffix.
    "qwen-max": { input: 1.6, cachedInput: 0.32, cacheWrite: 2, output: 6.4 },
    "qwen-plus": { input: 0.4, cachedInput: 0.08, cacheWrite: 0.5, output: 1.2 },
    "qwen-turbo": { input: 0.05, cachedInput: 0.01, cacheWrite: 0.0625, output: 0.2 },
  },
};
