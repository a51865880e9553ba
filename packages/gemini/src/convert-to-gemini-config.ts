import type {
  Content,
  GenerateContentConfig,
  ThinkingConfig,
  Tool,
  ToolConfig,
} from "@google/genai";
import type { ProviderCallOptions } from "@rephysco/core";
import { convertToGeminiTools } from "./convert-to-gemini-tools.js";

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
 * Builds the SDK's per-call config. Named options (`temperature`, `maxTokens`, `topP`, `stop`,
 * `responseFormat`, `toolChoice`) win over the same settings in `providerOptions`; `tools` are
 * added after the `providerOptions.tools` (so built-in tools such as `googleSearch` can be
 * combined with functions).
 * - `tools` become one `{ functionDeclarations }` tool, `toolChoice` becomes
 *   `toolConfig.functionCallingConfig` (see `convertToGeminiTools`; other `toolConfig` fields
 *   from `providerOptions` are kept);
 * - `responseFormat` sets `responseMimeType: "application/json"`, with the schema as
 *   `responseJsonSchema` when there is one (then an OpenAPI `responseSchema` from
 *   `providerOptions` is dropped: the two are exclusive). Gemini has no field for the format's
 *   `name` and `description`.
 * Three fields are never taken from
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
  const declared = convertToGeminiTools(options.tools, options.toolChoice);
  if (declared) {
    const own = (passthrough.tools as Tool[] | undefined) ?? [];
    config.tools = [...own, { functionDeclarations: declared.functionDeclarations }];
    if (declared.functionCallingConfig) {
      config.toolConfig = {
        ...(passthrough.toolConfig as ToolConfig | undefined),
        functionCallingConfig: declared.functionCallingConfig,
      };
    }
  }
  if (options.responseFormat) {
    config.responseMimeType = "application/json";
    if (options.responseFormat.schema) {
      config.responseJsonSchema = options.responseFormat.schema;
      delete config.responseSchema;
    }
  }
  if (systemInstruction) config.systemInstruction = systemInstruction;
  if (signal) config.abortSignal = signal;
  config.automaticContinuation = false;
  config.automaticFunctionCalling = { disable: true };
  return config;
}
