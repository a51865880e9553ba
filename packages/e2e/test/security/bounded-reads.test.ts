// Every read from the network has a cap: error bodies (64 KiB), non-streamed answers
// (maxResponseBytes, default 64 MiB), one streamed event or line (1 MiB). A cap exceeded is
// `response_too_large`: never retried, allowed to fall back.
import { LLMClient, ProviderError, ServiceUnavailableError } from "@rephysco/core";
import "@rephysco/anthropic";
import "@rephysco/openai";
import { caught } from "@rephysco/testing";
import { afterEach, describe, expect, it } from "vitest";
import { type HostileServer, hostileServer, writeLazily } from "./hostile-server.js";

const KEY = "sk-test-bounded-0123456789abcdef";
const MB = 1024 * 1024;
let server: HostileServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const openai = (url: string, extra: Record<string, unknown> = {}) =>
  new LLMClient({
    provider: "openai",
    apiKey: KEY,
    baseURL: `${url}/v1`,
    retry: { baseDelayMs: 1, maxDelayMs: 10, jitter: 0 },
    ...extra,
  });

const anthropic = (url: string, extra: Record<string, unknown> = {}) =>
  new LLMClient({
    provider: "anthropic",
    apiKey: "sk-ant-bounded-0123456789",
    baseURL: `${url}/v1`,
    retry: { baseDelayMs: 1, maxDelayMs: 10, jitter: 0 },
    ...extra,
  });

describe("error bodies are read up to 64 KiB", () => {
  it("openai: a 120 MB error body gives a short message and a bounded body, on every retry", async () => {
    server = await hostileServer((_req, res) => {
      res.writeHead(500, { "content-type": "application/json" });
      writeLazily(res, {
        head: '{"error":{"type":"server_error","message":"',
        filler: "x",
        total: 120 * MB,
        tail: '"}}',
      });
    });
    const error = await caught(() => openai(server!.url).generate("hi"));
    expect(error).toBeInstanceOf(ServiceUnavailableError);
    expect((error as ProviderError).status).toBe(500);
    expect((error as Error).message.length).toBeLessThan(1200);
    expect(JSON.stringify((error as ProviderError).body).length).toBeLessThan(70 * 1024);
    expect(server.requests).toHaveLength(4); // a 500 is retried, but each read stops early
    // What the client made the server send: far from 4 x 120 MB (socket buffers only).
    expect(server.bytesWritten()).toBeLessThan(64 * MB);
  });

  it("anthropic: a 120 MB error body gives a short message", async () => {
    server = await hostileServer((_req, res) => {
      res.writeHead(400, { "content-type": "application/json" });
      writeLazily(res, {
        head: '{"type":"error","error":{"type":"invalid_request_error","message":"',
        filler: "y",
        total: 120 * MB,
        tail: '"}}',
      });
    });
    const error = await caught(() => anthropic(server!.url).generate("hi"));
    expect((error as ProviderError).status).toBe(400);
    expect((error as Error).message.length).toBeLessThan(1200);
    expect(server.requests).toHaveLength(1);
  });
});

