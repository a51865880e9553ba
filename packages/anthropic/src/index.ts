/**
 * `@rephysco/anthropic`: Anthropic's Claude through the Messages API. Importing it registers
 * `"anthropic"` (and nothing else).
 *
 * @packageDocumentation
 */
import { registerProvider } from "@rephysco/core";
import { providerInfoOf } from "@rephysco/core/http";
import { ANTHROPIC_CONFIG, AnthropicProvider } from "./anthropic-provider.js";

export { type AnthropicModelId, AnthropicModels } from "./anthropic-models.js";
export { ANTHROPIC_PRICES } from "./anthropic-prices.js";
export {
  AnthropicProvider,
  type AnthropicProviderSettings,
  createAnthropic,
} from "./anthropic-provider.js";

// The one side effect of this package (declared in package.json `sideEffects`): importing it
// makes the "anthropic" id available to createProvider and LLMClient.
registerProvider(
  ANTHROPIC_CONFIG.id,
  (settings) => new AnthropicProvider(settings),
  providerInfoOf(ANTHROPIC_CONFIG, "@rephysco/anthropic"),
);
