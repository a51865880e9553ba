import { registerProvider } from "@rephysco/core";
import { ANTHROPIC_DEFAULT_MODEL } from "./anthropic-models.js";
import {
  ANTHROPIC_API_KEY_ENV_VARS,
  ANTHROPIC_BASE_URL_ENV_VARS,
  ANTHROPIC_PROVIDER_ID,
  AnthropicProvider,
} from "./anthropic-provider.js";

export type {
  AnthropicErrorBody,
  AnthropicImageSource,
  AnthropicMessage,
  AnthropicPrompt,
  AnthropicRequestBlock,
  AnthropicResponse,
  AnthropicResponseBlock,
  AnthropicStreamEvent,
  AnthropicUsage,
} from "./anthropic-api-types.js";
export { mapAnthropicError } from "./anthropic-error.js";
export {
  ANTHROPIC_DEFAULT_MAX_TOKENS,
  ANTHROPIC_DEFAULT_MODEL,
  type AnthropicModelId,
  AnthropicModels,
} from "./anthropic-models.js";
export {
  ANTHROPIC_API_KEY_ENV_VARS,
  ANTHROPIC_BASE_URL_ENV_VARS,
  ANTHROPIC_DEFAULT_BASE_URL,
  ANTHROPIC_PROVIDER_ID,
  AnthropicProvider,
  type AnthropicProviderSettings,
  createAnthropic,
} from "./anthropic-provider.js";
export { convertAnthropicUsage } from "./convert-anthropic-usage.js";
export { convertToAnthropicMessages } from "./convert-to-anthropic-messages.js";
export { mapAnthropicFinishReason } from "./map-anthropic-finish-reason.js";

// The one side effect of this package (declared in package.json `sideEffects`): importing it
// makes the "anthropic" id available to createProvider and LLMClient.
registerProvider(ANTHROPIC_PROVIDER_ID, (settings) => new AnthropicProvider(settings), {
  defaultModel: ANTHROPIC_DEFAULT_MODEL,
  apiKeyEnvVars: ANTHROPIC_API_KEY_ENV_VARS,
  baseURLEnvVars: ANTHROPIC_BASE_URL_ENV_VARS,
  packageName: "@rephysco/anthropic",
});
