import type { Content, GenerateContentConfig, ThinkingConfig } from "@google/genai";
import type { ProviderCallOptions } from "@rephysco/core";

/**
 * `providerOptions` the Gemini provider understands: any field of the SDK's
 * `GenerateContentConfig` (camelCase: `safetySettings`, `thinkingConfig`, `topK`, `seed`,
 * `responseMimeType`, `candidateCount`, ...), plus the `includeThoughts` shorthand.
 */
export interface GeminiProviderOptions
  extends Omit<
    GenerateContentConfig,
    "abortSignal" | "httpOptions" | "automaticContinuation" | "automaticFunctionCalling"
  > {
  /** Shorthand for `thinkingConfig.includeThoughts`: ask for thought summaries (returned as `reasoning`). */
  readonly includeThoughts?: boolean;
}

/**
 * Builds the SDK's per-call config. Named options (`temperature`, `maxTokens`, `topP`, `stop`)
 * win over the same settings in `providerOptions`. Three fields are never taken from
 * `providerOptions`, because they would undo guarantees Rephysco gives:
 * `abortSignal` (always the caller's), `httpOptions` (could turn SDK retries on),
 * `automaticContinuation` (always `false`: with it on, the SDK sends follow-up requests by itself),
 * and `automaticFunctionCalling` (always disabled: with callable tools the SDK would loop through
 * up to ten requests on its own). One call is one HTTP request, under one retry policy.
 */
export function convertToGeminiConfig(
  options: ProviderCallOptions,
  systemInstruction: Content | undefined,
  signal: AbortSignal | undefined,
): GenerateContentConfig {
  const {
    includeThoughts,
    abortSignal: _signal,
    httpOptions: _http,
    automaticContinuation: _cont,
    automaticFunctionCalling: _afc,
    ...passthrough
  } = (options.providerOptions ?? {}) as GeminiProviderOptions & Record<string, unknown>;
  const config: GenerateContentConfig = { ...passthrough };
  if (includeThoughts !== undefined) {
    config.thinkingConfig = {
      ...(passthrough.thinkingConfig as ThinkingConfig | undefined),
      includeThoughts: Boolean(includeThoughts),
    };
  }
  if (options.temperature !== undefined) config.temperature = options.temperature;
  if (options.maxTokens !== undefined) config.maxOutputTokens = options.maxTokens;
  if (options.topP !== undefined) config.topP = options.topP;
  if (options.stop !== undefined && options.stop.length > 0)
    config.stopSequences = [...options.stop];
  if (systemInstruction) config.systemInstruction = systemInstruction;
  if (signal) config.abortSignal = signal;
  config.automaticContinuation = false;
  config.automaticFunctionCalling = { disable: true };
  return config;
}
