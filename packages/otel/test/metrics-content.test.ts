import type { DataPoint, Histogram, ResourceMetrics } from "@opentelemetry/sdk-metrics";
import { jsonSchema, LLMClient, ServiceUnavailableError, tool } from "@rephysco/core";
import { type OtelOptions, otel } from "@rephysco/otel";
import { caught, createFakeProvider, drain } from "@rephysco/testing";
import { beforeEach, describe, expect, it } from "vitest";
import { span, telemetry, useContextManager } from "./helpers.js";

useContextManager();
const t = telemetry();
beforeEach(() => t.reset());

const usage = { promptTokens: 10, completionTokens: 5, totalTokens: 15 };

function client(
  options: Partial<ConstructorParameters<typeof LLMClient>[0]> = {},
  otelOptions: OtelOptions = {},
) {
  return new LLMClient({
    provider: createFakeProvider({ defaultReply: { text: "Hi!", usage } }),
    ...options,
    middleware: [
      ...otel({ tracerProvider: t.tracerProvider, meterProvider: t.meterProvider, ...otelOptions }),
    ],
  });
}

type Point = DataPoint<Histogram>;
function points(rm: ResourceMetrics, name: string): Point[] {
  for (const scope of rm.scopeMetrics)
    for (const m of scope.metrics) if (m.descriptor.name === name) return m.dataPoints as Point[];
  return [];
}

describe("metrics", () => {
  it("records duration, token usage and time to first chunk with the conventions' attributes", async () => {
    // A fresh meter provider per test keeps the counts apart.
    const m = telemetry();
    const c = new LLMClient({
      provider: createFakeProvider({
        replies: [
          { text: "Hi!", usage },
          { chunks: ["a", "b"], usage, chunkDelayMs: 2 },
          { error: new ServiceUnavailableError("down", { provider: "fake" }) },
        ],
      }),
      retry: false,
      middleware: [...otel({ tracerProvider: m.tracerProvider, meterProvider: m.meterProvider })],
    });
    await c.generate("x");
    await drain(c.stream("y"));
    await caught(() => c.generate("z"));
    const rm = await m.metrics();

    const duration = points(rm, "gen_ai.client.operation.duration");
    const ok = duration.find((p) => p.attributes["error.type"] === undefined)!;
    expect(ok.attributes).toEqual({
      "gen_ai.operation.name": "chat",
      "gen_ai.provider.name": "fake",
      "gen_ai.request.model": "fake-model",
      "gen_ai.response.model": "fake-model",
    });
    expect(ok.value.count).toBe(2);
    const failed = duration.find((p) => p.attributes["error.type"] !== undefined)!;
    expect(failed.attributes).toEqual({
      "gen_ai.operation.name": "chat",
      "gen_ai.provider.name": "fake",
      "gen_ai.request.model": "fake-model",
      "error.type": "ServiceUnavailableError",
    });
    expect(failed.value.count).toBe(1);

    const tokens = points(rm, "gen_ai.client.token.usage");
    const byType = Object.fromEntries(
      tokens.map((p) => [p.attributes["gen_ai.token.type"], [p.value.count, p.value.sum]]),
    );
    expect(byType).toEqual({ input: [2, 20], output: [2, 10] });

    const ttfc = points(rm, "gen_ai.client.operation.time_to_first_chunk");
    expect(ttfc).toHaveLength(1);
    expect(ttfc[0]!.value.count).toBe(1);
    expect(ttfc[0]!.value.sum).toBeGreaterThan(0);
    expect(ttfc[0]!.value.sum).toBeLessThan(10);
  });

  it("a cache hit's tokens are not counted again", async () => {
    const m = telemetry();
    const { memoryStore } = await import("@rephysco/core");
    const c = new LLMClient({
      provider: createFakeProvider({ defaultReply: { text: "Hi!", usage } }),
      cache: memoryStore(),
      middleware: [...otel({ tracerProvider: m.tracerProvider, meterProvider: m.meterProvider })],
    });
    await c.generate("x");
    await c.generate("x");
    const rm = await m.metrics();
    const duration = points(rm, "gen_ai.client.operation.duration");
    expect(duration.reduce((n, p) => n + p.value.count, 0)).toBe(2);
    const input = points(rm, "gen_ai.client.token.usage").find(
      (p) => p.attributes["gen_ai.token.type"] === "input",
    )!;
    expect(input.value.count).toBe(1);
  });
});

