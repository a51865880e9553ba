import { context, trace } from "@opentelemetry/api";
import {
  jsonSchema,
  LLMClient,
  type Middleware,
  memoryStore,
  ServiceUnavailableError,
  tool,
} from "@rephysco/core";
import { type OtelOptions, otel } from "@rephysco/otel";
import { createFakeProvider, drain } from "@rephysco/testing";
import { beforeEach, describe, expect, it } from "vitest";
import { span, telemetry, tree, useContextManager } from "./helpers.js";

useContextManager();
const t = telemetry();
beforeEach(() => t.reset());

const usage = { promptTokens: 10, completionTokens: 5, totalTokens: 15 };
const fastRetry = { maxRetries: 2, baseDelayMs: 5, jitter: 0 };
const busy = () => ({ error: new ServiceUnavailableError("busy", { provider: "fake" }) });

function client(
  options: Partial<ConstructorParameters<typeof LLMClient>[0]> = {},
  otelOptions: OtelOptions = {},
  extra: Middleware[] = [],
) {
  return new LLMClient({
    provider: createFakeProvider({ defaultReply: { text: "Hi!", usage } }),
    ...options,
    middleware: [
      ...otel({ tracerProvider: t.tracerProvider, meterProvider: t.meterProvider, ...otelOptions }),
      ...extra,
    ],
  });
}

const add = tool({
  description: "Adds two numbers.",
  parameters: jsonSchema<{ a: number; b: number }>({ type: "object" }),
  execute: ({ a, b }) => a + b,
});
const addCall = { id: "call_1", name: "add", arguments: { a: 1, b: 2 } };

describe("tool loops", () => {
  it("a cached step's tokens are not counted; the call span is not a cache hit when a step spent", async () => {
    let n = 0;
    // A different result each run: step 2 of the second call misses the cache, step 1 hits.
    const counter = tool({
      parameters: jsonSchema<Record<string, never>>({ type: "object" }),
      execute: () => ++n,
    });
    const fake = createFakeProvider({
      replies: [
        { toolCalls: [{ id: "c1", name: "counter", arguments: {} }], usage },
        { text: "one", usage },
        { text: "two", usage: { promptTokens: 7, completionTokens: 3, totalTokens: 10 } },
      ],
    });
    const m = telemetry();
    const c = new LLMClient({
      provider: fake,
      cache: memoryStore(),
      middleware: [...otel({ tracerProvider: m.tracerProvider, meterProvider: m.meterProvider })],
    });
    const options = { tools: { counter }, maxSteps: 3 } as const;
    await c.generate("count", options);
    m.reset();
    const r = await c.generate("count", options);
    expect(r.content).toBe("two");
    expect(fake.calls).toHaveLength(3);
    const spans = m.spans();
    const call = span(spans, "chat fake-model");
    expect(call.attributes["gen_ai.usage.input_tokens"]).toBe(7);
    expect(call.attributes["gen_ai.usage.output_tokens"]).toBe(3);
    expect(call.attributes["rephysco.cache.hit"]).toBeUndefined();
    expect(span(spans, "step 1").attributes["rephysco.cache.hit"]).toBe(true);
    expect(span(spans, "step 2").attributes["rephysco.cache.hit"]).toBeUndefined();
    // Metrics: the first call's 10 + 10, the second call's 7 only.
    const { resourceMetrics } = { resourceMetrics: await m.metrics() };
    const tokens = resourceMetrics.scopeMetrics
      .flatMap((s) => s.metrics)
      .find((x) => x.descriptor.name === "gen_ai.client.token.usage")!;
    const input = tokens.dataPoints.filter((p) => p.attributes["gen_ai.token.type"] === "input");
    const sum = input.reduce((s, p) => s + (p.value as { sum: number }).sum, 0);
    expect(sum).toBe(20 + 7);
  });

  it("a tool loop answered by the cache at every step is a cache hit with no usage", async () => {
    const fake = createFakeProvider({
      replies: [
        { toolCalls: [addCall], usage },
        { text: "3", usage },
      ],
    });
    const c = client({ provider: fake, cache: memoryStore() });
    const options = { tools: { add }, maxSteps: 3 } as const;
    await c.generate("1+2?", options);
    t.reset();
    await c.generate("1+2?", options);
    const call = span(t.spans(), "chat fake-model");
    expect(call.attributes["rephysco.cache.hit"]).toBe(true);
    expect(call.attributes["gen_ai.usage.input_tokens"]).toBeUndefined();
  });

  it("a retry inside a step: the retry wait and both attempts are under the step", async () => {
    const fake = createFakeProvider({
      replies: [busy(), { toolCalls: [addCall], usage }, { text: "3", usage }],
    });
    await client({ provider: fake, retry: fastRetry }).generate("1+2?", {
      tools: { add },
      maxSteps: 3,
    });
    expect(tree(t.spans())).toEqual([
      "chat fake-model",
      "  step 1",
      "    attempt fake fake-model (error)",
      "    retry wait",
      "    attempt fake fake-model",
      "  execute_tool add",
      "  step 2",
      "    attempt fake fake-model",
    ]);
  });

  it("a streamed tool loop records only the last step's text as output (as generate does)", async () => {
    for (const mode of ["generate", "stream"] as const) {
      t.reset();
      const fake = createFakeProvider({
        replies: [
          { text: "Let me add.", toolCalls: [addCall], usage },
          { text: "It is 3.", usage },
        ],
      });
      const c = client({ provider: fake }, { captureContent: true });
      const options = { tools: { add }, maxSteps: 3 } as const;
      if (mode === "generate") await c.generate("1+2?", options);
      else await drain(c.stream("1+2?", options));
      const call = span(t.spans(), "chat fake-model");
      expect(JSON.parse(call.attributes["gen_ai.output.messages"] as string), mode).toEqual([
        {
          role: "assistant",
          parts: [{ type: "text", content: "It is 3." }],
          finish_reason: "stop",
        },
      ]);
    }
  });
});

