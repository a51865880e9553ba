import { SpanKind, SpanStatusCode } from "@opentelemetry/api";
import * as semconv from "@opentelemetry/semantic-conventions/incubating";
import { jsonSchema, LLMClient, memoryStore, ServiceUnavailableError, tool } from "@rephysco/core";
import * as attributes from "@rephysco/otel";
import { otel } from "@rephysco/otel";
import { caught, createFakeProvider, drain } from "@rephysco/testing";
import { beforeEach, describe, expect, it } from "vitest";
import { span, telemetry, tree, useContextManager } from "./helpers.js";

useContextManager();
const t = telemetry();
beforeEach(() => t.reset());

const usage = { promptTokens: 10, completionTokens: 5, totalTokens: 15 };
const fastRetry = { maxRetries: 2, baseDelayMs: 5, jitter: 0 };

function client(options: Partial<ConstructorParameters<typeof LLMClient>[0]> = {}) {
  return new LLMClient({
    provider: createFakeProvider({ defaultReply: { text: "Hi!", usage } }),
    ...options,
    middleware: [...otel({ tracerProvider: t.tracerProvider, meterProvider: t.meterProvider })],
  });
}

const add = tool({
  description: "Adds two numbers.",
  parameters: jsonSchema<{ a: number; b: number }>({
    type: "object",
    properties: { a: { type: "number" }, b: { type: "number" } },
    required: ["a", "b"],
  }),
  execute: ({ a, b }) => a + b,
});

describe("attribute names", () => {
  it("equal the published GenAI semantic conventions (1.45.0)", () => {
    const ours = Object.entries(attributes).filter(
      ([k, v]) => /^(ATTR_GEN_AI_|ATTR_ERROR_TYPE|METRIC_GEN_AI_)/.test(k) && typeof v === "string",
    );
    expect(ours.length).toBeGreaterThan(25);
    for (const [k, v] of ours) expect([k, (semconv as Record<string, unknown>)[k]]).toEqual([k, v]);
    expect(attributes.genAiProviderName("openai")).toBe(semconv.GEN_AI_PROVIDER_NAME_VALUE_OPENAI);
    expect(attributes.genAiProviderName("anthropic")).toBe(
      semconv.GEN_AI_PROVIDER_NAME_VALUE_ANTHROPIC,
    );
    expect(attributes.genAiProviderName("gemini")).toBe(
      semconv.GEN_AI_PROVIDER_NAME_VALUE_GCP_GEMINI,
    );
    expect(attributes.genAiProviderName("xai")).toBe(semconv.GEN_AI_PROVIDER_NAME_VALUE_X_AI);
    expect(attributes.genAiProviderName("siliconflow")).toBe("siliconflow");
  });
});

