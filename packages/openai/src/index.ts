/**
 * `@rephysco/openai`: the OpenAI provider. Importing this entry registers `"openai"` with the
 * Rephysco registry. The OpenAI-compatible base that other vendors build on lives in the
 * side-effect-free `@rephysco/openai/compatible`.
 *
 * @packageDocumentation
 */
import { registerProvider } from "@rephysco/core";
import { providerInfoOf } from "@rephysco/core/http";
import { OPENAI_CONFIG, OpenAIProvider, type OpenAIProviderSettings } from "./openai-provider.js";

export { type OpenAIModelId, OpenAIModels } from "./openai-models.js";
export { OPENAI_PRICES } from "./openai-prices.js";
export { createOpenAI, OpenAIProvider, type OpenAIProviderSettings } from "./openai-provider.js";

declare module "@rephysco/core" {
  interface ProviderRegistry {
    /** OpenAI (`@rephysco/openai`). */
    openai: OpenAIProviderSettings;
  }
}

registerProvider(
  "openai",
  (settings) => new OpenAIProvider(settings),
  providerInfoOf(OPENAI_CONFIG, "@rephysco/openai"),
);
