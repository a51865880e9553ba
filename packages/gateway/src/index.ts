/**
 * `@rephysco/gateway`: an OpenAI-compatible HTTP gateway to every Rephysco provider. Any program
 * that speaks OpenAI Chat Completions reaches every provider through one endpoint, with caching,
 * retries, timeouts, fallbacks, tools and structured output.
 *
 * @packageDocumentation
 */
export {
  type FallbackRoute,
  type GatewayConfig,
  GatewayConfigError,
  type GatewayKeysConfig,
  type GatewayLimitsConfig,
  type GatewayRedisConfig,
  loadGatewayConfig,
  type ModelRoute,
  parseGatewayConfig,
} from "./config.js";
export {
  createVirtualKey,
  hashVirtualKey,
  type KeyBudgetPeriod,
  type KeysFile,
  KeysFileError,
  readKeysFile,
  revokeVirtualKey,
  VIRTUAL_KEY_PREFIX,
  type VirtualKeyPolicy,
  type VirtualKeyRecord,
} from "./keys.js";
export { createGateway, type Gateway, type GatewayOptions } from "./server.js";
export { createFastFetch, type FastFetch, type FastFetchOptions } from "./transport.js";
