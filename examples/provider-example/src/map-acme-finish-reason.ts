import type { FinishReason } from "@rephysco/core";

/** Maps Acme's `finish_reason` to Rephysco's. */
export function mapAcmeFinishReason(reason: string | null | undefined): FinishReason {
  switch (reason) {
    case "stop":
      return "stop";
    case "length":
      return "length";
    case "content_filter":
      return "content_filter";
    case "tool_calls":
      return "tool_calls";
    default:
      return "other";
  }
}
