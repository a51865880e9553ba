/**
 * DashScope (Model Studio) model ids, for autocompletion. Any other model id string is accepted.
 *
 * @example
 * ```ts
 * await client.generate("你好", { model: AliyunModels.QWEN_PLUS });
 * ```
 */
export const AliyunModels = {
  QWEN_MAX: "qwen-max",
  QWEN_MAX_LATEST: "qwen-max-latest",
  QWEN_PLUS: "qwen-plus",
  QWEN_TURBO: "qwen-turbo",
  QWEN_FLASH: "qwen-flash",
  QWEN3_MAX: "qwen3-max",
  /** Stream-only: `generate()` streams under the hood. */
  QWEN_OMNI_TURBO: "qwen-omni-turbo",
  /** Thinking-only and stream-only: `generate()` streams under the hood. */
  QWQ_PLUS: "qwq-plus",
  QWEN_VL_MAX: "qwen-vl-max",
  QWEN_VL_PLUS: "qwen-vl-plus",
  DEEPSEEK_R1: "deepseek-r1",
  DEEPSEEK_V3: "deepseek-v3",
} as const;

/** One of the known DashScope model ids. */
export type AliyunModelId = (typeof AliyunModels)[keyof typeof AliyunModels];
