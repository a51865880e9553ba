/**
 * Over real HTTP: the openai provider against the local mock server. The attempt span is the
 * active span while the provider's request runs (so instrumented HTTP clients nest under it), and
 * the API key appears nowhere in what is exported.
 */
import { type Span, trace } from "@opentelemetry/api";
import type { ReadableSpan } from "@opentelemetry/sdk-trace-base";
import { LLMClient } from "@rephysco/core";
import "@rephysco/openai";
import { otel } from "@rephysco/otel";
import { caught, createMockServer, drain, type MockServer } from "@rephysco/testing";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { span, telemetry, tree, useContextManager } from "./helpers.js";

useContextManager();
const t = telemetry();
const KEY = "sk-otel-test-KEY-0123456789abcdefSECRET";

let server: MockServer;
beforeAll(async () => {
  server = await createMockServer();
});
afterAll(() => server.close());
beforeEach(() => {
  server.reset();
  t.reset();
});

/** A client whose `fetch` notes the span active when each request starts. */
function client(captureContent = false) {
  const active: (Span | undefined)[] = [];
  const c = new LLMClient({
    provider: "openai",
    model: "gpt-4o-mini",
    apiKey: KEY,
    baseURL: `${server.url}/v1`,
    retry: { maxRetries: 1, baseDelayMs: 1, jitter: 0 },
    settings: {
      fetch: (input, init) => {
        active.push(trace.getActiveSpan());
        return fetch(input, init);
      },
    },
    middleware: [
      ...otel({ tracerProvider: t.tracerProvider, meterProvider: t.meterProvider, captureContent }),
    ],
  });
  return { c, active };
}

function idOf(s: Span | ReadableSpan | undefined): string | undefined {
  return s?.spanContext().spanId;
}

/** Every attribute value, status message and event of every span, as text. */
function exported(): string {
  return JSON.stringify(
    t
      .spans()
      .map((s) => [s.name, s.attributes, s.status, s.events, s.links, s.resource.attributes]),
  );
}

describe("over HTTP (openai provider, mock server)", () => {
  it("generate: the request runs with the attempt span active", async () => {
    const { c, active } = client();
    server.enqueue({ text: "Hello!", usage: { promptTokens: 7, completionTokens: 2 } });
    await c.generate("Hi");
    const spans = t.spans();
    expect(tree(spans)).toEqual(["chat gpt-4o-mini", "  attempt openai gpt-4o-mini"]);
    expect(active.map(idOf)).toEqual([idOf(span(spans, "attempt openai gpt-4o-mini"))]);
    expect(span(spans, "chat gpt-4o-mini").attributes).toMatchObject({
      "gen_ai.provider.name": "openai",
      "gen_ai.usage.input_tokens": 7,
      "gen_ai.usage.output_tokens": 2,
    });
  });

  it("stream with a retry: each request under its own attempt span", async () => {
    const { c, active } = client();
    server.enqueue([
      { error: { status: 503, body: { error: { message: "overloaded" } } } },
      { chunks: ["Hel", "lo"], usage: { promptTokens: 7, completionTokens: 2 } },
    ]);
    const { text } = await drain(c.stream("Hi"));
    expect(text).toBe("Hello");
    const spans = t.spans();
    expect(tree(spans)).toEqual([
      "chat gpt-4o-mini",
      "  attempt openai gpt-4o-mini (error)",
      "  retry wait",
      "  attempt openai gpt-4o-mini",
    ]);
    const attempts = spans.filter((s) => s.name.startsWith("attempt"));
    expect(active.map(idOf)).toEqual(attempts.map(idOf));
  });

  it("the API key appears in no exported span, content captured or not, failures included", async () => {
    for (const capture of [false, true]) {
      const { c } = client(capture);
      server.enqueue([
        { text: "fine", usage: { promptTokens: 1, completionTokens: 1 } },
        {
          error: {
            status: 401,
            body: { error: { message: `Incorrect API key provided: ${KEY}` } },
          },
        },
        { error: { status: 500, body: { error: { message: `boom ${KEY}` } } } },
        { error: { status: 500, body: { error: { message: `boom ${KEY}` } } } },
      ]);
      await c.generate(`Hi ${"x"}`);
      await caught(() => c.generate("again"));
      await caught(() => c.generate("third"));
    }
    const text = exported();
    expect(t.spans().length).toBeGreaterThanOrEqual(10);
    expect(text).toContain("AuthenticationError");
    expect(text).not.toContain(KEY);
    expect(text).not.toContain("0123456789abcdefSECRET");
  });
});
