// @ts-check
import { createWeatherTools } from "./weather-tools.mjs";

/** What the agent is told before every question. */
export const SYSTEM_PROMPT =
  "You answer questions about the weather and the local time in cities. Use the tools; never guess.";

/**
 * Asks the weather agent one question. The client runs the tool loop: the model asks for tools,
 * they run (several at once when it asks for several), their results go back, and so on until
 * the model answers in words or `maxSteps` model calls were made.
 *
 * @param {import("@rephysco/core").LLMClient} client
 * @param {string} question
 * @param {{
 *   tools?: ReturnType<typeof createWeatherTools>;
 *   onToolCall?: (call: { name: string; arguments: unknown }) => void;
 *   signal?: AbortSignal;
 * }} [options]
 */
export function askWeatherAgent(client, question, options = {}) {
  const { tools = createWeatherTools(), onToolCall, signal } = options;
  return client.generate(question, {
    systemPrompt: SYSTEM_PROMPT,
    tools,
    maxSteps: 5,
    // Called before each tool runs: return nothing to run it, { veto } or { arguments } to change it.
    ...(onToolCall && { onToolCall: (call) => void onToolCall(call) }),
    ...(signal && { signal }),
  });
}
