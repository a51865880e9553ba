import type { CallParams, ToolSpec } from "@rephysco/core";

/** Tokens counted for each message's framing (role, separators). */
export const TOKENS_PER_MESSAGE = 4;
/** Tokens counted for each attached image (a fixed guess; providers price images differently). */
export const TOKENS_PER_IMAGE = 1000;

const schemaChars = new WeakMap<object, number>();

/** Characters of a JSON value's text, computed once per object (tools are converted once per call). */
function jsonChars(value: object): number {
  let n = schemaChars.get(value);
  if (n === undefined) {
    n = JSON.stringify(value)?.length ?? 0;
    schemaChars.set(value, n);
  }
  return n;
}

function toolsChars(tools: readonly ToolSpec[]): number {
  return jsonChars(tools);
}

/**
 * The default prompt-token estimate of a call, used to reserve tokens and money before it is
 * sent (settled to the provider's actual count afterwards):
 *
 * `ceil(chars / 4) + 4 per message + 1000 per image`, where `chars` counts every message's
 * content, name and tool calls (name and raw arguments), the tools' JSON schemas and the
 * response format's schema.
 *
 * Four characters per token is the usual rule of thumb for English text with OpenAI-style
 * tokenizers; it overestimates code and underestimates CJK text. Pass your own
 * `estimateTokens` to `limits()` for a real tokenizer.
 *
 * @example
 * ```ts
 * estimateTokens({ mode: "generate", model: "m", maxResponseBytes: 1e6,
 *   messages: [{ role: "user", content: "x".repeat(1000) }] }); // 254
 * ```
 */
export function estimateTokens(params: CallParams): number {
  const { messages } = params;
  let chars = 0;
  let images = 0;
  for (let i = 0; i < messages.length; i++) {
    const m = messages[i]!;
    chars += m.content.length;
    if (m.name) chars += m.name.length;
    if (m.images) images += m.images.length;
    if (m.toolCalls)
      for (const call of m.toolCalls) chars += call.name.length + call.rawArguments.length;
  }
  if (params.tools && params.tools.length > 0) chars += toolsChars(params.tools);
  if (params.responseFormat?.schema) chars += jsonChars(params.responseFormat.schema);
  return Math.ceil(chars / 4) + TOKENS_PER_MESSAGE * messages.length + TOKENS_PER_IMAGE * images;
}
