export {
  createMockServer,
  type MockServer,
  type MockServerOptions,
} from "./mock-server.js";
export type {
  MockErrorReply,
  MockMalformedReply,
  MockMidStreamError,
  MockRawReply,
  MockReply,
  MockReplyFactory,
  MockReplySource,
  MockResetReply,
  MockTextReply,
  MockTiming,
  MockUsage,
} from "./mock-reply.js";
export type { MockDialect, RecordedRequest } from "./recorded-request.js";
export { splitIntoChunks } from "./text-reply.js";
export {
  type AnthropicErrorOptions,
  type AnthropicRateLimitOptions,
  type DashScopeArrearageOptions,
  type DashScopeErrorOptions,
  type GeminiResourceExhaustedOptions,
  type OpenAIRateLimitOptions,
  type SiliconFlowErrorOptions,
  vendorErrors,
} from "./vendor-errors/index.js";
export * from "./conformance/index.js";
