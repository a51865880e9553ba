/**
 * `@rephysco/openai`: the OpenAI provider. Importing this entry registers `"openai"` with the
 * Rephysco registry. For the OpenAI-compatible base without that side effect, import
 * `@rephysco/openai/compatible`.
 *
 * @packageDocumentation
 */
import { registerProvider } from "@rephysco/core";
import { OPENAI_CONFIG, OpenAIProvider, type OpenAIProviderSettings } from "./openai-provider.js";

export * from "./compatible.js";
export { isOpenAIReasoningModel } from "./is-openai-reasoning-model.js";
export { OPENAI_DEFAULT_MODEL, type OpenAIModelId, OpenAIModels } from "./openai-models.js";
export {
  createOpenAI,
  OPENAI_CONFIG,
  OpenAIProvider,
  type OpenAIProviderSettings,
} from "./openai-provider.js";

declare module "@rephysco/core" {
  interface ProviderRegistry {
    /** OpenAI (`@rephysco/openai`). */
    openai: OpenAIProviderSettings;
  }
}

registerProvider("openai", (settings) => new OpenAIProvider(settings), {
  defaultModel: OPENAI_CONFIG.defaultModel,
  apiKeyEnvVars: OPENAI_CONFIG.apiKeyEnvVars,
  baseURLEnvVars: OPENAI_CONFIG.baseURLEnvVars ?? [],
  packageName: "@rephysco/openai",
});