const add = tool({
  description: "Adds two numbers.",
  parameters: jsonSchema<{ a: number; b: number }>({ type: "object" }),
  execute: ({ a, b }) => a + b,
});
const toolReplies = () =>
  createFakeProvider({
    replies: [
      { toolCalls: [{ id: "call_1", name: "add", arguments: { a: 1, b: 2 } }], usage },
      { text: "It is 3.", usage },
    ],
  });

describe("content", () => {
  it("is off by default: no messages, no tool arguments or results", async () => {
    const c = client({ provider: toolReplies() });
    await c.generate("What is 1+2? My email is ann@example.com", {
      tools: { add },
      maxSteps: 3,
    });
    const all = JSON.stringify(t.spans().map((s) => s.attributes));
    expect(all).not.toContain("ann@example.com");
    expect(all).not.toContain("It is 3.");
    expect(all).not.toContain("gen_ai.input.messages");
    expect(all).not.toContain("gen_ai.output.messages");
    expect(all).not.toContain("gen_ai.tool.call.arguments");
    expect(all).not.toContain("gen_ai.tool.call.result");
  });

  for (const mode of ["generate", "stream"] as const) {
    it(`is recorded with captureContent (${mode}): messages in the conventions' shape, tool arguments and results`, async () => {
      const c = client({ provider: toolReplies() }, { captureContent: true });
      const options = { tools: { add }, maxSteps: 3, systemPrompt: "Be brief." } as const;
      if (mode === "generate") await c.generate("What is 1+2?", options);
      else await drain(c.stream("What is 1+2?", options));
      const spans = t.spans();
      const call = span(spans, "chat fake-model");
      expect(JSON.parse(call.attributes["gen_ai.input.messages"] as string)).toEqual([
        { role: "system", parts: [{ type: "text", content: "Be brief." }] },
        { role: "user", parts: [{ type: "text", content: "What is 1+2?" }] },
      ]);
      expect(JSON.parse(call.attributes["gen_ai.output.messages"] as string)).toEqual([
        {
          role: "assistant",
          parts: [{ type: "text", content: "It is 3." }],
          finish_reason: "stop",
        },
      ]);
      const run = span(spans, "execute_tool add");
      expect(JSON.parse(run.attributes["gen_ai.tool.call.arguments"] as string)).toEqual({
        a: 1,
        b: 2,
      });
      expect(run.attributes["gen_ai.tool.call.result"]).toBe("3");
    });
  }
});

describe("global providers", () => {
  it("uses a tracer and meter provider registered after otel() was called", async () => {
    const { metrics, trace } = await import("@opentelemetry/api");
    const c = new LLMClient({
      provider: createFakeProvider({ defaultReply: { text: "Hi!", usage } }),
      middleware: [...otel()],
    });
    const m = telemetry();
    trace.setGlobalTracerProvider(m.tracerProvider);
    metrics.setGlobalMeterProvider(m.meterProvider);
    try {
      await c.generate("x");
      expect(m.spans().map((s) => s.name)).toEqual(["attempt fake fake-model", "chat fake-model"]);
      const rm = await m.metrics();
      expect(points(rm, "gen_ai.client.operation.duration")[0]!.value.count).toBe(1);
    } finally {
      trace.disable();
      metrics.disable();
    }
  });
});

describe("a streamed tool loop abandoned by break", () => {
  it("ends the open step and attempt spans with the call", async () => {
    const fake = createFakeProvider({
      replies: [
        { toolCalls: [{ id: "call_1", name: "add", arguments: { a: 1, b: 2 } }], usage },
        { chunks: ["It ", "is ", "3."], usage, chunkDelayMs: 5 },
      ],
    });
    const c = client({ provider: fake });
    let text = "";
    for await (const chunk of c.stream("1+2?", { tools: { add }, maxSteps: 3 })) {
      text += chunk.content;
      if (text) break;
    }
    const spans = t.spans();
    expect(spans.map((s) => s.name).sort()).toEqual([
      "attempt fake fake-model",
      "attempt fake fake-model",
      "chat fake-model",
      "execute_tool add",
      "step 1",
      "step 2",
    ]);
    expect(span(spans, "step 2").attributes["rephysco.stream.abandoned"]).toBe(true);
    expect(span(spans, "chat fake-model").attributes["rephysco.stream.abandoned"]).toBe(true);
  });
});
