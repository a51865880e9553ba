import type { FinishReason } from "@rephysco/core";

/**
 * Normalizes an OpenAI-style `finish_reason`. `function_call` is the legacy name of `tool_calls`;
 * vendors' own values (`insufficient_system_resource`, ...) become `other`.
 */
export function mapOpenAIFinishReason(reason: string | null | undefined): FinishReason | undefined {
  switch (reason) {
    case null:
    case undefined:
      return undefined;
    case "stop":
    case "length":
    case "content_filter":
    case "tool_calls":
      return reason;
    case "function_call":
      return "tool_calls";
    default:
      return "other";
  }
}

/**
 * The finish reason of a whole answer: `refusal` when the model refused (OpenAI says `stop`),
 * `tool_calls` when it called tools but the server said `stop` (some compatible servers do).
 * `length` stays: arguments cut by the token limit must not look like a finished call.
 * `content_filter` stays (it is raised as an error). No reason is invented when none came.
 */
export function answerFinishReason(
  reason: FinishReason | undefined,
  answer: { readonly toolCalls: boolean; readonly refusal: boolean },
): FinishReason | undefined {
  if (reason === undefined || reason === "content_filter") return reason;
  if (answer.refusal) return "refusal";
  if (answer.toolCalls && reason === "stop") return "tool_calls";
  return reason;
}
