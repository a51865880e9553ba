import {
  type OpenAICompatibleConfig,
  OpenAICompatibleProvider,
  type OpenAICompatibleSettings,
} from "@rephysco/openai/compatible";
import { DASHSCOPE_ERROR_CODES, mapDashScopeError } from "./aliyun-error.js";
import { AliyunModels } from "./aliyun-models.js";
import { ALIYUN_PRICES } from "./aliyun-prices.js";
import { isDashScopeStreamOnly } from "./is-dashscope-stream-only.js";
import { supportsDashScopeJsonSchema } from "./supports-dashscope-json-schema.js";

/** DashScope compatible-mode base URLs by region. Keys are region-specific: a Beijing key fails on intl. */
export const DASHSCOPE_BASE_URLS = {
  /** Mainland China (Beijing), the default. */
  cn: "https://dashscope.aliyuncs.com/compatible-mode/v1",
  /** International (Singapore). */
  intl: "https://dashscope-intl.aliyuncs.com/compatible-mode/v1",
} as const;

/** Settings of the `"aliyun"` provider. */
export interface AliyunProviderSettings extends OpenAICompatibleSettings {
  /** API key. Default: `DASHSCOPE_API_KEY`. */
  readonly apiKey?: string;
  /** Base URL. Default: `DASHSCOPE_BASE_URL`, then the `cn` endpoint. Wins over `region`. */
  readonly baseURL?: string;
  /** `"intl"` for the international (Singapore) endpoint, `"cn"` for mainland China. */
  readonly region?: keyof typeof DASHSCOPE_BASE_URLS;
}

/** How DashScope's compatible mode differs from OpenAI. */
export const ALIYUN_CONFIG: OpenAICompatibleConfig = {
  id: "aliyun",
  defaultModel: AliyunModels.QWEN_PLUS,
  defaultBaseURL: DASHSCOPE_BASE_URLS.cn,
  baseURLs: DASHSCOPE_BASE_URLS,
  apiKeyEnvVars: ["DASHSCOPE_API_KEY"],
  baseURLEnvVars: ["DASHSCOPE_BASE_URL"],
  reasoningFields: ["reasoning_content"],
  streamOnly: isDashScopeStreamOnly,
  errorCodes: DASHSCOPE_ERROR_CODES,
  mapError: mapDashScopeError,
  // Qwen thinking models, like DeepSeek's, want their reasoning back with a tool history.
  echoReasoning: true,
  jsonSchema: supportsDashScopeJsonSchema,
  prices: ALIYUN_PRICES,
  capabilities: { images: true, reasoning: true, tools: true, structuredOutput: true },
};

/**
 * Aliyun DashScope (Qwen) through its OpenAI-compatible mode. Stream-only models and thinking
 * calls are streamed under the hood by `generate()`; DashScope's `null` content / reasoning
 * fields are read as "nothing new"; moderation, key, throttling and arrears errors get their
 * own classes; DashScope's `request_id` is kept.
 *
 * @example
 * ```ts
 * const qwen = new AliyunProvider({ region: "intl" });
 * const res = await qwen.generate([{ role: "user", content: "Hi" }],
 *   { model: "qwen-plus", providerOptions: { enable_thinking: true } });
 * console.log(res.reasoning, res.content);
 * ```
 */
export class AliyunProvider extends OpenAICompatibleProvider {
  /** @throws {AuthenticationError} when no key is given and `DASHSCOPE_API_KEY` is not set. */
  constructor(settings: AliyunProviderSettings = {}) {
    super(ALIYUN_CONFIG, settings);
  }
}

/**
 * Creates a DashScope provider.
 *
 * @example
 * ```ts
 * const qwen = createAliyun({ region: "intl" });
 * ```
 */
export function createAliyun(settings: AliyunProviderSettings = {}): AliyunProvider {
  return new AliyunProvider(settings);
}