describe("a call", () => {
  it("is a CLIENT span with an attempt span under it; usage only on the call span", async () => {
    const c = client();
    await c.generate("Hello", { temperature: 0.3, topP: 0.9, maxTokens: 50, stop: ["\n\n"] });
    const spans = t.spans();
    expect(tree(spans)).toEqual(["chat fake-model", "  attempt fake fake-model"]);
    const call = span(spans, "chat fake-model");
    expect(call.kind).toBe(SpanKind.CLIENT);
    expect(call.status.code).toBe(SpanStatusCode.UNSET);
    expect(call.attributes).toEqual({
      "gen_ai.operation.name": "chat",
      "gen_ai.provider.name": "fake",
      "gen_ai.request.model": "fake-model",
      "gen_ai.request.temperature": 0.3,
      "gen_ai.request.top_p": 0.9,
      "gen_ai.request.max_tokens": 50,
      "gen_ai.request.stop_sequences": ["\n\n"],
      "gen_ai.request.stream": false,
      "rephysco.operation": "generate",
      "gen_ai.response.model": "fake-model",
      "gen_ai.response.finish_reasons": ["stop"],
      "gen_ai.usage.input_tokens": 10,
      "gen_ai.usage.output_tokens": 5,
      "rephysco.response.provider": "fake",
    });
    const attempt = span(spans, "attempt fake fake-model");
    expect(attempt.kind).toBe(SpanKind.INTERNAL);
    expect(attempt.attributes).toEqual({
      "gen_ai.provider.name": "fake",
      "gen_ai.request.model": "fake-model",
      "rephysco.attempt": 1,
      "rephysco.target_index": 0,
      "rephysco.attempt.outcome": "ok",
    });
  });

  it("records cache and reasoning token counts and the cost when known", async () => {
    const c = client({
      provider: createFakeProvider({
        defaultReply: {
          text: "ok",
          usage: {
            promptTokens: 100,
            completionTokens: 40,
            totalTokens: 140,
            cachedPromptTokens: 60,
            cacheWriteTokens: 20,
            reasoningTokens: 30,
          },
        },
      }),
      prices: { fake: { "fake-model": { input: 1, output: 2 } } },
    });
    await c.generate("x");
    const call = span(t.spans(), "chat fake-model");
    expect(call.attributes).toMatchObject({
      "gen_ai.usage.input_tokens": 100,
      "gen_ai.usage.output_tokens": 40,
      "gen_ai.usage.cache_read.input_tokens": 60,
      "gen_ai.usage.cache_creation.input_tokens": 20,
      "gen_ai.usage.reasoning.output_tokens": 30,
      "rephysco.cost.usd": expect.any(Number),
    });
    expect(call.attributes["rephysco.cost.usd"]).toBeGreaterThan(0);
  });

  it("a call that fails: error status and error.type on the call and the attempt", async () => {
    const down = new ServiceUnavailableError("upstream down", { provider: "fake" });
    const c = client({
      provider: createFakeProvider({ replies: [{ error: down }] }),
      retry: false,
    });
    expect(await caught(() => c.generate("x"))).toBe(down);
    const spans = t.spans();
    expect(tree(spans)).toEqual(["chat fake-model (error)", "  attempt fake fake-model (error)"]);
    const call = span(spans, "chat fake-model");
    expect(call.attributes["error.type"]).toBe("ServiceUnavailableError");
    expect(call.status.message).toBe("upstream down");
    expect(call.attributes["gen_ai.usage.input_tokens"]).toBeUndefined();
    expect(span(spans, "attempt fake fake-model").attributes).toMatchObject({
      "error.type": "ServiceUnavailableError",
      "rephysco.attempt.outcome": "ServiceUnavailableError",
    });
  });

  it("nests under the span active when it is called", async () => {
    const c = client();
    const tracer = t.tracerProvider.getTracer("app");
    await tracer.startActiveSpan("request /chat", async (parent) => {
      await c.generate("x");
      parent.end();
    });
    expect(tree(t.spans())).toEqual([
      "request /chat",
      "  chat fake-model",
      "    attempt fake fake-model",
    ]);
  });
});

