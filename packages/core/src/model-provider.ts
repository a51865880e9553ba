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
