import type {
  FunctionCallingConfig,
  FunctionCallingConfigMode,
  FunctionDeclaration,
} from "@google/genai";
import type { ToolChoice, ToolSpec } from "@rephysco/core";

/** Gemini's function declarations and function-calling config for a call's tools. */
export interface GeminiTools {
  /** One `functionDeclarations` tool holding every declaration. */
  readonly functionDeclarations: FunctionDeclaration[];
  /** `toolConfig.functionCallingConfig`, when a tool choice was given. */
  readonly functionCallingConfig: FunctionCallingConfig | undefined;
}

/**
 * Gemini's form of a call's tools: `{ functionDeclarations: [{ name, description,
 * parametersJsonSchema }] }` (JSON Schema, not the older OpenAPI-subset `parameters`), and the
 * tool choice as `toolConfig.functionCallingConfig.mode`: `auto` -> `AUTO`, `none` -> `NONE`,
 * `required` -> `ANY`, `{ name }` -> `ANY` with `allowedFunctionNames: [name]`.
 * `undefined` when the call has no tools.
 */
export function convertToGeminiTools(
  tools: readonly ToolSpec[] | undefined,
  toolChoice: ToolChoice | undefined,
): GeminiTools | undefined {
  if (!tools?.length) return undefined;
  const functionDeclarations = tools.map(
    (tool): FunctionDeclaration => ({
      name: tool.name,
      ...(tool.description !== undefined && { description: tool.description }),
      parametersJsonSchema: tool.parameters,
    }),
  );
  return { functionDeclarations, functionCallingConfig: functionCallingConfig(toolChoice) };
}

// Type-only use of the SDK's enum: importing its value would load the SDK at import time.
const mode = (value: "AUTO" | "ANY" | "NONE") => value as FunctionCallingConfigMode;

function functionCallingConfig(choice: ToolChoice | undefined): FunctionCallingConfig | undefined {
  switch (choice) {
    case undefined:
      return undefined;
    case "auto":
      return { mode: mode("AUTO") };
    case "none":
      return { mode: mode("NONE") };
    case "required":
      return { mode: mode("ANY") };
    default:
      return { mode: mode("ANY"), allowedFunctionNames: [choice.name] };
  }
}
