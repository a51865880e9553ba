export { BaseProvider, type BaseProviderConfig } from "./base-provider.js";
export { type CacheKeyInput, cacheKey } from "./cache/cache-key.js";
export {
  type CachedResponse,
  type CacheEntry,
  type CacheStore,
  isCacheEntry,
} from "./cache/cache-store.js";
export {
  type CacheDirContext,
  defaultCacheDir,
  type FileStore,
  type FileStoreOptions,
  fileStore,
  type PruneResult,
} from "./cache/file-store.js";
export { type MemoryStore, type MemoryStoreOptions, memoryStore } from "./cache/memory-store.js";
export type { EventListener, RephyscoEvent, Target } from "./client/events.js";
export type {
  AttemptInfo,
  CallMode,
  CallParams,
  Middleware,
  WrapGenerateOptions,
  WrapStreamOptions,
} from "./client/middleware.js";
export {
  AuthenticationError,
  ConfigurationError,
  ContentFilterError,
  type ErrorDetails,
  type ErrorReason,
  InvalidRequestError,
  ProviderError,
  QuotaExceededError,
  RateLimitError,
  RephyscoError,
  ServiceUnavailableError,
  TimeoutError,
} from "./errors.js";
export {
  createErrorFromResponse,
  ErrorClasses,
  type ErrorClassName,
  errorClassForStatus,
  excerpt,
  getHeader,
  type HeaderSource,
  parseDurationMs,
  parseRetryAfter,
  type ResponseErrorInput,
} from "./http-errors.js";
export { imageToUrl, type ResolvedImage, resolveImage, sniffImageType } from "./images.js";
export {
  type AnyFallbackTarget,
  type FallbackTarget,
  type GenerateOptions,
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
export {
  abortReason,
  computeRetryDelay,
  DEFAULT_RETRY,
  isAbortError,
  type ResolvedRetryOptions,
  type RetryOptions,
  resolveRetryOptions,
  sleep,
} from "./retry.js";
export { scrubError, scrubSecrets, scrubValue } from "./scrub.js";
export { stableStringify } from "./stable-stringify.js";
export type {
  FinishPart,
  MetadataPart,
  ReasoningPart,
  StreamPart,
  TextPart,
} from "./stream-part.js";
export type {
  FinishReason,
  ImageInput,
  Message,
  ModelResponse,
  ProviderCallOptions,
  ProviderCapabilities,
  Role,
  StreamChunk,
  Usage,
} from "./types.js";
