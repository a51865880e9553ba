import type { Message, ProviderCallOptions } from "@rephysco/core";
import { isOpenAIReasoningModel } from "./is-openai-reasoning-model.js";
import type { OpenAIChatRequestBody } from "./openai-chat-types.js";
import type {
  OpenAICompatibleConfig,
  OpenAICompatibleSettings,
} from "./openai-compatible-config.js";
import { OpenAICompatibleProvider } from "./openai-compatible-provider.js";
import { OPENAI_DEFAULT_MODEL } from "./openai-models.js";
import { OPENAI_PRICES } from "./openai-prices.js";

/** Settings of the `"openai"` provider. */
export interface OpenAIProviderSettings extends OpenAICompatibleSettings {
  /** API key. Default: `OPENAI_API_KEY`. */
  readonly apiKey?: string;
  /** Base URL. Default: `OPENAI_BASE_URL`, then `https://api.openai.com/v1`. */
  readonly baseURL?: string;
  /** Sent as `OpenAI-Organization`. */
  readonly organization?: string;
  /** Sent as `OpenAI-Project`. */
  readonly project?: string;
  /** Extra HTTP headers sent with every request. */
  readonly headers?: Readonly<Record<string, string>>;
}

/** How OpenAI itself is described to the compatible base. */
export const OPENAI_CONFIG: OpenAICompatibleConfig = {
  id: "openai",
  defaultModel: OPENAI_DEFAULT_MODEL,
  defaultBaseURL: "https://api.openai.com/v1",
  apiKeyEnvVars: ["OPENAI_API_KEY"],
  baseURLEnvVars: ["OPENAI_BASE_URL"],
  // OpenAI never returns reasoning text in chat completions; nothing to read.
  reasoningFields: [],
  prices: OPENAI_PRICES,
  capabilities: { images: true, reasoning: false, tools: true, structuredOutput: true },
};

/** Parameters reasoning models reject ("Unsupported parameter" / "Unsupported value"). */
const REASONING_UNSUPPORTED = [
  "temperature",
  "top_p",
  "frequency_penalty",
  "presence_penalty",
  "logprobs",
  "top_logprobs",
  "logit_bias",
] as const;

/**
 * The OpenAI provider (chat completions). On top of the compatible base it handles reasoning
 * models (`o1`, `o3`, `o4-mini`, `gpt-5*` but not `gpt-5-chat*`): `max_completion_tokens`
 * instead of `max_tokens`, no sampling parameters or penalties, and the system prompt as a
 * `developer` message.
 *
 * @example
 * ```ts
 * import { OpenAIProvider } from "@rephysco/openai";
 * const openai = new OpenAIProvider({ apiKey: process.env.OPENAI_API_KEY });
 * const res = await openai.generate([{ role: "user", content: "Hi" }], { model: "gpt-4.1-mini" });
 * ```
 */
export class OpenAIProvider extends OpenAICompatibleProvider {
  /**
   * @throws {AuthenticationError} when no key is given and `OPENAI_API_KEY` is not set.
   */
  constructor(settings: OpenAIProviderSettings = {}) {
    super(OPENAI_CONFIG, settings, {
      organization: settings.organization ?? null,
      project: settings.project ?? null,
    });
  }

  protected override buildRequestBody(
    messages: readonly Message[],
    options: ProviderCallOptions,
    stream: boolean,
  ): OpenAIChatRequestBody {
    const body = super.buildRequestBody(messages, options, stream);
    if (!isOpenAIReasoningModel(body.model)) return body;
    for (const key of REASONING_UNSUPPORTED) delete body[key];
    if (body.max_tokens !== undefined) {
      body.max_completion_tokens ??= body.max_tokens;
      delete body.max_tokens;
    }
    body.messages = body.messages.map((m) =>
      m.role === "system" ? { ...m, role: "developer" } : m,
    );
    return body;
  }
}

/**
 * Creates an OpenAI provider.
 *
 * @example
 * ```ts
 * const openai = createOpenAI({ organization: "org-123" });
 * ```
 */
export function createOpenAI(settings: OpenAIProviderSettings = {}): OpenAIProvider {
  return new OpenAIProvider(settings);
}
