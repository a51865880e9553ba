/**
 * `@rephysco/openai/compatible`: the OpenAI-compatible base, free of side effects. Importing it
 * registers nothing, so vendor packages (and third parties) build on it without pulling in or
 * registering the `"openai"` provider. Its surface is the base itself: the provider class and its
 * factory, the config that describes how a service differs from OpenAI, the settings, and the
 * wire types the class and the config's hooks are written in. Converters and error mappers are
 * the base's implementation, not part of it.
 *
 * @packageDocumentation
 */

export type {
  OpenAIAssistantMessage,
  OpenAIChatCompletion,
  OpenAIChatCompletionChunk,
  OpenAIChatMessage,
  OpenAIChatRequestBody,
  OpenAIContentPart,
  OpenAIFunctionTool,
  OpenAIResponseFormat,
  OpenAIToolCall,
  OpenAIToolCallDelta,
  OpenAIToolChoice,
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
