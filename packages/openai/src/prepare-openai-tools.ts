import type { ToolChoice, ToolSpec } from "@rephysco/core";
import type { OpenAIFunctionTool, OpenAIToolChoice } from "./openai-chat-types.js";

/**
 * The `tools` and `tool_choice` body fields. Nothing is sent without tools (OpenAI rejects a
 * `tool_choice` without `tools`); `strict` only when the tool sets it.
 */
export function prepareOpenAITools(
  tools: readonly ToolSpec[] | undefined,
  toolChoice: ToolChoice | undefined,
): { tools?: OpenAIFunctionTool[]; tool_choice?: OpenAIToolChoice } {
  if (!tools || tools.length === 0) return {};
  return {
    tools: tools.map((tool) => ({
      type: "function",
      function: {
        name: tool.name,
        ...(tool.description !== undefined && { description: tool.description }),
        parameters: tool.parameters,
        ...(tool.strict !== undefined && { strict: tool.strict }),
      },
    })),
    ...(toolChoice !== undefined && {
      tool_choice:
        typeof toolChoice === "string"
          ? toolChoice
          : { type: "function", function: { name: toolChoice.name } },
    }),
  };
}
