/**
 * xAI Grok model ids, for autocompletion. Any other model id string is accepted.
 *
 * @example
 * ```ts
 * await client.generate("Hi", { model: XAIModels.GROK_3_MINI });
 * ```
 */
export const XAIModels = {
  GROK_2_1212: "grok-2-1212",
  GROK_2_VISION_1212: "grok-2-vision-1212",
  GROK_3: "grok-3",
  /** Returns `reasoning_content` (the only chat-completions model that does). */
  GROK_3_MINI: "grok-3-mini",
  GROK_4: "grok-4",
  GROK_4_0709: "grok-4-0709",
  GROK_4_LATEST: "grok-4-latest",
  GROK_4_FAST_REASONING: "grok-4-fast-reasoning",
  GROK_4_FAST_NON_REASONING: "grok-4-fast-non-reasoning",
  GROK_4_1_FAST_REASONING: "grok-4-1-fast-reasoning",
  GROK_4_1_FAST_NON_REASONING: "grok-4-1-fast-non-reasoning",
  GROK_CODE_FAST_1: "grok-code-fast-1",
  GROK_4_20_REASONING: "grok-4.20-reasoning",
  GROK_4_20_NON_REASONING: "grok-4.20-non-reasoning",
  GROK_LATEST: "grok-latest",
} as const;

/** One of the known Grok model ids. */
export type XAIModelId = (typeof XAIModels)[keyof typeof XAIModels];
