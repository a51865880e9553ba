/**
 * `@rephysco/gemini`: Google Gemini. Importing it registers `"gemini"` (and nothing else).
 *
 * @packageDocumentation
 */
import { registerProvider } from "@rephysco/core";
import { providerInfoOf } from "@rephysco/core/http";
import { GEMINI_CONFIG, GeminiProvider, type GeminiProviderSettings } from "./gemini-provider.js";

export type { GeminiProviderOptions } from "./convert-to-gemini-config.js";
export { type GeminiModelId, GeminiModels } from "./gemini-models.js";
export { GEMINI_PRICES } from "./gemini-prices.js";
export { createGemini, GeminiProvider, type GeminiProviderSettings } from "./gemini-provider.js";

declare module "@rephysco/core" {
  interface ProviderRegistry {
    /** Google Gemini (`@rephysco/gemini`). */
    gemini: GeminiProviderSettings;
  }
}

// The one side effect of this package (declared in package.json `sideEffects`): importing it
// makes the "gemini" id available to createProvider and LLMClient.
registerProvider(
  GEMINI_CONFIG.id,
  (settings) => new GeminiProvider(settings),
  providerInfoOf(GEMINI_CONFIG, "@rephysco/gemini"),
);
