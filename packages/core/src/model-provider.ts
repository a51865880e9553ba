/**
 * The ids of the providers Rephysco ships. Third-party packages register more ids.
 *
 * @example
 * ```ts
 * new LLMClient({ provider: ModelProvider.OPENAI });
 * ```
 */
export const ModelProvider = {
  OPENAI: "openai",
  GEMINI: "gemini",
  ALIYUN: "aliyun",
  SILICON_FLOW: "silicon_flow",
  XAI: "xai",
} as const;

/** One of the built-in provider ids. */
export type ModelProvider = (typeof ModelProvider)[keyof typeof ModelProvider];

/** Package that registers each known id, used in "unknown provider" errors. */
export const PROVIDER_PACKAGES: Readonly<Record<string, string>> = {
  openai: "@rephysco/openai",
  gemini: "@rephysco/gemini",
  aliyun: "@rephysco/aliyun",
  silicon_flow: "@rephysco/siliconflow",
  siliconflow: "@rephysco/siliconflow",
  xai: "@rephysco/xai",
  anthropic: "@rephysco/anthropic",
};
