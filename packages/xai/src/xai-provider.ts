import {
  type OpenAICompatibleConfig,
  OpenAICompatibleProvider,
  type OpenAICompatibleSettings,
} from "@rephysco/openai/compatible";
import { mapXAIError, XAI_ERROR_CODES } from "./xai-error.js";
import { XAIModels } from "./xai-models.js";
import { XAI_PRICES } from "./xai-prices.js";
import { xaiReportedCost } from "./xai-usage.js";

/** Settings of the `"xai"` provider. */
export interface XAIProviderSettings extends OpenAICompatibleSettings {
  /** API key. Default: `XAI_API_KEY`. */
  readonly apiKey?: string;
  /** Base URL. Default: `XAI_BASE_URL`, then `https://api.x.ai/v1`. */
  readonly baseURL?: string;
}

/** How xAI differs from OpenAI. */
export const XAI_CONFIG: OpenAICompatibleConfig = {
  id: "xai",
  defaultModel: XAIModels.GROK_3_MINI,
  defaultBaseURL: "https://api.x.ai/v1",
  apiKeyEnvVars: ["XAI_API_KEY"],
  baseURLEnvVars: ["XAI_BASE_URL"],
  reasoningFields: ["reasoning_content"],
  errorCodes: XAI_ERROR_CODES,
  mapError: mapXAIError,
  prices: XAI_PRICES,
  // `completion_tokens` leaves out reasoning (`total_tokens` = prompt + completion + reasoning).
  reasoningInCompletion: false,
  // `usage.cost_in_usd_ticks`: what the request was billed.
  reportedCost: xaiReportedCost,
  capabilities: { images: true, reasoning: true, tools: true, structuredOutput: true },
};

/**
 * xAI (Grok) through its OpenAI-compatible chat completions. Handles both of xAI's error shapes
 * (OpenAI's and the gRPC one), an invalid key answered with HTTP 400, exhausted credits answered
 * with a 429 that must not be retried, and `reasoning_content` from `grok-3-mini`.
 *
 * @example
 * ```ts
 * const grok = new XAIProvider();
 * const res = await grok.generate([{ role: "user", content: "Hi" }], { model: "grok-3-mini" });
 * ```
 */
export class XAIProvider extends OpenAICompatibleProvider {
  /** @throws {AuthenticationError} when no key is given and `XAI_API_KEY` is not set. */
  constructor(settings: XAIProviderSettings = {}) {
    super(XAI_CONFIG, settings);
  }
}

/**
 * Creates an xAI provider.
 *
 * @example
 * ```ts
 * const grok = createXAI({ apiKey: process.env.MY_XAI_KEY });
 * ```
 */
export function createXAI(settings: XAIProviderSettings = {}): XAIProvider {
  return new XAIProvider(settings);
}
