// Operations: the access log (one JSON line per request, from a real process's stdout), the
// Prometheus metrics, the x-rephysco-overhead-ms header and OpenTelemetry spans.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { context, trace } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from "@opentelemetry/sdk-trace-base";
import "@rephysco/openai";
import { otel } from "@rephysco/otel";
import { createMockServer, type MockServer } from "@rephysco/testing";
import OpenAI from "openai";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createGateway, createVirtualKey, type Gateway } from "../src/index.js";

const FIXTURE = fileURLToPath(new URL("./fixtures/serve.mjs", import.meta.url));

let upstream: MockServer;
let dir: string;
beforeAll(async () => {
  upstream = await createMockServer();
  dir = mkdtempSync(join(tmpdir(), "rephysco-observe-"));
});
beforeEach(() => upstream.reset());
afterAll(async () => {
  await upstream?.close();
  rmSync(dir, { recursive: true, force: true });
});

const providers = () => ({
  openai: { baseURL: `${upstream.url}/v1`, apiKey: "sk-upstream-secret-0000" },
});

describe("access log", () => {
  let child: ChildProcess | undefined;
  afterAll(() => child?.kill("SIGKILL"));

  it("writes one JSON line per request: key name, model, provider, tokens, cost, latency, cache", async () => {
    const file = join(dir, "keys.json");
    const { key } = await createVirtualKey(file, "team-a");
    child = spawn(
      process.execPath,
      [
        FIXTURE,
        JSON.stringify({
          keys: { file },
          providers: providers(),
          models: { fast: { provider: "openai", model: "gpt-4.1-mini", cache: true } },
        }),
        JSON.stringify({ logger: "info" }),
      ],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    let out = "";
    let err = "";
    child.stdout!.setEncoding("utf8").on("data", (d: string) => {
      out += d;
    });
    child.stderr!.setEncoding("utf8").on("data", (d: string) => {
      err += d;
    });
    while (!/listening on (http:\/\/\S+)/.test(err)) await new Promise((r) => setTimeout(r, 20));
    const url = /listening on (http:\/\/\S+)/.exec(err)![1]!;
    const sdk = new OpenAI({ apiKey: key, baseURL: `${url}/v1`, maxRetries: 0 });
    upstream.enqueue({ text: "secret answer", usage: { promptTokens: 11, completionTokens: 7 } });
    const ask = () =>
      sdk.chat.completions.create({
        model: "fast",
        messages: [{ role: "user", content: "private prompt" }],
      });
    await ask();
    await ask(); // a cache hit
    const stream = await sdk.chat.completions.create({
      model: "openai/gpt-4.1-mini",
      stream: true,
      stream_options: { include_usage: true },
      messages: [{ role: "user", content: "private prompt" }],
    });
    for await (const _ of stream) {
      // drain
    }
    await sdk.chat.completions.create({ model: "fast", messages: [] }).catch(() => undefined); // a 400
    await new OpenAI({ apiKey: "rk-wrong", baseURL: `${url}/v1`, maxRetries: 0 }).chat.completions
      .create({ model: "fast", messages: [{ role: "user", content: "x" }] })
      .catch(() => undefined); // a 401
    upstream.enqueue({ chunks: ["a", "b", "c"], resetAfterChunks: 1 });
    const cut = await sdk.chat.completions.create({
      model: "openai/gpt-4.1-mini",
      stream: true,
      messages: [{ role: "user", content: "cut" }],
    });
    await (async () => {
      for await (const _ of cut) {
        // until the error event
      }
    })().catch(() => undefined);
    const lines = async (n: number) => {
      for (let i = 0; i < 200; i++) {
        const found = out
          .split("\n")
          .filter((l) => l.includes('"msg":"request"'))
          .map((l) => JSON.parse(l) as Record<string, unknown>);
        if (found.length >= n) return found;
        await new Promise((r) => setTimeout(r, 25));
      }
      throw new Error(`expected ${n} access lines in:\n${out}`);
    };
    const [miss, hit, streamed, bad, denied, failed] = await lines(6);
    expect(miss).toMatchObject({
      level: 30,
      key: "team-a",
      model: "fast",
      provider: "openai",
      upstreamModel: "gpt-4.1-mini",
      stream: false,
      status: 200,
      cache: "miss",
      tokens: { prompt: 11, completion: 7, total: 18 },
    });
    expect(typeof miss!.reqId).toBe("string");
    expect(miss!.costUsd).toBeGreaterThan(0);
    expect(miss!.latencyMs).toBeGreaterThan(0);
    expect(miss!.overheadMs).toBeGreaterThanOrEqual(0);
    expect(miss!.overheadMs as number).toBeLessThanOrEqual(miss!.latencyMs as number);
    expect(hit).toMatchObject({ status: 200, cache: "hit", costUsd: 0, upstreamMs: 0 });
    expect(streamed).toMatchObject({ model: "openai/gpt-4.1-mini", stream: true, status: 200 });
    expect(bad).toMatchObject({ status: 400, error: "HttpError" });
    expect(denied).toMatchObject({ status: 401, error: "HttpError" });
    expect(denied!.key).toBeUndefined();
    // A stream that failed after its first byte: status 200 went out, the line says it failed.
    expect(failed).toMatchObject({ stream: true, status: 200, error: "ServiceUnavailableError" });
    // Never the key, the prompt, the answer or the upstream key.
    for (const secret of [key, "private prompt", "secret answer", "sk-upstream-secret"])
      expect(out).not.toContain(secret);
    child.kill("SIGTERM");
  });
});

describe("metrics and the overhead header", () => {
  let gateway: Gateway;
  let url: string;
  beforeAll(async () => {
    gateway = await createGateway({
      providers: providers(),
      models: {
        fast: { provider: "openai", model: "gpt-4.1-mini" },
        once: { provider: "openai", model: "gpt-4.1-mini", retries: 0 },
      },
      metrics: { bearerToken: "metrics-token-0123456789" },
    });
    url = (await gateway.listen({ port: 0 })).url;
  });
  afterAll(() => gateway?.close());
  const scrape = async () => {
    const res = await fetch(`${url}/metrics`, {
      headers: { authorization: "Bearer metrics-token-0123456789" },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
    return res.text();
  };

  it("sends x-rephysco-overhead-ms on answers and streams", async () => {
    const sdk = new OpenAI({ apiKey: "x", baseURL: `${url}/v1`, maxRetries: 0 });
    upstream.enqueue({ text: "hi", delayMs: 50 });
    const { response } = await sdk.chat.completions
      .create({ model: "fast", messages: [{ role: "user", content: "a" }] })
      .withResponse();
    const overhead = Number(response.headers.get("x-rephysco-overhead-ms"));
    expect(Number.isFinite(overhead)).toBe(true);
    expect(overhead).toBeGreaterThanOrEqual(0);
    // The upstream's 50 ms are not the gateway's.
    expect(overhead).toBeLessThan(50);
    upstream.enqueue({ chunks: ["a", "b"], firstChunkDelayMs: 50 });
    const s = await sdk.chat.completions
      .create({ model: "fast", stream: true, messages: [{ role: "user", content: "a" }] })
      .withResponse();
    const so = Number(s.response.headers.get("x-rephysco-overhead-ms"));
    expect(so).toBeGreaterThanOrEqual(0);
    expect(so).toBeLessThan(50);
    for await (const _ of s.data) {
      // drain
    }
  });

  it("does not count the upstream's time as overhead on a cached route's miss", async () => {
    const g = await createGateway({
      providers: providers(),
      models: { cached: { provider: "openai", model: "gpt-4.1-mini", cache: true } },
    });
    const u = (await g.listen({ port: 0 })).url;
    try {
      const sdk = new OpenAI({ apiKey: "x", baseURL: `${u}/v1`, maxRetries: 0 });
      upstream.enqueue({ text: "slow", delayMs: 120 });
      const { response } = await sdk.chat.completions
        .create({ model: "cached", messages: [{ role: "user", content: `q ${Date.now()}` }] })
        .withResponse();
      expect(Number(response.headers.get("x-rephysco-overhead-ms"))).toBeLessThan(60);
    } finally {
      await g.close();
    }
  });

  it("counts requests, tokens, cost, latency and upstream errors by class", async () => {
    const sdk = new OpenAI({ apiKey: "x", baseURL: `${url}/v1`, maxRetries: 0 });
    upstream.enqueue({ text: "x", usage: { promptTokens: 100, completionTokens: 50 } });
    await sdk.chat.completions.create({
      model: "fast",
      messages: [{ role: "user", content: "m" }],
    });
    upstream.enqueue({ error: { status: 500 } });
    await sdk.chat.completions
      .create({ model: "once", messages: [{ role: "user", content: "m" }] })
      .catch(() => undefined);
    const text = await scrape();
    expect(text).toMatch(
      /rephysco_gateway_requests_total\{key="",model="fast",provider="openai",status="200",cache="off",stream="false"\} [1-9]/,
    );
    expect(text).toMatch(
      /rephysco_gateway_tokens_total\{key="",model="fast",provider="openai",type="prompt"\} [1-9]\d{2}/,
    );
    expect(text).toMatch(
      /rephysco_gateway_cost_usd_total\{key="",model="fast",provider="openai"\} 0\.0\d+/,
    );
    expect(text).toMatch(
      /rephysco_gateway_upstream_errors_total\{provider="openai",class="ServiceUnavailableError"\} 1/,
    );
    expect(text).toMatch(/rephysco_gateway_requests_total\{[^}]*status="50\d"[^}]*\} 1/);
    expect(text).toMatch(/rephysco_gateway_request_duration_seconds_bucket\{le="0.5",model="fast"/);
    expect(text).toMatch(/rephysco_gateway_overhead_seconds_count\{stream="false"\} [1-9]/);
    expect(text).toMatch(/rephysco_gateway_process_cpu_seconds_total/);
  });

  it("needs the bearer token when one is configured", async () => {
    expect((await fetch(`${url}/metrics`)).status).toBe(401);
  });

  it("serves no /metrics when disabled", async () => {
    const g = await createGateway({ providers: providers(), metrics: { enabled: false } });
    const u = (await g.listen({ port: 0 })).url;
    expect((await fetch(`${u}/metrics`)).status).toBe(404);
    await g.close();
  });
});

describe("OpenTelemetry", () => {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  beforeAll(() => {
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  });
  afterAll(() => {
    context.disable();
    trace.disable();
  });

  it("spans each upstream call through @rephysco/otel middleware given in code", async () => {
    const g = await createGateway(
      { providers: providers() },
      { middleware: otel({ tracerProvider: provider }) },
    );
    const u = (await g.listen({ port: 0 })).url;
    exporter.reset();
    const sdk = new OpenAI({ apiKey: "x", baseURL: `${u}/v1`, maxRetries: 0 });
    await sdk.chat.completions.create({
      model: "gpt-4.1-mini",
      messages: [{ role: "user", content: "traced" }],
    });
    await g.close();
    const call = exporter.getFinishedSpans().find((s) => s.name === "chat gpt-4.1-mini");
    expect(call).toBeDefined();
    expect(call!.attributes["gen_ai.request.model"]).toBe("gpt-4.1-mini");
    expect(JSON.stringify(call!.attributes)).not.toContain("traced"); // no content by default
  });

  it("config otel: true uses the global tracer provider", async () => {
    trace.setGlobalTracerProvider(provider);
    const g = await createGateway({ providers: providers(), otel: true });
    const u = (await g.listen({ port: 0 })).url;
    exporter.reset();
    const sdk = new OpenAI({ apiKey: "x", baseURL: `${u}/v1`, maxRetries: 0 });
    await sdk.chat.completions.create({
      model: "gpt-4.1-nano",
      messages: [{ role: "user", content: "x" }],
    });
    await g.close();
    expect(exporter.getFinishedSpans().map((s) => s.name)).toContain("chat gpt-4.1-nano");
  });
});
