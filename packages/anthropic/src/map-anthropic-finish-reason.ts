import type { FinishReason } from "@rephysco/core";

/**
 * Maps Anthropic's `stop_reason` to Rephysco's finish reason: `end_turn` and `stop_sequence` are a
 * normal `stop`, `max_tokens` and `model_context_window_exceeded` are `length`, `refusal` is
 * `content_filter` (raised as a `ContentFilterError` by the provider), `tool_use` is `tool_calls`;
 * anything else (`pause_turn`, future values) is `other`.
 */
export function mapAnthropicFinishReason(stopReason: string | null | undefined): FinishReason {
  switch (stopReason) {
    case "end_turn":
    case "stop_sequence":
      return "stop";
    case "max_tokens":
    case "model_context_window_exceeded":
      return "length";
    case "refusal":
      return "content_filter";
    case "tool_use":
      return "tool_calls";
    default:
      return "other";
  }
}
