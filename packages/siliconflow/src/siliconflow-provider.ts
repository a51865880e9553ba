import {
  type OpenAICompatibleConfig,
  OpenAICompatibleProvider,
  type OpenAICompatibleSettings,
} from "@rephysco/openai/compatible";
import { SILICONFLOW_ERROR_CODES } from "./siliconflow-error.js";
import { SiliconFlowModels } from "./siliconflow-models.js";
import { SILICONFLOW_PRICES } from "./siliconflow-prices.js";

/** SiliconFlow base URLs by region. Accounts are separate: a .com key fails on .cn and back. */
export const SILICONFLOW_BASE_URLS = {
  /** Mainland China, the default. */
  cn: "https://api.siliconflow.cn/v1",
  /** International. */
  intl: "https://api.siliconflow.com/v1",
} as const;

/** Settings of the `"silicon_flow"` provider. */
export interface SiliconFlowProviderSettings extends OpenAICompatibleSettings {
  /** API key. Default: `SILICONFLOW_API_KEY`, then `SILICON_FLOW_API_KEY`. */
  readonly apiKey?: string;
  /** Base URL. Default: `SILICONFLOW_BASE_URL`, then the `cn` endpoint. Wins over `region`. */
  readonly baseURL?: string;
  /** `"intl"` for `api.siliconflow.com`, `"cn"` for `api.siliconflow.cn`. */
  readonly region?: keyof typeof SILICONFLOW_BASE_URLS;
}

/** How SiliconFlow differs from OpenAI. */
export const SILICONFLOW_CONFIG: OpenAICompatibleConfig = {
  id: "silicon_flow",
  defaultModel: SiliconFlowModels.DEEPSEEK_V3,
  defaultBaseURL: SILICONFLOW_BASE_URLS.cn,
  baseURLs: SILICONFLOW_BASE_URLS,
  apiKeyEnvVars: ["SILICONFLOW_API_KEY", "SILICON_FLOW_API_KEY"],
  baseURLEnvVars: ["SILICONFLOW_BASE_URL", "SILICON_FLOW_BASE_URL"],
  reasoningFields: ["reasoning_content"],
  errorCodes: SILICONFLOW_ERROR_CODES,
  requestIdHeaders: ["x-siliconcloud-trace-id"],
  // DeepSeek and Qwen thinking models want their reasoning back with a tool history.
  echoReasoning: true,
  // "Structured Outputs" (json_schema) on every language model it serves (docs: json-mode_struct).
  jsonSchema: true,
  prices: SILICONFLOW_PRICES,
  capabilities: { images: true, reasoning: true, tools: true, structuredOutput: true },
};

/**
 * SiliconFlow through its OpenAI-compatible chat completions. Its errors are not OpenAI-shaped
 * (numeric codes, bare strings): they are mapped from the status and the raw body, and the
 * `x-siliconcloud-trace-id` header is kept as the request id.
 *
 * @example
 * ```ts
 * const sf = new SiliconFlowProvider({ region: "intl" });
 * const res = await sf.generate([{ role: "user", content: "Hi" }], { model: "deepseek-ai/DeepSeek-R1" });
 * ```
 */
export class SiliconFlowProvider extends OpenAICompatibleProvider {
  /** @throws {AuthenticationError} when no key is given and `SILICONFLOW_API_KEY` is not set. */
  constructor(settings: SiliconFlowProviderSettings = {}) {
    super(SILICONFLOW_CONFIG, settings);
  }
}

/**
 * Creates a SiliconFlow provider.
 *
 * @example
 * ```ts
 * const sf = createSiliconFlow({ region: "intl" });
 * ```
 */
export function createSiliconFlow(settings: SiliconFlowProviderSettings = {}): SiliconFlowProvider {
  return new SiliconFlowProvider(settings);
}
