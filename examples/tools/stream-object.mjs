// @ts-check
// streamObject: a structured answer that is usable while it streams, validated when whole.
//
//   node stream-object.mjs [city]                              offline: the local mock server plays the model
//   OPENAI_API_KEY=sk-... node stream-object.mjs --live [city]  a real model
import { LLMClient } from "@rephysco/core";
import "@rephysco/openai";
import { createMockServer } from "@rephysco/testing";
import { renderForecast, streamForecast } from "./src/forecast.mjs";
import { forecastReply, OSLO_FORECAST } from "./src/scripted-model.mjs";

const args = process.argv.slice(2);
const live = args.includes("--live");
const city = args.filter((a) => a !== "--live").join(" ") || "Oslo";

const server = live ? undefined : await createMockServer();
// Offline, the model "writes" a fixed forecast (named after the city asked for), 12 characters
// every 30 ms.
server?.enqueue(forecastReply({ ...OSLO_FORECAST, city }, { chunkDelayMs: 30 }));
const client = new LLMClient(
  server
    ? { provider: "openai", apiKey: "sk-example-not-a-real-key", baseURL: `${server.url}/v1` }
    : { provider: "openai" },
);

// On a terminal the line is redrawn as the object grows; piped, only the result is printed.
const redraw = process.stdout.isTTY;
let partials = 0;
try {
  for await (const item of streamForecast(client, city)) {
    if (!item.done) {
      partials++;
      // Cut to the terminal's width: a wrapped line cannot be redrawn with \r.
      const line = renderForecast(item.partial).slice(0, (process.stdout.columns || 80) - 1);
      if (redraw) process.stdout.write(`\r\x1b[K${line}`);
      continue;
    }
    if (redraw) process.stdout.write("\r\x1b[K");
    console.log(renderForecast(item.object));
    console.log(JSON.stringify(item.object, null, 2));
    console.log(
      `(${partials} partial objects, then the validated one; finish: ${item.finishReason}, ${item.usage?.totalTokens ?? "?"} tokens)`,
    );
  }
} finally {
  await server?.close();
}
