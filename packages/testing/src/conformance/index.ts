export type { ConformanceDialect, ProviderConformanceOptions } from "./conformance-options.js";
export { describeProviderConformance } from "./describe-provider-conformance.js";
export { type ErrorCase, errorBody, RETRY_AFTER_SECONDS } from "./dialect-errors.js";
export {
  readConversation,
  readToolRequest,
  type WireConversation,
  type WireImage,
  type WireJsonRequest,
  type WireTool,
  type WireToolCall,
  type WireToolRequest,
  type WireToolResult,
  type WireTurn,
} from "./wire-inspector.js";