describe("non-streamed answers are capped by maxResponseBytes", () => {
  const huge = (res: import("node:http").ServerResponse, total: number) => {
    res.writeHead(200, { "content-type": "application/json" });
    writeLazily(res, {
      head: '{"id":"x","object":"chat.completion","model":"m","choices":[{"index":0,"finish_reason":"stop","message":{"role":"assistant","content":"',
      filler: "z",
      total,
      tail: '"}}]}',
    });
  };

  it("openai: a 200 MB answer fails with response_too_large at the 64 MiB default, once, never retried", async () => {
    server = await hostileServer((_req, res) => huge(res, 200 * MB));
    const error = await caught(() => openai(server!.url).generate("hi"));
    expect(error).toBeInstanceOf(ProviderError);
    expect(error).not.toBeInstanceOf(ServiceUnavailableError);
    expect((error as ProviderError).reason).toBe("response_too_large");
    expect((error as ProviderError).retryable).toBe(false);
    expect(server.requests).toHaveLength(1);
  });

  it("a per-call maxResponseBytes applies; an answer under the cap is fine", async () => {
    server = await hostileServer((_req, res) => huge(res, 2 * MB));
    const client = openai(server.url);
    const error = await caught(() => client.generate("hi", { maxResponseBytes: MB }));
    expect((error as ProviderError).reason).toBe("response_too_large");
    const ok = await client.generate("hi", { maxResponseBytes: 4 * MB });
    expect(ok.content.length).toBeGreaterThanOrEqual(2 * MB);
  });

  it("a declared content-length above the cap fails before the body is read", async () => {
    server = await hostileServer((_req, res) => {
      res.writeHead(200, {
        "content-type": "application/json",
        "content-length": String(500 * MB),
      });
      res.write("{");
    });
    const error = await caught(() => openai(server!.url, { maxResponseBytes: MB }).generate("hi"));
    expect((error as ProviderError).reason).toBe("response_too_large");
    expect((error as Error).message).toContain("content-length");
  });

  it("anthropic: the cap holds on core's reader too", async () => {
    server = await hostileServer((_req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      writeLazily(res, { head: '{"content":[{"type":"text","text":"', filler: "q", total: 8 * MB });
    });
    const error = await caught(() =>
      anthropic(server!.url).generate("hi", { maxResponseBytes: MB }),
    );
    expect((error as ProviderError).reason).toBe("response_too_large");
    expect(server.requests).toHaveLength(1);
  });

  it("response_too_large falls back to the next provider", async () => {
    server = await hostileServer((req, res) => {
      if (req.url?.startsWith("/huge")) return huge(res, 4 * MB);
      res.writeHead(200, { "content-type": "application/json" });
      res.end(
        JSON.stringify({
          id: "ok",
          object: "chat.completion",
          model: "m",
          choices: [
            { index: 0, finish_reason: "stop", message: { role: "assistant", content: "small" } },
          ],
        }),
      );
    });
    const client = new LLMClient({
      provider: "openai",
      apiKey: KEY,
      baseURL: `${server.url}/huge/v1`,
      maxResponseBytes: MB,
      fallbacks: [{ provider: "openai", apiKey: KEY, baseURL: `${server.url}/ok/v1` }],
    });
    const r = await client.generate("hi");
    expect(r.content).toBe("small");
    expect(server.requests.map((q) => q.path.split("/")[1])).toEqual(["huge", "ok"]);
  });
});

describe("one streamed event or line is capped at 1 MiB", () => {
  it("openai: an SSE line that never ends fails with response_too_large, once", async () => {
    server = await hostileServer((_req, res) => {
      res.writeHead(200, { "content-type": "text/event-stream" });
      writeLazily(res, {
        head: 'data: {"choices":[{"index":0,"delta":{"content":"',
        filler: "a",
        total: 500 * MB,
      });
    });
    const chunks: string[] = [];
    const error = await caught(async () => {
      for await (const c of openai(server!.url).stream("hi")) chunks.push(c.content);
    });
    expect((error as ProviderError).reason).toBe("response_too_large");
    expect(chunks.join("")).toBe("");
    expect(server.requests).toHaveLength(1);
    expect(server.bytesWritten()).toBeLessThan(64 * MB);
  });

  it("anthropic: an event of many data lines without its blank line fails the same way", async () => {
    server = await hostileServer((_req, res) => {
      res.writeHead(200, { "content-type": "text/event-stream" });
      writeLazily(res, {
        head: "event: content_block_delta\n",
        filler: "data: bbbbbbbb\n",
        total: 500 * MB,
      });
    });
    const error = await caught(async () => {
      for await (const _ of anthropic(server!.url).stream("hi")) {
        // nothing arrives
      }
    });
    expect((error as ProviderError).reason).toBe("response_too_large");
    expect(server.requests).toHaveLength(1);
  });
});
