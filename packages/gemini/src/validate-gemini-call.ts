import { InvalidRequestError, type Message, type ProviderCallOptions } from "@rephysco/core";
import { checkToolCall, checkToolResults, type ToolNameRule } from "@rephysco/core/http";

/**
 * Gemini's function-name rule (`FunctionDeclaration.name` in the Gemini API reference, v1beta):
 * starts with a letter or an underscore; then a-z, A-Z, 0-9, underscores, dots, colons and dashes;
 * at most 64 characters. (The SDK's own type comment allows 128, which is Vertex AI's limit; the
 * Developer API documents 64, so the stricter one is checked.)
 */
export const GEMINI_TOOL_NAME_RULE: ToolNameRule = {
  pattern: /^[a-zA-Z_][a-zA-Z0-9_.:-]{0,63}$/,
  description:
    "1 to 64 characters of a-z, A-Z, 0-9, _, ., : and -, starting with a letter or an underscore",
};

/**
 * Checks a call against Gemini's rules before any request:
 * - tool names (see {@link GEMINI_TOOL_NAME_RULE});
 * - a forced tool (`{ name }`) must be one of the call's tools (Gemini's `allowedFunctionNames`);
 * - forcing tool calls (`required` or `{ name }`, Gemini's `ANY` mode) together with
 *   `responseFormat` is refused by Gemini ("Forced function calling (ANY mode) with a response
 *   mime type: 'application/json' is unsupported", HTTP 400), so it is refused here first;
 * - before Gemini 3, any function calling together with `responseFormat` is refused the same way
 *   ("Function calling with a response mime type: 'application/json' is unsupported"); Gemini 3
 *   documents structured output combined with tools;
 * - every tool result answers a call of an earlier assistant turn (Gemini's functionResponse
 *   needs the call's name).
 *
 * @throws {InvalidRequestError} naming the rule and the provider.
 */
export function validateGeminiCall(
  provider: string,
  messages: readonly Message[],
  options: ProviderCallOptions,
): void {
  checkToolCall(provider, options, { rule: GEMINI_TOOL_NAME_RULE, structuredOutput: true });
  const choice = options.toolChoice;
  if (options.tools?.length && choice !== undefined && typeof choice === "object") {
    if (!options.tools.some((tool) => tool.name === choice.name)) {
      throw new InvalidRequestError(
        `toolChoice names ${JSON.stringify(choice.name)}, which is not one of the call's tools: ${provider} can only be made to call a declared function.`,
        { provider, reason: "invalid_tool" },
      );
    }
  }
  const forced = choice === "required" || (choice !== undefined && typeof choice === "object");
  if (options.tools?.length && forced && options.responseFormat) {
    throw new InvalidRequestError(
      `${provider} does not support forcing a tool call (toolChoice ${JSON.stringify(choice)}, its ANY mode) together with responseFormat (a JSON answer).`,
      { provider, reason: "unsupported_feature" },
    );
  }
  if (options.tools?.length && options.responseFormat && !supportsToolsWithJson(options.model)) {
    throw new InvalidRequestError(
      `${provider} model ${options.model} does not support tools together with responseFormat (a JSON answer); Gemini 3 models do. Leave out one of them, or use a gemini-3 model.`,
      { provider, reason: "unsupported_feature" },
    );
  }
  checkToolResults(provider, messages);
}

/** Gemini 3 and later take function declarations together with a JSON response schema. */
function supportsToolsWithJson(model: string): boolean {
  const id = model.startsWith("models/") ? model.slice(7) : model;
  const m = /^gemini-(\d+)/.exec(id);
  return m !== null && Number(m[1]) >= 3;
}
