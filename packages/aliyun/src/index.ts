/**
 * `@rephysco/aliyun`: Aliyun DashScope (Qwen). Importing it registers `"aliyun"` (and nothing else).
 *
 * @packageDocumentation
 */
import { registerProvider } from "@rephysco/core";
import { providerInfoOf } from "@rephysco/core/http";
import { ALIYUN_CONFIG, AliyunProvider, type AliyunProviderSettings } from "./aliyun-provider.js";

export { type AliyunModelId, AliyunModels } from "./aliyun-models.js";
export { ALIYUN_PRICES } from "./aliyun-prices.js";
export { AliyunProvider, type AliyunProviderSettings, createAliyun } from "./aliyun-provider.js";

declare module "@rephysco/core" {
  interface ProviderRegistry {
    /** Aliyun DashScope (`@rephysco/aliyun`). */
    aliyun: AliyunProviderSettings;
  }
}

registerProvider(
  "aliyun",
  (settings) => new AliyunProvider(settings),
  providerInfoOf(ALIYUN_CONFIG, "@rephysco/aliyun"),
);
