/**
 * `@rephysco/xai`: xAI (Grok). Importing it registers `"xai"` (and nothing else: the base comes
 * from the side-effect-free `@rephysco/openai/compatible`).
 *
 * @packageDocumentation
 */
import { registerProvider } from "@rephysco/core";
import { providerInfoOf } from "@rephysco/core/http";
import { XAI_CONFIG, XAIProvider, type XAIProviderSettings } from "./xai-provider.js";

export { type XAIModelId, XAIModels } from "./xai-models.js";
export { XAI_PRICES } from "./xai-prices.js";
export { createXAI, XAIProvider, type XAIProviderSettings } from "./xai-provider.js";

declare module "@rephysco/core" {
  interface ProviderRegistry {
    /** xAI Grok (`@rephysco/xai`). */
    xai: XAIProviderSettings;
  }
}

registerProvider(
  "xai",
  (settings) => new XAIProvider(settings),
  providerInfoOf(XAI_CONFIG, "@rephysco/xai"),
);
