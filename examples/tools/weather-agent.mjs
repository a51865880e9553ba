// @ts-check
// A weather agent: two tools (get_weather, get_time) and a tool loop.
//
//   node weather-agent.mjs ["question"]                       offline: the local mock server plays the model
//   OPENAI_API_KEY=sk-... node weather-agent.mjs --live ["question"]   a real model
import { LLMClient } from "@rephysco/core";
import "@rephysco/openai";
import { createMockServer } from "@rephysco/testing";
import { weatherModel } from "./src/scripted-model.mjs";
import { askWeatherAgent } from "./src/weather-agent.mjs";

const args = process.argv.slice(2);
const live = args.includes("--live");
const question =
  args.filter((a) => a !== "--live").join(" ") ||
  "What's the weather and the local time in Paris and Tokyo?";

// Offline, every request is answered by `weatherModel`, over real HTTP.
const server = live ? undefined : await createMockServer({ defaultReply: weatherModel });
const client = new LLMClient(
  server
    ? { provider: "openai", apiKey: "sk-example-not-a-real-key", baseURL: `${server.url}/v1` }
    : { provider: "openai" },
);

try {
  console.log(`? ${question}`);
  const answer = await askWeatherAgent(client, question, {
    onToolCall: (call) => console.log(`  → ${call.name}(${JSON.stringify(call.arguments)})`),
  });
  for (const step of answer.steps ?? []) {
    for (const r of step.toolResults) {
      console.log(`  ← ${r.name}: ${JSON.stringify(r.result)}${r.isError ? " (error)" : ""}`);
    }
  }
  console.log(answer.content);
  console.log(
    `(${answer.steps?.length ?? 1} model calls, ${answer.usage?.totalTokens ?? "?"} tokens in all)`,
  );
} finally {
  await server?.close();
}
