/**
 * SiliconFlow model ids: `<org>/<Model>` exactly as on Hugging Face, with a `Pro/` prefix for the
 * paid tier. Short ids such as `deepseek-v3` are not valid here. Any other id string is accepted.
 *
 * @example
 * ```ts
 * await client.generate("Hi", { model: SiliconFlowModels.DEEPSEEK_R1 });
 * ```
 */
export const SiliconFlowModels = {
  DEEPSEEK_V3: "deepseek-ai/DeepSeek-V3",
  /** Returns `reasoning_content`. */
  DEEPSEEK_R1: "deepseek-ai/DeepSeek-R1",
  PRO_DEEPSEEK_V3: "Pro/deepseek-ai/DeepSeek-V3",
  PRO_DEEPSEEK_R1: "Pro/deepseek-ai/DeepSeek-R1",
  QWEN2_5_72B_INSTRUCT: "Qwen/Qwen2.5-72B-Instruct",
  QWQ_32B: "Qwen/QwQ-32B",
  QWEN3_8B: "Qwen/Qwen3-8B",
  GLM_Z1_32B: "THUDM/GLM-Z1-32B-0414",
} as const;

/** One of the known SiliconFlow model ids. */
export type SiliconFlowModelId = (typeof SiliconFlowModels)[keyof typeof SiliconFlowModels];
