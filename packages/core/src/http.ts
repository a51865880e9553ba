/**
 * `@rephysco/core/http`: the HTTP toolkit for providers that talk to an API with plain `fetch`
 * (no vendor SDK, or a protocol other than OpenAI's). Free of side effects: importing it
 * registers nothing.
 *
 * @example
 * ```ts
 * import { parseJsonEvent, postJson, readSseEvents } from "@rephysco/core/http";
 *
 * const response = await postJson({ url, headers, body, signal, provider: "my-llm", secrets: [apiKey] });
 * for await (const ev of readSseEvents(response, { provider: "my-llm", signal })) {
 *   const payload = parseJsonEvent<MyEvent>(ev.data, "my-llm");
 * }
 * ```
 *
 * It also holds what provider and cache-store authors need beyond HTTP: `BaseProvider`, error
 * construction, image resolution, secret scrubbing, and the policy tables.
 *
 * @packageDocumentation
 */
export { BaseProvider, type BaseProviderConfig } from "./base-provider.js";
export { isCacheEntry } from "./cache/cache-store.js";
export { Assembler } from "./client/assemble.js";
export { CACHED_COST, findPrice, validatePriceOverrides } from "./cost.js";
export {
  type ErrorFromResponseOptions,
  type ErrorMapper,
  type ErrorResponseInfo,
  errorFromResponse,
  type MappedError,
  readBoundedText,
} from "./http/error-from-response.js";
export {
  DEFAULT_MAX_ERROR_BODY_BYTES,
  DEFAULT_MAX_EVENT_BYTES,
  DEFAULT_MAX_RESPONSE_BYTES,
  limitResponseBody,
  type ResponseBodyLimits,
  readLimitedText,
  responseTooLargeError,
} from "./http/limits.js";
export { incompleteStreamError } from "./http/network-error.js";
export { parseJsonEvent } from "./http/parse-json-event.js";
export { type PostJsonOptions, postJson } from "./http/post-json.js";
export { type ReadJsonBodyOptions, readJsonBody } from "./http/read-json-body.js";
export { type ReadSseEventsOptions, readSseEvents, type SseEvent } from "./http/read-sse-events.js";
export {
  checkToolCall,
  checkToolResults,
  OPENAI_TOOL_NAME_RULE,
  type ToolNameRule,
  toolArgumentsJson,
  toolArgumentsObject,
} from "./http/tools.js";
export { addUsage, type UsageCounts, usageOf } from "./http/usage.js";
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
  type ErrorBodyFields,
  REQUEST_ID_HEADERS,
  readErrorFields,
} from "./policy.js";
export { providerInfoOf } from "./registry.js";
export { abortReason } from "./retry.js";
export { scrubError, scrubSecrets, scrubValue, urlSecrets } from "./scrub.js";
export { stableStringify } from "./stable-stringify.js";
export { isStreamPart, LegacyChunkAdapter } from "./stream-part.js";
export {
  classifyTransportError,
  hasTransportCode,
  type TransportErrorContext,
  type TransportFailureKind,
  toTransportError,
} from "./transport-error.js";