describe("several calls and instances", () => {
  it("two concurrent calls with retries: each call's events land in its own tree", async () => {
    const fake = createFakeProvider({
      replies: [busy(), busy(), { text: "a", usage }, { text: "b", usage }],
    });
    const c = client({ provider: fake, retry: fastRetry });
    await Promise.all([c.generate("x"), c.generate("y")]);
    const lines = tree(t.spans());
    const one = [
      "chat fake-model",
      "  attempt fake fake-model (error)",
      "  retry wait",
      "  attempt fake fake-model",
    ];
    expect(lines).toEqual([...one, ...one]);
  });

  it("two otel() instances on one client: each gets the whole tree", async () => {
    const a = telemetry();
    const b = telemetry();
    const c = new LLMClient({
      provider: createFakeProvider({ replies: [busy(), { text: "ok", usage }] }),
      retry: fastRetry,
      middleware: [
        ...otel({ tracerProvider: a.tracerProvider, meterProvider: a.meterProvider }),
        ...otel({ tracerProvider: b.tracerProvider, meterProvider: b.meterProvider }),
      ],
    });
    await c.generate("x");
    const expected = [
      "chat fake-model",
      "  attempt fake fake-model (error)",
      "  retry wait",
      "  attempt fake fake-model",
    ];
    expect(tree(a.spans())).toEqual(expected);
    expect(tree(b.spans())).toEqual(expected);
  });
});

describe("other operations", () => {
  const schema = jsonSchema<{ a: number }>({
    type: "object",
    properties: { a: { type: "number" } },
    required: ["a"],
  });
  const objectClient = () =>
    client({ provider: createFakeProvider({ defaultReply: { chunks: ['{"a":', "1}"], usage } }) });

  it("generateObject and streamObject: a call span with its attempt", async () => {
    const c = objectClient();
    expect((await c.generateObject("x", { schema })).object).toEqual({ a: 1 });
    for await (const _ of c.streamObject("x", { schema })) {
      // read to the end
    }
    const spans = t.spans();
    expect(tree(spans)).toEqual([
      "chat fake-model",
      "  attempt fake fake-model",
      "chat fake-model",
      "  attempt fake fake-model",
    ]);
    const calls = spans.filter((s) => s.name === "chat fake-model");
    expect(calls.map((s) => s.attributes["rephysco.operation"]).sort()).toEqual([
      "generateObject",
      "streamObject",
    ]);
    for (const s of calls) expect(s.attributes["gen_ai.usage.input_tokens"]).toBe(10);
  });

  it("chatStream: a streamed call span", async () => {
    const c = client();
    await drain(c.chatStream("hello"));
    const spans = t.spans();
    expect(tree(spans)).toEqual(["chat fake-model", "  attempt fake fake-model"]);
    expect(span(spans, "chat fake-model").attributes).toMatchObject({
      "rephysco.operation": "stream",
      "gen_ai.request.stream": true,
      "gen_ai.usage.input_tokens": 10,
    });
  });

  it("a streamed cache hit: the call span is marked, no attempt span, no usage", async () => {
    const c = client({ cache: memoryStore() });
    await drain(c.stream("q"));
    t.reset();
    expect((await drain(c.stream("q"))).text).toBe("Hi!");
    const spans = t.spans();
    expect(tree(spans)).toEqual(["chat fake-model"]);
    expect(spans[0]!.attributes["rephysco.cache.hit"]).toBe(true);
    expect(spans[0]!.attributes["gen_ai.usage.input_tokens"]).toBeUndefined();
  });
});

