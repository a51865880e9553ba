import type { ProviderCallOptions, ResponseFormat, ToolChoice } from "@rephysco/core";
import type { AnthropicTool, AnthropicToolChoice } from "./anthropic-api-types.js";
import { hasNativeStructuredOutput } from "./anthropic-models.js";
import { fitsNativeOutputFormat } from "./fits-native-output-format.js";

/**
 * How a call asks for a JSON answer: `native` sends `output_config.format` (the JSON comes back
 * as text), `tool` declares one tool whose input is the answer and forces it.
 */
export type StructuredOutputMode = "native" | "tool";

/** Which structured-output mode to use: `auto` decides per model and schema. */
export type StructuredOutputSetting = "auto" | StructuredOutputMode;

/** The name of the tool that carries the answer in `tool` mode. */
export const JSON_RESPONSE_TOOL = "json_response";

/**
 * The mode for a response format: `native` on models that have it (see
 * `hasNativeStructuredOutput`) when the schema fits its limits (see `fitsNativeOutputFormat`),
 * else `tool`. Without a schema it is always `tool` with the open schema `{ type: "object" }`:
 * the native format only takes closed schemas (`additionalProperties: false`), which would allow
 * nothing but `{}`. `setting` forces a mode (a schema-less format still uses the tool).
 */
export function structuredOutputMode(
  model: string,
  format: ResponseFormat | undefined,
  setting: StructuredOutputSetting = "auto",
): StructuredOutputMode | undefined {
  if (!format) return undefined;
  if (!format.schema) return "tool";
  if (setting !== "auto") return setting;
  return hasNativeStructuredOutput(model) && fitsNativeOutputFormat(format.schema)
    ? "native"
    : "tool";
}

/** The request fields for tools and structured output. */
export interface AnthropicToolFields {
  tools?: AnthropicTool[];
  tool_choice?: AnthropicToolChoice;
  output_config?: { format: { type: "json_schema"; schema: Readonly<Record<string, unknown>> } };
}

function toolChoiceOf(choice: ToolChoice): AnthropicToolChoice {
  if (typeof choice === "object") return { type: "tool", name: choice.name };
  return { type: choice === "required" ? "any" : choice };
}

/**
 * Maps tools (`input_schema` is the JSON Schema; `strict` only where the model has structured
 * outputs), the tool choice (`auto`, `required` -> `any`, `{ name }` -> `tool`, `none`) and
 * the response format. In `tool` mode the answer tool is added and forced: alone, or after
 * the caller's tools with `any` (the model may call a tool first and answer with the JSON
 * later), or the caller's named tool stays forced.
 */
export function prepareAnthropicTools(
  options: ProviderCallOptions,
  mode: StructuredOutputMode | undefined,
): AnthropicToolFields {
  const strictOk = hasNativeStructuredOutput(options.model);
  const tools = options.tools?.map(
    (tool): AnthropicTool => ({
      name: tool.name,
      ...(tool.description !== undefined && { description: tool.description }),
      input_schema: tool.parameters,
      ...(tool.strict === true && strictOk && { strict: true }),
    }),
  );
  const choice = options.toolChoice;
  const format = options.responseFormat;
  if (mode === "tool" && format) {
    const answer: AnthropicTool = {
      name: JSON_RESPONSE_TOOL,
      description:
        format.description ??
        "Give your final answer by calling this tool: its input is the answer, a JSON object.",
      input_schema: format.schema ?? { type: "object" },
    };
    if (!tools?.length || choice === "none") {
      return {
        tools: [...(tools ?? []), answer],
        tool_choice: { type: "tool", name: JSON_RESPONSE_TOOL },
      };
    }
    return {
      tools: [...tools, answer],
      tool_choice: typeof choice === "object" ? toolChoiceOf(choice) : { type: "any" },
    };
  }
  const fields: AnthropicToolFields = {};
  if (tools?.length) {
    fields.tools = tools;
    if (choice !== undefined) fields.tool_choice = toolChoiceOf(choice);
  }
  if (mode === "native" && format?.schema) {
    fields.output_config = { format: { type: "json_schema", schema: format.schema } };
  }
  return fields;
}
