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
  loadGatewayConfig,
  type ModelRoute,
  parseGatewayConfig,
} from "./config.js";
export { createGateway, type Gateway, type GatewayOptions } from "./server.js";
