/**
 * `@rephysco/openai/compatible`: the OpenAI-compatible base, free of side effects. Importing it
 * registers nothing, so vendor packages (and third parties) build on it without pulling in or
 * registering the `"openai"` provider.
 *
 * @packageDocumentation
 */

export { convertOpenAIUsage } from "./convert-openai-usage.js";
export {
  type ConvertToOpenAIMessagesOptions,
  convertToOpenAIMessages,
} from "./convert-to-openai-messages.js";
export { ErrorBodyCapture } from "./error-body-capture.js";
export { extractReasoning } from "./extract-reasoning.js";
export { mapOpenAIFinishReason } from "./map-openai-finish-reason.js";
export type {
  OpenAIAssistantMessage,
  OpenAIChatCompletion,
  OpenAIChatCompletionChunk,
  OpenAIChatMessage,
  OpenAIChatRequestBody,
  OpenAIContentPart,
  OpenAIUsage,
} from "./openai-chat-types.js";
export type {
  OpenAICompatibleConfig,
  OpenAICompatibleErrorContext,
  OpenAICompatibleErrorMapping,
  OpenAICompatibleRequestContext,
  OpenAICompatibleSettings,
} from "./openai-compatible-config.js";
export {
  createOpenAICompatible,
  type OpenAIClientExtras,
  OpenAICompatibleProvider,
} from "./openai-compatible-provider.js";
export {
  type MapOpenAIErrorOptions,
  mapOpenAIError,
  OPENAI_ERROR_CODES,
  readErrorFields,
} from "./openai-error.js";
