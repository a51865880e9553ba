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

/**
 * Models with native structured outputs (`output_config.format`), generally available on the
 * Claude API without a beta header (Anthropic, "Structured outputs": Claude Opus 4.6, Sonnet
 * 4.6, Sonnet 4.5, Opus 4.5 and Haiku 4.5; Opus 4.7 followed). Each entry matches the alias and
 * its dated snapshots (`claude-sonnet-4-5-20250929`). The one place this list lives: other
 * models (Opus 4.1 and older, unknown ids) get structured output through one forced tool.
 */
const NATIVE_STRUCTURED_OUTPUT_MODELS: readonly string[] = [
  "claude-opus-4-7",
  "claude-opus-4-6",
  "claude-sonnet-4-6",
  "claude-opus-4-5",
  "claude-sonnet-4-5",
  "claude-haiku-4-5",
];

/** `true` when `model` (an alias or a dated snapshot) has native structured outputs. */
export function hasNativeStructuredOutput(model: string): boolean {
  return NATIVE_STRUCTURED_OUTPUT_MODELS.some(
    (id) => model === id || (model.startsWith(id) && model.charCodeAt(id.length) === 45) /* - */,
  );
}
