export * from "./conformance/index.js";
export { describePriceSheet, type PriceSheetCase } from "./describe-price-sheet.js";
export {
  describeStoreConformance,
  type StoreCapabilities,
  type StoreConformanceOptions,
} from "./describe-store-conformance.js";
export {
  createFakeProvider,
  type FakeCall,
  type FakeErrorReply,
  type FakePartsReply,
  type FakeProvider,
  type FakeProviderOptions,
  type FakeReply,
  type FakeReplySource,
  type FakeTextReply,
  type FakeTiming,
  type FakeToolCall,
} from "./fake-provider.js";
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
export {
  createMockServer,
  type MockServer,
  type MockServerOptions,
} from "./mock-server.js";
export type { MockDialect, RecordedRequest } from "./recorded-request.js";
export { type RedisServer, startRedisServer } from "./redis-server.js";
export {
  caught,
  clientStream,
  type DrainedParts,
  type DrainedStream,
  drain,
  drainParts,
  findSecret,
  TINY_PNG,
} from "./test-utils.js";
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