describe("span trees", () => {
  it("a retried call: attempt 1 (error), retry wait, attempt 2 (ok)", async () => {
    const c = client({
      provider: createFakeProvider({
        replies: [
          { error: new ServiceUnavailableError("busy", { provider: "fake" }) },
          { text: "ok", usage },
        ],
      }),
      retry: fastRetry,
    });
    await c.generate("x");
    const spans = t.spans();
    expect(tree(spans)).toEqual([
      "chat fake-model",
      "  attempt fake fake-model (error)",
      "  retry wait",
      "  attempt fake fake-model",
    ]);
    const wait = span(spans, "retry wait");
    expect(wait.attributes).toEqual({
      "gen_ai.provider.name": "fake",
      "gen_ai.request.model": "fake-model",
      "rephysco.attempt": 2,
      "rephysco.retry.delay_ms": 5,
      "error.type": "ServiceUnavailableError",
    });
    expect(wait.duration[0] * 1e3 + wait.duration[1] / 1e6).toBeCloseTo(5, 0);
    const attempts = spans.filter((s) => s.name.startsWith("attempt"));
    expect(attempts.map((s) => s.attributes["rephysco.attempt"])).toEqual([1, 2]);
    // Usage once, on the call span.
    expect(spans.filter((s) => "gen_ai.usage.input_tokens" in s.attributes)).toHaveLength(1);
  });

  it("a fallback: attempts on both providers and a fallback span between them", async () => {
    const primary = createFakeProvider({
      name: "primary",
      defaultModel: "p-1",
      replies: [{ error: new ServiceUnavailableError("down", { provider: "primary" }) }],
    });
    const backup = createFakeProvider({
      name: "backup",
      defaultModel: "b-1",
      defaultReply: { text: "ok", usage },
    });
    const c = client({ provider: primary, retry: false, fallbacks: [{ provider: backup }] });
    await c.generate("x");
    const spans = t.spans();
    expect(tree(spans)).toEqual([
      "chat p-1",
      "  attempt primary p-1 (error)",
      "  fallback",
      "  attempt backup b-1",
    ]);
    expect(span(spans, "fallback").attributes).toEqual({
      "rephysco.fallback.from.provider": "primary",
      "rephysco.fallback.from.model": "p-1",
      "rephysco.fallback.to.provider": "backup",
      "rephysco.fallback.to.model": "b-1",
      "error.type": "ServiceUnavailableError",
    });
    expect(span(spans, "attempt backup b-1").attributes["rephysco.target_index"]).toBe(1);
    // The call span keeps what was asked (provider and model of the primary); who answered is
    // in the response attributes.
    expect(span(spans, "chat p-1").attributes).toMatchObject({
      "gen_ai.request.model": "p-1",
      "gen_ai.provider.name": "primary",
      "gen_ai.response.model": "b-1",
      "rephysco.response.provider": "backup",
    });
  });

  for (const mode of ["generate", "stream"] as const) {
    it(`a tool loop (${mode}): steps with their attempts, tool runs; usage only on the call`, async () => {
      const fake = createFakeProvider({
        replies: [
          { toolCalls: [{ id: "call_1", name: "add", arguments: { a: 1, b: 2 } }], usage },
          { text: "3", usage },
        ],
      });
      const c = client({ provider: fake });
      if (mode === "generate") await c.generate("1+2?", { tools: { add }, maxSteps: 3 });
      else await drain(c.stream("1+2?", { tools: { add }, maxSteps: 3 }));
      const spans = t.spans();
      expect(tree(spans)).toEqual([
        "chat fake-model",
        "  step 1",
        "    attempt fake fake-model",
        "  execute_tool add",
        "  step 2",
        "    attempt fake fake-model",
      ]);
      expect(span(spans, "step 1").attributes).toEqual({
        "rephysco.step": 1,
        "gen_ai.request.model": "fake-model",
        "gen_ai.response.finish_reasons": ["tool_calls"],
      });
      expect(span(spans, "execute_tool add").attributes).toEqual({
        "gen_ai.operation.name": "execute_tool",
        "gen_ai.tool.name": "add",
        "gen_ai.tool.call.id": "call_1",
        "rephysco.step": 1,
      });
      const withUsage = spans.filter((s) => "gen_ai.usage.input_tokens" in s.attributes);
      expect(withUsage.map((s) => s.name)).toEqual(["chat fake-model"]);
      expect(withUsage[0]!.attributes["gen_ai.usage.input_tokens"]).toBe(20);
    });
  }

  it("a tool that throws: its span has error status", async () => {
    const fail = tool({
      parameters: jsonSchema<Record<string, never>>({ type: "object" }),
      execute: () => {
        throw new Error("no");
      },
    });
    const fake = createFakeProvider({
      replies: [{ toolCalls: [{ name: "fail", arguments: {} }] }, { text: "sorry" }],
    });
    await client({ provider: fake }).generate("x", { tools: { fail }, maxSteps: 2 });
    const s = span(t.spans(), "execute_tool fail");
    expect(s.status.code).toBe(SpanStatusCode.ERROR);
    expect(s.attributes["error.type"]).toBe("tool_error");
  });

  it("a cache hit: the call span is marked, no attempt span, no usage", async () => {
    const c = client({ cache: memoryStore() });
    await c.generate("q");
    t.reset();
    await c.generate("q");
    const spans = t.spans();
    expect(tree(spans)).toEqual(["chat fake-model"]);
    expect(spans[0]!.attributes).toMatchObject({
      "rephysco.cache.hit": true,
      "rephysco.cost.usd": 0,
    });
    expect(spans[0]!.attributes["gen_ai.usage.input_tokens"]).toBeUndefined();
  });

  it("a call that joined an identical one in flight is marked shared; one attempt in all", async () => {
    const c = client({
      provider: createFakeProvider({ defaultReply: { text: "same", usage, delayMs: 20 } }),
      cache: memoryStore(),
    });
    await Promise.all([c.generate("q"), c.generate("q")]);
    const spans = t.spans();
    const calls = spans.filter((s) => s.name === "chat fake-model");
    expect(calls).toHaveLength(2);
    expect(calls.filter((s) => s.attributes["rephysco.cache.shared"] === true)).toHaveLength(1);
    expect(spans.filter((s) => s.name.startsWith("attempt"))).toHaveLength(1);
    expect(spans.filter((s) => "gen_ai.usage.input_tokens" in s.attributes)).toHaveLength(1);
  });
});

