// @ts-check
// OpenTelemetry with Rephysco, printed to the console: a call that is retried, a stream, and a
// tool loop, each a span tree; then the GenAI metrics.
//
//   node otel-console.mjs             offline: the local mock server plays the model
//   OPENAI_API_KEY=sk-... node otel-console.mjs --live
import { context, trace } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import {
  AggregationTemporality,
  ConsoleMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
} from "@opentelemetry/sdk-metrics";
import {
  BasicTracerProvider,
  ConsoleSpanExporter,
  SimpleSpanProcessor,
} from "@opentelemetry/sdk-trace-base";
import { jsonSchema, LLMClient, tool } from "@rephysco/core";
import "@rephysco/openai";
import { otel } from "@rephysco/otel";
import { createMockServer } from "@rephysco/testing";

// 1. The SDK: a context manager (so that spans nest across awaits), spans and metrics to the console.
context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
const tracerProvider = new BasicTracerProvider({
  spanProcessors: [new SimpleSpanProcessor(new ConsoleSpanExporter())],
});
trace.setGlobalTracerProvider(tracerProvider);
const meterProvider = new MeterProvider({
  readers: [
    new PeriodicExportingMetricReader({
      exporter: new ConsoleMetricExporter({
        temporalitySelector: () => AggregationTemporality.CUMULATIVE,
      }),
      exportIntervalMillis: 60_000,
    }),
  ],
});

// 2. The client: `otel()` gives two middlewares (the call and each attempt).
const live = process.argv.includes("--live");
const server = live ? undefined : await createMockServer();
const client = new LLMClient({
  provider: "openai",
  model: "gpt-4o-mini",
  ...(server && { apiKey: "sk-example-not-a-real-key", baseURL: `${server.url}/v1` }),
  retry: { maxRetries: 2, baseDelayMs: 50 },
  middleware: [...otel({ meterProvider })],
});

const add = tool({
  description: "Adds two numbers.",
  parameters: /** @type {import("@rephysco/core").TypedJsonSchema<{ a: number; b: number }>} */ (
    jsonSchema({
      type: "object",
      properties: { a: { type: "number" }, b: { type: "number" } },
      required: ["a", "b"],
    })
  ),
  execute: ({ a, b }) => a + b,
});

try {
  // A call whose first attempt fails (503) and is retried.
  server?.enqueue([
    { error: { status: 503, body: { error: { message: "overloaded" } } } },
    { text: "Hello!", usage: { promptTokens: 9, completionTokens: 2 } },
  ]);
  console.log("generate:", (await client.generate("Say hello.")).content);

  // A stream.
  server?.enqueue({
    chunks: ["Bon", "jour", "!"],
    usage: { promptTokens: 9, completionTokens: 3 },
  });
  let text = "";
  for await (const chunk of client.stream("Say hello in French.")) text += chunk.content;
  console.log("stream:", text);

  // A tool loop: step 1 calls the tool, step 2 answers.
  server?.enqueue([
    {
      toolCalls: [{ name: "add", arguments: { a: 2, b: 3 } }],
      usage: { promptTokens: 20, completionTokens: 8 },
    },
    { text: "2 + 3 = 5", usage: { promptTokens: 30, completionTokens: 6 } },
  ]);
  const answer = await client.generate("What is 2 + 3? Use the tool.", {
    tools: { add },
    maxSteps: 3,
  });
  console.log("tool loop:", answer.content);
} finally {
  await meterProvider.forceFlush();
  await meterProvider.shutdown();
  await tracerProvider.shutdown();
  await server?.close();
}
