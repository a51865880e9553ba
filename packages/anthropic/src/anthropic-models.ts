/**
 * Claude model ids accepted by the Messages API (aliases that follow the newest snapshot).
 * Any other id string works too; these are for autocompletion.
 *
 * @example
 * ```ts
 * await client.generate("Hi", { model: AnthropicModels.CLAUDE_HAIKU_4_5 });
 * ```
 */
export const AnthropicModels = {
  CLAUDE_SONNET_4_5: "claude-sonnet-4-5",
  CLAUDE_HAIKU_4_5: "claude-haiku-4-5",
  CLAUDE_OPUS_4_1: "claude-opus-4-1",
  CLAUDE_OPUS_4: "claude-opus-4-0",
  CLAUDE_SONNET_4: "claude-sonnet-4-0",
  CLAUDE_3_7_SONNET: "claude-3-7-sonnet-latest",
  CLAUDE_3_5_HAIKU: "claude-3-5-haiku-latest",
} as const;

/** A known Claude model id, or any other string. */
export type AnthropicModelId =
  | (typeof AnthropicModels)[keyof typeof AnthropicModels]
  | (string & {});

/** Model used when the caller names none. */
export const ANTHROPIC_DEFAULT_MODEL: string = AnthropicModels.CLAUDE_SONNET_4_5;

/** `max_tokens` sent when the caller gives no `maxTokens` (Anthropic requires the field). */
export const ANTHROPIC_DEFAULT_MAX_TOKENS = 4096;
