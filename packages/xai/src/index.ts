/**
 * `@rephysco/xai`: xAI (Grok). Importing it registers `"xai"` (and nothing else: the base comes
 * from the side-effect-free `@rephysco/openai/compatible`).
 *
 * @packageDocumentation
 */
import { registerProvider } from "@rephysco/core";
import { XAI_CONFIG, XAIProvider, type XAIProviderSettings } from "./xai-provider.js";

export { mapXAIError, XAI_ERROR_CODES } from "./xai-error.js";
export { type XAIModelId, XAIModels } from "./xai-models.js";
export { createXAI, XAI_CONFIG, XAIProvider, type XAIProviderSettings } from "./xai-provider.js";

declare module "@rephysco/core" {
  interface ProviderRegistry {
    /** xAI Grok (`@rephysco/xai`). */
    xai: XAIProviderSettings;
  }
}

registerProvider("xai", (settings) => new XAIProvider(settings), {
  defaultModel: XAI_CONFIG.defaultModel,
  apiKeyEnvVars: XAI_CONFIG.apiKeyEnvVars,
  baseURLEnvVars: XAI_CONFIG.baseURLEnvVars ?? [],
  packageName: "@rephysco/xai",
});
