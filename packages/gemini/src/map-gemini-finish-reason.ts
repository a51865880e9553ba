import type { FinishReason } from "@rephysco/core";

/**
 * Gemini finish reasons that mean the provider withheld or cut the answer on content grounds.
 * They are raised as `ContentFilterError`, never returned as a successful finish.
 */
const CONTENT_FILTER_REASONS: ReadonlySet<string> = new Set([
  "SAFETY",
  "RECITATION",
  "BLOCKLIST",
  "PROHIBITED_CONTENT",
  "SPII",
  "IMAGE_SAFETY",
  "IMAGE_PROHIBITED_CONTENT",
  "IMAGE_RECITATION",
]);

/** `true` when a Gemini `finishReason` means the answer was filtered. */
export function isGeminiContentFilterReason(reason: string | undefined): boolean {
  return reason !== undefined && CONTENT_FILTER_REASONS.has(reason);
}

/**
 * Maps a Gemini `finishReason` to Rephysco's: `STOP` -> `stop`, or `tool_calls` when the answer
 * has `functionCall` parts (Gemini has no finish reason of its own for them), `MAX_TOKENS` ->
 * `length`, filter reasons -> `content_filter`, anything else (LANGUAGE, OTHER,
 * MALFORMED_FUNCTION_CALL, reasons added later) -> `other`. `undefined` while the answer is still
 * streaming.
 */
export function mapGeminiFinishReason(
  reason: string | undefined,
  calledTools = false,
): FinishReason | undefined {
  if (reason === undefined) return undefined;
  if (reason === "STOP") return calledTools ? "tool_calls" : "stop";
  if (reason === "MAX_TOKENS") return "length";
  if (CONTENT_FILTER_REASONS.has(reason)) return "content_filter";
  return "other";
}
