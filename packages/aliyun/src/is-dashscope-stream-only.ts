/**
 * `true` for calls DashScope rejects unless streamed: Qwen-Omni models ("supports only streaming
 * output"), QwQ models (thinking-only), any call with `enable_thinking: true`, and the open-source
 * Qwen3 models (`qwen3-32b`, `qwen3-235b-a22b`, ...) whose thinking is on unless
 * `enable_thinking: false` is passed. DashScope answers a non-streaming call to any of these with
 * HTTP 400 `invalid_parameter_error`.
 */
export function isDashScopeStreamOnly(
  model: string,
  providerOptions: Readonly<Record<string, unknown>> | undefined,
): boolean {
  const thinking = providerOptions?.enable_thinking;
  if (thinking === true) return true;
  const id = model.toLowerCase();
  if (/^qwen[\d.]*-omni/.test(id) || id.startsWith("qwq")) return true;
  return /^qwen3-\d+(\.\d+)?b/.test(id) && thinking !== false;
}