describe("streams", () => {
  it("a stream's span ends with the stream, with time to first chunk", async () => {
    const c = client({
      provider: createFakeProvider({
        defaultReply: { chunks: ["a", "b", "c"], usage, chunkDelayMs: 2 },
      }),
    });
    const { text } = await drain(c.stream("x"));
    expect(text).toBe("abc");
    const spans = t.spans();
    expect(tree(spans)).toEqual(["chat fake-model", "  attempt fake fake-model"]);
    const call = span(spans, "chat fake-model");
    expect(call.attributes).toMatchObject({
      "gen_ai.request.stream": true,
      "rephysco.operation": "stream",
      "gen_ai.usage.output_tokens": 5,
      "gen_ai.response.time_to_first_chunk": expect.any(Number),
    });
    expect(span(spans, "attempt fake fake-model").attributes["rephysco.attempt.outcome"]).toBe(
      "ok",
    );
  });

  it("an aborted stream: the call span fails with the abort, the attempt span ends", async () => {
    const c = client({
      provider: createFakeProvider({
        defaultReply: { chunks: ["a", "b", "c", "d"], chunkDelayMs: 20 },
      }),
    });
    const controller = new AbortController();
    let text = "";
    const error = await caught(async () => {
      for await (const chunk of c.stream("x", { signal: controller.signal })) {
        text += chunk.content;
        controller.abort();
      }
    });
    expect(text).toBe("a");
    expect(error).toBeDefined();
    const spans = t.spans();
    expect(tree(spans)).toEqual(["chat fake-model (error)", "  attempt fake fake-model (error)"]);
    expect(span(spans, "chat fake-model").attributes["error.type"]).toBe("AbortError");
  });

  for (const read of [1, 2]) {
    it(`a stream abandoned by break after ${read} chunk(s): spans ended, status unset, marked abandoned`, async () => {
      const c = client({
        provider: createFakeProvider({
          defaultReply: { chunks: ["a", "b", "c"], chunkDelayMs: 5 },
        }),
      });
      let n = 0;
      for await (const _chunk of c.stream("x")) if (++n === read) break;
      const spans = t.spans();
      expect(tree(spans)).toEqual(["chat fake-model", "  attempt fake fake-model"]);
      const call = span(spans, "chat fake-model");
      expect(call.status.code).toBe(SpanStatusCode.UNSET);
      expect(call.attributes["rephysco.stream.abandoned"]).toBe(true);
      const attempt = span(spans, "attempt fake fake-model");
      expect(attempt.attributes["rephysco.attempt.outcome"]).toBe("abandoned");
      expect(attempt.status.code).toBe(SpanStatusCode.UNSET);
    });
  }
});
