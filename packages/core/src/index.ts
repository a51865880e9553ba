/**
 * `@rephysco/core`: what an application uses. The client and its options, middleware, the
 * `Provider` interface, messages and answers, errors, cache stores, and the provider registry.
 * What provider and store authors need lives in `@rephysco/core/http`.
 *
 * @packageDocumentation
 */
export type { CachedResponse, CacheEntry, CacheStore } from "./cache/cache-store.js";
export {
  type CacheDirContext,
  defaultCacheDir,
  type FileStore,
  type FileStoreOptions,
  fileStore,
  type PruneResult,
} from "./cache/file-store.js";
export { type MemoryStore, type MemoryStoreOptions, memoryStore } from "./cache/memory-store.js";
export type {
  CallInfo,
  CallObserver,
  CallOperation,
  CallOutcome,
} from "./client/call-observer.js";
export type { EventListener, RephyscoEvent, Target } from "./client/events.js";
export type {
  AttemptInfo,
  CallMode,
  CallParams,
  Middleware,
  WrapGenerateOptions,
  WrapStreamOptions,
} from "./client/middleware.js";
export type { DeepPartial, ObjectResponse, ObjectStreamItem } from "./client/objects.js";
export {
  computeCost,
  type PriceOverrides,
} from "./cost.js";
export * from "./deprecated.js";
export {
  AuthenticationError,
  BudgetExceededError,
  ConfigurationError,
  ContentFilterError,
  type ErrorDetails,
  type ErrorReason,
  InvalidOutputError,
  InvalidRequestError,
  type OutputIssue,
  ProviderError,
  QuotaExceededError,
  RateLimitError,
  RephyscoError,
  ServiceUnavailableError,
  TimeoutError,
  ToolExecutionError,
} from "./errors.js";
export {
  type AnyFallbackTarget,
  type FallbackTarget,
  type GenerateObjectOptions,
  type GenerateOptions,
  type GenerateResult,
  LLMClient,
  type LLMClientOptions,
} from "./llm-client.js";
export { ModelProvider } from "./model-provider.js";
export { isRetryableError, shouldFallbackByDefault } from "./policy.js";
export { isProvider, type Provider } from "./provider.js";
export {
  createProvider,
  hasProvider,
  listProviders,
  type ProviderFactory,
  type ProviderId,
  type ProviderInfo,
  type ProviderOptions,
  type ProviderRegistry,
  type ProviderSettings,
  registerProvider,
} from "./registry.js";
export { isAbortError, type RetryOptions } from "./retry.js";
export type {
  FinishPart,
  MetadataPart,
  ReasoningPart,
  RefusalPart,
  StreamPart,
  TextPart,
  ToolCallDeltaPart,
  ToolCallEndPart,
  ToolCallStartPart,
} from "./stream-part.js";
export {
  type InferSchema,
  jsonSchema,
  type SchemaInput,
  type TypedJsonSchema,
} from "./tools/schema.js";
export {
  type Tool,
  type ToolCallDecision,
  type ToolExecuteContext,
  type ToolSet,
  type TypedToolCall,
  type TypedToolResult,
  tool,
} from "./tools/tool.js";
export type {
  Cost,
  FinishReason,
  ImageInput,
  JsonSchema,
  JsonValue,
  Message,
  ModelPrice,
  ModelResponse,
  PriceSheet,
  PriceTable,
  ProviderCallOptions,
  ProviderCapabilities,
  ProviderMetadata,
  ResponseFormat,
  Role,
  StepResult,
  StreamChunk,
  ToolCall,
  ToolCallDelta,
  ToolChoice,
  ToolResult,
  ToolSpec,
  Usage,
} from "./types.js";
