/**
 * The ids of the providers Rephysco ships. Third-party packages register more ids.
 *
 * @deprecated Core no longer knows vendors: write the id as a string (`"openai"`); registered
 * ids autocomplete through `ProviderRegistry`. Goes in 0.3.
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

/** One of the built-in provider ids. @deprecated Use `ProviderId`. */
export type ModelProvider = (typeof ModelProvider)[keyof typeof ModelProvider];
