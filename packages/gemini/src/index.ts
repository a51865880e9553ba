import { registerProvider } from "@rephysco/core";
import { GEMINI_DEFAULT_MODEL } from "./gemini-models.js";
import {
  GEMINI_API_KEY_ENV_VARS,
  GEMINI_BASE_URL_ENV_VARS,
  GEMINI_PROVIDER_ID,
  GeminiProvider,
  type GeminiProviderSettings,
} from "./gemini-provider.js";

declare module "@rephysco/core" {
  interface ProviderRegistry {
    gemini: GeminiProviderSettings;
  }
}

// Importing the package registers "gemini": `new LLMClient({ provider: "gemini" })` then works.
registerProvider(GEMINI_PROVIDER_ID, (settings) => new GeminiProvider(settings), {
  defaultModel: GEMINI_DEFAULT_MODEL,
  apiKeyEnvVars: GEMINI_API_KEY_ENV_VARS,
  baseURLEnvVars: GEMINI_BASE_URL_ENV_VARS,
  packageName: "@rephysco/gemini",
});

export { convertGeminiUsage } from "./convert-gemini-usage.js";
export type { GeminiProviderOptions } from "./convert-to-gemini-config.js";
export type { GeminiPrompt } from "./convert-to-gemini-contents.js";
export { GEMINI_DEFAULT_MODEL, type GeminiModelId, GeminiModels } from "./gemini-models.js";
export {
  createGemini,
  GEMINI_API_KEY_ENV_VARS,
  GEMINI_BASE_URL_ENV_VARS,
  GEMINI_DEFAULT_BASE_URL,
  GEMINI_PROVIDER_ID,
  GeminiProvider,
  type GeminiProviderSettings,
} from "./gemini-provider.js";
export { mapGeminiFinishReason } from "./map-gemini-finish-reason.js";