describe("edges", () => {
  it("an unknown finish reason is left out, not reported as stop", async () => {
    const dropReason: Middleware = {
      wrapGenerate: async ({ doGenerate }) => {
        const { finishReason: _drop, ...rest } = await doGenerate();
        return rest;
      },
    };
    const c = client({}, { captureContent: true }, [dropReason]);
    await c.generate("x");
    const call = span(t.spans(), "chat fake-model");
    expect(call.attributes["gen_ai.response.finish_reasons"]).toBeUndefined();
    expect(JSON.parse(call.attributes["gen_ai.output.messages"] as string)).toEqual([
      { role: "assistant", parts: [{ type: "text", content: "Hi!" }] },
    ]);
  });

  it("an attempt whose inner middleware throws synchronously: its span ends, failed", async () => {
    const boom: Middleware = {
      level: "attempt",
      wrapGenerate: () => {
        throw new Error("sync");
      },
    };
    const c = client({ retry: false }, {}, [boom]);
    await expect(c.generate("x")).rejects.toThrow("sync");
    expect(tree(t.spans())).toEqual([
      "chat fake-model (error)",
      "  attempt fake fake-model (error)",
    ]);
  });

  it("an attempt stream returned before its first pull is done, not broken", async () => {
    const [, attempt] = otel({ tracerProvider: t.tracerProvider });
    const stream = attempt!.wrapStream!({
      doStream: () => {
        throw new Error("never opened");
      },
      params: { mode: "stream", model: "m", messages: [] } as never,
      attempt: { provider: "fake", model: "m", attempt: 1, targetIndex: 0, account: "a" },
      emit: () => {},
    }) as AsyncIterableIterator<unknown>;
    await stream.return!();
    await expect(stream.next()).resolves.toEqual({ done: true, value: undefined });
  });

  it("image URLs lose their credentials: user info, query string and fragment", async () => {
    const c = client({}, { captureContent: true });
    await c.generate([
      {
        role: "user",
        content: "What is this?",
        images: ["https://ann:pw@img.example.com/cat.png?X-Amz-Signature=SECRET#frag"],
      },
    ]);
    const input = span(t.spans(), "chat fake-model").attributes["gen_ai.input.messages"] as string;
    expect(input).not.toContain("SECRET");
    expect(input).not.toContain("ann");
    expect(input).not.toContain("frag");
    expect(JSON.parse(input)[0].parts[1]).toEqual({
      type: "uri",
      modality: "image",
      uri: "https://img.example.com/cat.png",
    });
  });
});

describe("without an SDK (global no-op providers)", () => {
  it("the spans made active inside a call do not record", async () => {
    const seen: (ReturnType<typeof trace.getActiveSpan> | "none")[] = [];
    const probe: Middleware = {
      level: "attempt",
      wrapGenerate: ({ doGenerate }) => {
        seen.push(trace.getActiveSpan() ?? "none");
        return doGenerate();
      },
    };
    const c = new LLMClient({
      provider: createFakeProvider({ defaultReply: { text: "ab", usage } }),
      middleware: [...otel(), probe],
    });
    expect(trace.getTracerProvider().getTracer("x").startSpan("y").isRecording()).toBe(false);
    expect((await c.generate("x")).content).toBe("ab");
    expect(seen).toHaveLength(1);
    const active = seen[0]!;
    // otel() made an attempt span active (a context manager is registered), and it records nothing.
    expect(active).not.toBe("none");
    expect((active as Exclude<typeof active, "none">).isRecording()).toBe(false);
    expect(context.active()).toBe(context.active());
  });
});
