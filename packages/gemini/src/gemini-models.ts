/**
 * Gemini model ids Rephysco knows by name. Any other string is accepted too: new models work
 * without a Rephysco release.
 *
 * @example
 * ```ts
 * await client.generate("hi", { model: GeminiModels.GEMINI_2_5_PRO });
 * ```
 */
export const GeminiModels = {
  /** Gemini 2.5 Flash: fast, thinking-capable, the default. */
  GEMINI_2_5_FLASH: "gemini-2.5-flash",
  /** Gemini 2.5 Pro: the most capable 2.5 model, thinking always on. */
  GEMINI_2_5_PRO: "gemini-2.5-pro",
  /** Gemini 2.5 Flash-Lite: cheapest 2.5 model. */
  GEMINI_2_5_FLASH_LITE: "gemini-2.5-flash-lite",
  /** Gemini 2.0 Flash. */
  GEMINI_2_0_FLASH: "gemini-2.0-flash",
  /** Gemini 2.0 Flash-Lite. */
  GEMINI_2_0_FLASH_LITE: "gemini-2.0-flash-lite",
  /** Gemini 1.5 Pro (retired by Google for new projects; kept for existing callers). */
  GEMINI_1_5_PRO: "gemini-1.5-pro",
  /** Gemini 1.5 Flash (retired by Google for new projects; kept for existing callers). */
  GEMINI_1_5_FLASH: "gemini-1.5-flash",
  /** Gemini 1.5 Flash-8B (retired by Google for new projects; kept for existing callers). */
  GEMINI_1_5_FLASH_8B: "gemini-1.5-flash-8b",
  /** Alias Google moves to its newest Flash model. */
  GEMINI_FLASH_LATEST: "gemini-flash-latest",
  /** Alias Google moves to its newest Flash-Lite model. */
  GEMINI_FLASH_LITE_LATEST: "gemini-flash-lite-latest",
} as const;

/** A known Gemini model id, or any other model string. */
export type GeminiModelId = (typeof GeminiModels)[keyof typeof GeminiModels] | (string & {});

/** The model used when the caller names none: current, fast, and able to think. */
export const GEMINI_DEFAULT_MODEL: string = GeminiModels.GEMINI_2_5_FLASH;
