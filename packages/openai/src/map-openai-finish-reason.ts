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
