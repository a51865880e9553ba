import {
  LLMClient,
  memoryStore,
  ProviderError,
  ServiceUnavailableError,
  TimeoutError,
} from "@rephysco/core";
import "@rephysco/openai";
import { describe, expect, it } from "vitest";
import { caught, collect, openaiClient, TEST_KEY, useMockServer } from "./helpers.js";

const ctx = useMockServer();

describe("timeouts", () => {
  it("timeoutMs bounds each attempt and is retried while nothing was yielded", async () => {
    const { server } = ctx;
    const { client, events } = openaiClient(server, { timeoutMs: 2_000 });
    server.enqueue([{ text: "slow", delayMs: 60_000 }, { text: "fast" }]);
    expect((await client.generate("x")).content).toBe("fast");
    const retry = events.find((e) => e.type === "retry");
    expect(retry && "error" in retry && retry.error).toBeInstanceOf(TimeoutError);
  });

  it("firstChunkTimeoutMs fires when the first token is late", async () => {
    const { server } = ctx;
    const { client } = openaiClient(server, { firstChunkTimeoutMs: 100, retry: false });
    server.enqueue({ chunks: ["late"], firstChunkDelayMs: 5_000 });
    const e = await caught(() => collect(client.stream("x")));
    expect(e).toBeInstanceOf(TimeoutError);
    expect(e).toBeInstanceOf(ServiceUnavailableError);
    expect(e.reason).toBe("first_chunk_timeout");
  });

  it("idleTimeoutMs fires on a stalled stream, after the text already yielded, with the partial text", async () => {
    const { server } = ctx;
    const { client } = openaiClient(server, { idleTimeoutMs: 500 });
    server.enqueue({ chunks: ["Hello", " wor", "ld"], stallAfterChunks: 2 });
    const got: string[] = [];
    const e = await caught(async () => {
      for await (const c of client.stream("x")) got.push(c.content);
    });
    expect(got.join("")).toBe("Hello wor");
    expect(e).toBeInstanceOf(TimeoutError);
    expect(e.partialContent).toBe("Hello wor");
    // Never retried after partial output.
    expect(server.requests).toHaveLength(1);
  });
});

describe("cancellation", () => {
  it("an abort before the answer rejects with the platform AbortError, without retrying", async () => {
    const { server } = ctx;
    const { client } = openaiClient(server);
    server.enqueue({ text: "never", delayMs: 5_000 });
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 50);
    const e = await caught(() => client.generate("x", { signal: ac.signal }));
    expect(e.name).toBe("AbortError");
    expect(e).toBeInstanceOf(DOMException);
    expect(server.requests).toHaveLength(1);
  });

  it("an abort cancels the wait between retries", async () => {
    const { server } = ctx;
    const { client, events } = openaiClient(server, {
      retry: { baseDelayMs: 60_000, maxDelayMs: 60_000, jitter: 0 },
    });
    server.enqueue({
      error: {
        status: 503,
        body: { error: { message: "busy", type: "server_error", param: null, code: null } },
      },
    });
    const ac = new AbortController();
    const p = client.generate("x", { signal: ac.signal });
    while (!events.some((e) => e.type === "retry")) await new Promise((r) => setTimeout(r, 5));
    ac.abort();
    const e = await caught(() => p);
    expect(e.name).toBe("AbortError");
    expect(server.requests).toHaveLength(1);
  });

  it("an abort mid-stream stops the stream with AbortError and keeps what was yielded", async () => {
    const { server } = ctx;
    const { client } = openaiClient(server);
    server.enqueue({ chunks: ["a", "b", "c", "d", "e"], chunkDelayMs: 100 });
    const ac = new AbortController();
    const got: string[] = [];
    const e = await caught(async () => {
      for await (const c of client.stream("x", { signal: ac.signal })) {
        got.push(c.content);
        if (got.join("") === "a") ac.abort();
      }
    });
    expect(e.name).toBe("AbortError");
    expect(got.join("")).toBe("a");
  });
});

describe("broken responses", () => {
  it("a stream cut mid-way throws ServiceUnavailableError after the text, carrying the partial text", async () => {
    const { server } = ctx;
    const { client } = openaiClient(server);
    server.enqueue({ chunks: ["The answer ", "is ", "42."], resetAfterChunks: 2 });
    const got: string[] = [];
    const e = await caught(async () => {
      for await (const c of client.stream("x")) got.push(c.content);
    });
    expect(got.join("")).toBe("The answer is ");
    expect(e).toBeInstanceOf(ServiceUnavailableError);
    expect(e.partialContent).toBe("The answer is ");
    expect(server.requests).toHaveLength(1);
  });

  it("a stream that ends without a finish reason or [DONE] is an error, never a short answer", async () => {
    const { server } = ctx;
    const { client } = openaiClient(server, { retry: false });
    server.enqueue({ chunks: ["cut", " short"], omitFinish: true, omitDone: true });
    const e = await caught(() => collect(client.stream("x")));
    expect(e).toBeInstanceOf(ServiceUnavailableError);
    expect(e.partialContent).toBe("cut short");
  });

  it("a malformed body is a ProviderError with an excerpt of what came back", async () => {
    const { server } = ctx;
    const { client } = openaiClient(server, { retry: false });
    server.enqueue({ malformed: '{"id":"chatcmpl-1","choices":[{"mess' });
    const e = await caught(() => client.generate("x"));
    expect(e).toBeInstanceOf(ProviderError);
    expect(e.message).toContain("chatcmpl-1");
  });

  it("a reset before headers is retried as a connection failure", async () => {
    const { server } = ctx;
    const { client } = openaiClient(server);
    server.enqueue([{ reset: true }, { text: "back" }]);
    expect((await client.generate("x")).content).toBe("back");
    expect(server.requests).toHaveLength(2);
  });
});

