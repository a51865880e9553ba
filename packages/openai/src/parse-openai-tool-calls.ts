import type { ToolCall } from "@rephysco/core";
import type { OpenAIAssistantMessage } from "./openai-chat-types.js";

/** The id given to a call the wire names none for (the legacy `function_call`, a few servers). */
export function fallbackToolCallId(ordinal: number): string {
  return `call_${ordinal}`;
}

/**
 * The best-effort parse of argument text. Text that is not JSON is kept as it is (a string):
 * the client re-parses `rawArguments` and reports it, and a replay sends valid JSON instead
 * (`toolArgumentsJson`). Empty text is `{}` (a call without arguments).
 */
export function parseToolArguments(raw: string): unknown {
  if (raw.trim() === "") return {};
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}

/** Argument text as sent: a string verbatim; an object (a few servers) as JSON. */
export function argumentsText(value: unknown): string {
  if (typeof value === "string") return value;
  return value === null || value === undefined ? "" : JSON.stringify(value);
}

/** A {@link ToolCall} from its wire parts (an empty id gets a fallback). */
export function toolCallOf(
  id: string | null | undefined,
  name: string | null | undefined,
  rawArguments: string,
  ordinal: number,
): ToolCall {
  return {
    id: id || fallbackToolCallId(ordinal),
    name: name ?? "",
    arguments: parseToolArguments(rawArguments),
    rawArguments,
  };
}

/**
 * The tool calls of a whole answer: `message.tool_calls`, or the legacy single `function_call`
 * of old recordings. `undefined` when there are none.
 */
export function parseOpenAIToolCalls(message: OpenAIAssistantMessage): ToolCall[] | undefined {
  const wire = message.tool_calls;
  const calls: ToolCall[] = [];
  if (Array.isArray(wire)) {
    for (const call of wire) {
      if (!call || typeof call !== "object") continue;
      const fn = call.function;
      calls.push(toolCallOf(call.id, fn?.name, argumentsText(fn?.arguments), calls.length));
    }
  } else if (message.function_call && typeof message.function_call === "object") {
    const fn = message.function_call;
    calls.push(toolCallOf(undefined, fn.name, argumentsText(fn.arguments), 0));
  }
  return calls.length > 0 ? calls : undefined;
}
