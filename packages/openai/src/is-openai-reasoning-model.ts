/**
 * `true` for OpenAI reasoning models (`o1`, `o3`, `o4-mini`, ..., and `gpt-5*` except the
 * non-reasoning `gpt-5-chat*`). They take `max_completion_tokens`, reject sampling parameters,
 * and read the system prompt as a `developer` message.
 */
export function isOpenAIReasoningModel(model: string): boolean {
  const id = model.toLowerCase();
  if (/^o\d/.test(id)) return true;
  return id.startsWith("gpt-5") && !id.startsWith("gpt-5-chat");
}
