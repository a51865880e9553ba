import { InvalidRequestError } from "../errors.js";
import type { Message, ProviderCallOptions, ToolCall } from "../types.js";

/** A provider's rule for tool names: the pattern, and how to say it in an error. */
export interface ToolNameRule {
  /** The names the API accepts (anchored). */
  readonly pattern: RegExp;
  /** The rule in words, quoted in the error (`"1 to 64 of a-z, A-Z, 0-9, _ and -"`). */
  readonly description: string;
}

/** OpenAI's function-name rule, shared by the OpenAI-compatible APIs and Anthropic. */
export const OPENAI_TOOL_NAME_RULE: ToolNameRule = {
  pattern: /^[a-zA-Z0-9_-]{1,64}$/,
  description: "1 to 64 characters of a-z, A-Z, 0-9, _ and -",
};

/**
 * Checks the tool part of a call against a provider's rules before any request: tools only on a
 * provider that has them, names that match `rule`, structured output only where supported.
 * Throws an `InvalidRequestError` naming the provider and the rule.
 *
 * @example
 * ```ts
 * validateCall(messages, options) {
 *   checkToolCall(this.name, options, { rule: OPENAI_TOOL_NAME_RULE, structuredOutput: true });
 * }
 * ```
 */
export function checkToolCall(
  provider: string,
  options: ProviderCallOptions,
  support: { readonly rule?: ToolNameRule; readonly structuredOutput: boolean },
): void {
  if (options.tools?.length) {
    const rule = support.rule;
    if (!rule) {
      throw new InvalidRequestError(`${provider} does not support tools.`, {
        provider,
        reason: "unsupported_feature",
      });
    }
    for (const tool of options.tools) {
      if (!rule.pattern.test(tool.name)) {
        throw new InvalidRequestError(
          `Tool name ${JSON.stringify(tool.name)} is not accepted by ${provider}: names must be ${rule.description}.`,
          { provider, reason: "invalid_tool" },
        );
      }
    }
  }
  if (options.responseFormat && !support.structuredOutput) {
    throw new InvalidRequestError(`${provider} does not support structured output.`, {
      provider,
      reason: "unsupported_feature",
    });
  }
}

/**
 * A tool call's arguments as valid JSON text, for sending a call back in history: the raw text
 * when it parses as a JSON object, else `arguments` serialized (some APIs, DashScope among them,
 * reject a history whose arguments are not valid JSON). Empty arguments become `{}`.
 */
export function toolArgumentsJson(call: Pick<ToolCall, "arguments" | "rawArguments">): string {
  const raw = call.rawArguments?.trim();
  if (raw) {
    try {
      const parsed: unknown = JSON.parse(raw);
      if (parsed !== null && typeof parsed === "object" && !Array.isArray(parsed)) return raw;
    } catch {
      // Not JSON: fall through to the parsed value.
    }
  }
  const value = call.arguments;
  return value !== null && typeof value === "object" && !Array.isArray(value)
    ? JSON.stringify(value)
    : "{}";
}

/**
 * A tool call's arguments as an object, for APIs that take objects (Anthropic `input`, Gemini
 * `args`): `arguments` when it is an object, else the raw text parsed, else `{}`.
 */
export function toolArgumentsObject(
  call: Pick<ToolCall, "arguments" | "rawArguments">,
): Record<string, unknown> {
  const value = call.arguments;
  if (value !== null && typeof value === "object" && !Array.isArray(value))
    return value as Record<string, unknown>;
  return JSON.parse(toolArgumentsJson(call)) as Record<string, unknown>;
}

/**
 * Checks that every tool result answers a call of an earlier assistant turn, as the APIs require
 * (OpenAI and Anthropic match results to calls by id and answer 400 otherwise; Gemini needs the
 * call's name). Throws an `InvalidRequestError` (reason `invalid_input`) naming the first message
 * that does not.
 */
export function checkToolResults(provider: string, messages: readonly Message[]): void {
  let ids: Set<string> | undefined;
  for (let i = 0; i < messages.length; i++) {
    const message = messages[i]!;
    if (message.role === "assistant" && message.toolCalls?.length) {
      ids ??= new Set();
      for (const call of message.toolCalls) ids.add(call.id);
    } else if (message.role === "tool") {
      const id = message.toolCallId;
      if (id !== undefined && id !== "" && ids?.has(id)) continue;
      const what =
        id === undefined || id === ""
          ? "has no toolCallId"
          : `answers tool call ${JSON.stringify(id)}, which no earlier assistant turn made`;
      throw new InvalidRequestError(
        `Message ${i} (role "tool") ${what}: ${provider} matches every tool result to a call of an earlier assistant turn.`,
        { provider, reason: "invalid_input" },
      );
    }
  }
}
