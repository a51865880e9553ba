/**
 * OpenAI chat model ids, for autocompletion. Any other model id string is accepted too.
 *
 * @example
 * ```ts
 * await client.generate("Hi", { model: OpenAIModels.GPT_4_1_MINI });
 * ```
 */
export const OpenAIModels = {
  GPT_4O: "gpt-4o",
  GPT_4O_MINI: "gpt-4o-mini",
  GPT_4_1: "gpt-4.1",
  GPT_4_1_MINI: "gpt-4.1-mini",
  GPT_4_1_NANO: "gpt-4.1-nano",
  O1: "o1",
  O3: "o3",
  O3_MINI: "o3-mini",
  O4_MINI: "o4-mini",
  GPT_5: "gpt-5",
  GPT_5_MINI: "gpt-5-mini",
  GPT_5_NANO: "gpt-5-nano",
  GPT_5_CHAT_LATEST: "gpt-5-chat-latest",
} as const;

/** One of the known OpenAI model ids. */
export type OpenAIModelId = (typeof OpenAIModels)[keyof typeof OpenAIModels];

/** The model used when a call names none: cheap, fast, and accepts images. */
export const OPENAI_DEFAULT_MODEL: OpenAIModelId = OpenAIModels.GPT_4_1_MINI;
