import { anthropicErrors } from "./anthropic-errors.js";
import { dashscopeErrors } from "./dashscope-errors.js";
import { geminiErrors } from "./gemini-errors.js";
import { openaiErrors } from "./openai-errors.js";
import { siliconflowErrors } from "./siliconflow-errors.js";
import { xaiErrors } from "./xai-errors.js";

export type { AnthropicErrorOptions, AnthropicRateLimitOptions } from "./anthropic-errors.js";
export type { DashScopeArrearageOptions, DashScopeErrorOptions } from "./dashscope-errors.js";
export type { GeminiResourceExhaustedOptions } from "./gemini-errors.js";
export type { OpenAIRateLimitOptions } from "./openai-errors.js";
export type { SiliconFlowErrorOptions } from "./siliconflow-errors.js";

/**
 * Ready-made error replies with the bodies, statuses and headers the real vendors send.
 *
 * @example
 * server.enqueue(vendorErrors.openai.rateLimit({ retryAfterMs: 10 }));
 * server.enqueue(vendorErrors.gemini.resourceExhausted({ retryDelay: "2s" }));
 */
export const vendorErrors = {
  openai: openaiErrors,
  dashscope: dashscopeErrors,
  xai: xaiErrors,
  siliconflow: siliconflowErrors,
  gemini: geminiErrors,
  anthropic: anthropicErrors,
} as const;