describe("fallbacks", () => {
  it("falls back to the next provider after retryable failures and says who answered", async () => {
    const { server } = ctx;
    const { client, events } = openaiClient(server, {
      retry: { maxRetries: 1, baseDelayMs: 1 },
      fallbacks: [
        {
          provider: "openai",
          model: "gpt-4.1-mini",
          apiKey: TEST_KEY,
          baseURL: `${server.url}/backup/v1`,
        },
      ],
    });
    const err = {
      error: {
        status: 500,
        body: { error: { message: "down", type: "server_error", param: null, code: null } },
      },
    };
    server.enqueue([err, err, (req) => ({ text: `from ${req.path}`, model: "gpt-4.1-mini" })]);
    const r = await client.generate("x");
    expect(r.content).toBe("from /backup/v1/chat/completions");
    expect(r.model).toBe("gpt-4.1-mini");
    expect(events.filter((e) => e.type === "fallback")).toHaveLength(1);
  });

  it("does not fall back on authentication errors unless told to", async () => {
    const { server } = ctx;
    const auth = {
      error: {
        status: 401,
        body: {
          error: {
            message: "bad key",
            type: "invalid_request_error",
            param: null,
            code: "invalid_api_key",
          },
        },
      },
    };
    const fb = [
      { provider: "openai" as const, apiKey: TEST_KEY, baseURL: `${server.url}/backup/v1` },
    ];
    server.enqueue([auth, { text: "unused" }]);
    const { client } = openaiClient(server, { fallbacks: fb });
    await expect(client.generate("x")).rejects.toMatchObject({ status: 401 });
    expect(server.requests).toHaveLength(1);
    server.reset();
    server.enqueue([auth, { text: "fallback answered" }]);
    const { client: permissive } = openaiClient(server, {
      fallbacks: fb,
      shouldFallback: () => true,
    });
    expect((await permissive.generate("x")).content).toBe("fallback answered");
  });

  it("a stream falls back only before it has yielded anything", async () => {
    const { server } = ctx;
    const fb = [
      { provider: "openai" as const, apiKey: TEST_KEY, baseURL: `${server.url}/backup/v1` },
    ];
    const { client } = openaiClient(server, { retry: false, fallbacks: fb });
    server.enqueue([{ reset: true }, { chunks: ["from", " backup"] }]);
    expect((await collect(client.stream("x"))).text).toBe("from backup");
    server.reset();
    server.enqueue([
      { chunks: ["half", " of it"], resetAfterChunks: 1 },
      { text: "must not be used" },
    ]);
    const e = await caught(() => collect(client.stream("x")));
    expect(e).toBeInstanceOf(ServiceUnavailableError);
    expect(server.requests).toHaveLength(1);
  });
});

describe("events", () => {
  it("reports request, retry, cache and finish with usage and duration, never the key", async () => {
    const { server } = ctx;
    const { client, events } = openaiClient(server, { cache: memoryStore() });
    server.enqueue([
      { error: { status: 502, body: "bad gateway" } },
      { text: "ok", usage: { promptTokens: 2, completionTokens: 1 } },
    ]);
    await client.generate("events please", { cache: "refresh" });
    const types = events.map((e) => e.type);
    expect(types).toEqual(["request", "retry", "request", "finish"]);
    const finish = events.at(-1)!;
    expect(finish).toMatchObject({
      type: "finish",
      provider: "openai",
      cached: false,
      usage: { totalTokens: 3 },
    });
    expect(finish.type === "finish" && finish.durationMs).toBeGreaterThan(0);
    expect(
      JSON.stringify(events, (_k, v) => (v instanceof Error ? { ...v, message: v.message } : v)),
    ).not.toContain(TEST_KEY);
  });

  it("a throwing listener never breaks the request", async () => {
    const { server } = ctx;
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.message);
    process.on("warning", onWarning);
    try {
      const client = new LLMClient({
        provider: "openai",
        apiKey: TEST_KEY,
        baseURL: `${server.url}/v1`,
        onEvent: () => {
          throw new Error("listener bug");
        },
      });
      server.enqueue({ text: "fine" });
      expect((await client.generate("x")).content).toBe("fine");
      await new Promise((r) => setImmediate(r));
      expect(warnings.some((w) => w.includes("listener bug"))).toBe(true);
    } finally {
      process.off("warning", onWarning);
    }
  });
});
