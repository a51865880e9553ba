import {
  AuthenticationError,
  ContentFilterError,
  InvalidRequestError,
  memoryStore,
  QuotaExceededError,
  ServiceUnavailableError,
} from "@rephysco/core";
import { findSecret } from "@rephysco/testing";
import { describe, expect, it } from "vitest";
import { caught, collect, openaiClient, PNG, TEST_KEY, useMockServer } from "./helpers.js";

const ctx = useMockServer();

describe("LLMClient over OpenAI, end to end", () => {
  it("generates, sending the exact request and mapping usage", async () => {
    const { server } = ctx;
    server.enqueue({ text: "Hello there.", usage: { promptTokens: 11, completionTokens: 3 } });
    const { client } = openaiClient(server);
    const r = await client.generate("Hi", {
      systemPrompt: "Be brief.",
      temperature: 0.2,
      maxTokens: 50,
    });
    expect(r).toMatchObject({
      content: "Hello there.",
      provider: "openai",
      cached: false,
      finishReason: "stop",
    });
    expect(r.usage).toMatchObject({ promptTokens: 11, completionTokens: 3, totalTokens: 14 });
    const req = server.requests[0]!;
    expect(req.path).toBe("/v1/chat/completions");
    expect(req.headers.authorization).toBe(`Bearer ${TEST_KEY}`);
    expect(req.body).toMatchObject({
      model: "gpt-4o-mini",
      messages: [
        { role: "system", content: "Be brief." },
        { role: "user", content: "Hi" },
      ],
      temperature: 0.2,
      max_tokens: 50,
    });
  });

  it("streams text in order with usage on the last chunks", async () => {
    const { server } = ctx;
    server.enqueue({
      chunks: ["One", " two", " three"],
      usage: { promptTokens: 5, completionTokens: 3 },
    });
    const { client } = openaiClient(server);
    const { chunks, text } = await collect(client.stream("count"));
    expect(text).toBe("One two three");
    expect(chunks.some((c) => c.finishReason === "stop")).toBe(true);
    expect(chunks.find((c) => c.usage)?.usage).toMatchObject({
      promptTokens: 5,
      completionTokens: 3,
      totalTokens: 8,
    });
    expect(server.requests[0]!.body).toMatchObject({
      stream: true,
      stream_options: { include_usage: true },
    });
  });

  it("keeps a multi-turn conversation, system prompt first, streamed turns added on completion", async () => {
    const { server } = ctx;
    const { client } = openaiClient(server, { systemPrompt: "You are terse." });
    server.enqueue({ text: "Hi Ada." });
    await client.chat("I am Ada.");
    server.enqueue({ chunks: ["You", " are", " Ada."] });
    const { text } = await collect(client.chatStream("Who am I?"));
    expect(text).toBe("You are Ada.");
    expect(client.history).toEqual([
      { role: "system", content: "You are terse." },
      { role: "user", content: "I am Ada." },
      { role: "assistant", content: "Hi Ada." },
      { role: "user", content: "Who am I?" },
      { role: "assistant", content: "You are Ada." },
    ]);
    expect((server.requests[1]!.body as { messages: unknown[] }).messages).toEqual([
      { role: "system", content: "You are terse." },
      { role: "user", content: "I am Ada." },
      { role: "assistant", content: "Hi Ada." },
      { role: "user", content: "Who am I?" },
    ]);
    client.clearHistory();
    expect(client.history).toEqual([{ role: "system", content: "You are terse." }]);
    client.setSystemPrompt(undefined);
    expect(client.history).toEqual([]);
  });

  it("a failed chat turn leaves the history unchanged", async () => {
    const { server } = ctx;
    const { client } = openaiClient(server, { retry: false });
    server.enqueue({
      error: {
        status: 400,
        body: { error: { message: "bad", type: "invalid_request_error", param: null, code: null } },
      },
    });
    await expect(client.chat("hello")).rejects.toBeInstanceOf(InvalidRequestError);
    expect(client.history).toEqual([]);
  });

  it("sends images as image_url parts: bytes as a data URL with the sniffed type, URLs as they are", async () => {
    const { server } = ctx;
    const { client } = openaiClient(server);
    server.enqueue({ text: "a pixel" });
    await client.generate("What is this?", { images: [PNG, "https://example.com/cat.jpg"] });
    const content = (server.requests[0]!.body as { messages: { content: unknown }[] }).messages[0]!
      .content;
    expect(content).toEqual([
      { type: "text", text: "What is this?" },
      {
        type: "image_url",
        image_url: { url: `data:image/png;base64,${Buffer.from(PNG).toString("base64")}` },
      },
      { type: "image_url", image_url: { url: "https://example.com/cat.jpg" } },
    ]);
  });

  it("caches: a hit returns cached:true without an upstream call; cache:false and refresh bypass the read", async () => {
    const { server } = ctx;
    const { client, events } = openaiClient(server, { cache: memoryStore() });
    server.enqueue({ text: "first" });
    expect((await client.generate("same")).cached).toBe(false);
    const hit = await client.generate("same");
    expect(hit).toMatchObject({ content: "first", cached: true, provider: "openai" });
    expect(server.requests).toHaveLength(1);
    expect(events.filter((e) => e.type === "cache_hit")).toHaveLength(1);
    server.enqueue({ text: "second" });
    expect((await client.generate("same", { cache: false })).content).toBe("second");
    server.enqueue({ text: "third" });
    expect((await client.generate("same", { cache: "refresh" })).content).toBe("third");
    expect((await client.generate("same")).content).toBe("third");
    expect(server.requests).toHaveLength(3);
    server.enqueue({ text: "other params" });
    expect((await client.generate("same", { temperature: 1 })).content).toBe("other params");
  });

  it("replays a cached stream as a stream, and never stores a failed one", async () => {
    const { server } = ctx;
    const { client } = openaiClient(server, { cache: memoryStore(), retry: false });
    server.enqueue({ chunks: ["a", "b", "c"], resetAfterChunks: 2 });
    await expect(collect(client.stream("s"))).rejects.toBeInstanceOf(ServiceUnavailableError);
    server.enqueue({
      chunks: ["a", "b", "c"],
      reasoning: "hmm",
      usage: { promptTokens: 1, completionTokens: 3 },
    });
    const live = await collect(client.stream("s"));
    const replay = await collect(client.stream("s"));
    expect(server.requests).toHaveLength(2);
    expect(replay.text).toBe("abc");
    expect(replay.chunks.every((c) => c.cached)).toBe(true);
    // The same chunks; the replay's cost is 0 from the cache where the live one was priced.
    expect(replay.chunks.map(({ cached: _c, cost: _k, ...rest }) => rest)).toEqual(
      live.chunks.map(({ cost: _k, ...rest }) => rest),
    );
    expect(live.chunks.at(-1)!.cost?.source).toBe("prices");
    expect(replay.chunks.at(-1)!.cost).toMatchObject({ total: 0, source: "cache" });
    const asResponse = await client.generate("s");
    expect(asResponse).toMatchObject({ content: "abc", cached: true, finishReason: "stop" });
  });

  it("shares one upstream call between identical requests in flight", async () => {
    const { server } = ctx;
    const { client } = openaiClient(server, { cache: memoryStore() });
    server.enqueue({ text: "shared", delayMs: 100 });
    const results = await Promise.all(Array.from({ length: 8 }, () => client.generate("together")));
    expect(results.every((r) => r.content === "shared")).toBe(true);
    expect(server.requests).toHaveLength(1);
    server.enqueue({ chunks: ["x", "y"], firstChunkDelayMs: 100 });
    const streams = await Promise.all(
      Array.from({ length: 5 }, () => collect(client.stream("together-stream"))),
    );
    expect(streams.map((s) => s.text)).toEqual(["xy", "xy", "xy", "xy", "xy"]);
    expect(server.requests).toHaveLength(2);
  });

  it("a failing cache store never fails the request: it is reported and the request goes upstream", async () => {
    const { server } = ctx;
    const broken = {
      get: () => Promise.reject(new Error("ECONNREFUSED cache")),
      set: () => Promise.reject(new Error("ENOSPC: no space left on device")),
      delete: () => Promise.reject(new Error("down")),
    };
    const { client, events } = openaiClient(server, { cache: broken });
    server.enqueue({ text: "still answered" });
    expect((await client.generate("x")).content).toBe("still answered");
    server.enqueue({ chunks: ["streamed", " too"] });
    expect((await collect(client.stream("y"))).text).toBe("streamed too");
    const failures = events.flatMap((e) =>
      e.type === "cache_error" ? [`${e.operation}:${(e.error as Error).message}`] : [],
    );
    expect(failures).toEqual([
      "get:ECONNREFUSED cache",
      "set:ENOSPC: no space left on device",
      "get:ECONNREFUSED cache",
      "set:ENOSPC: no space left on device",
    ]);
  });

  it("a caller arriving after every waiter of a shared call aborted starts a fresh call", async () => {
    const { server } = ctx;
    const { client } = openaiClient(server, { cache: memoryStore() });
    server.enqueue([{ text: "abandoned", delayMs: 2_000 }, { text: "fresh" }]);
    const ac = new AbortController();
    const first = client.generate("race", { signal: ac.signal });
    while (server.requests.length < 1) await new Promise((r) => setTimeout(r, 5));
    ac.abort();
    await expect(first).rejects.toMatchObject({ name: "AbortError" });
    expect((await client.generate("race")).content).toBe("fresh");
    server.enqueue([
      { chunks: ["abandoned"], firstChunkDelayMs: 2_000 },
      { chunks: ["fresh", " stream"] },
    ]);
    const sac = new AbortController();
    const it = client.stream("race stream", { signal: sac.signal })[Symbol.asyncIterator]();
    const pending = it.next();
    while (server.requests.length < 3) await new Promise((r) => setTimeout(r, 5));
    sac.abort();
    await expect(pending).rejects.toMatchObject({ name: "AbortError" });
    expect((await collect(client.stream("race stream"))).text).toBe("fresh stream");
  });

  it("flush() waits for background cache writes; later calls hit even before the write lands", async () => {
    const { server } = ctx;
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const inner = memoryStore();
    const slow = {
      get: inner.get,
      delete: inner.delete,
      set: async (k: string, v: Parameters<typeof inner.set>[1], t?: number) => {
        await gate;
        return inner.set(k, v, t);
      },
    };
    const { client } = openaiClient(server, { cache: slow });
    server.enqueue({ text: "written later" });
    expect((await client.generate("slow store")).cached).toBe(false);
    expect(await client.generate("slow store")).toMatchObject({
      content: "written later",
      cached: true,
    });
    let flushed = false;
    const f = client.flush().then(() => {
      flushed = true;
    });
    await new Promise((r) => setImmediate(r));
    expect(flushed).toBe(false);
    release();
    await f;
    expect(inner.size).toBe(1);
    expect(server.requests).toHaveLength(1);
  });

  it("an error in a shared call reaches every waiter", async () => {
    const { server } = ctx;
    const { client } = openaiClient(server, { cache: memoryStore(), retry: false });
    server.enqueue({
      error: {
        status: 400,
        body: {
          error: { message: "nope", type: "invalid_request_error", param: null, code: null },
        },
      },
      delayMs: 50,
    });
    const settled = await Promise.allSettled(
      Array.from({ length: 4 }, () => client.generate("fails together")),
    );
    expect(
      settled.every((s) => s.status === "rejected" && s.reason instanceof InvalidRequestError),
    ).toBe(true);
    expect(server.requests).toHaveLength(1);
  });
});

describe("errors and retries over OpenAI", () => {
  it("retries a 429 with the wait each response asks for, then succeeds", async () => {
    const { server } = ctx;
    const { client, events } = openaiClient(server);
    const limited = (h: Record<string, string>) => ({
      error: {
        status: 429,
        headers: h,
        body: {
          error: {
            message: "Rate limit reached",
            type: "requests",
            param: null,
            code: "rate_limit_exceeded",
          },
        },
      },
    });
    server.enqueue([
      limited({ "retry-after-ms": "30" }),
      limited({ "retry-after": "0.05" }),
      { text: "ok" },
    ]);
    expect((await client.generate("x")).content).toBe("ok");
    expect(server.requests).toHaveLength(3);
    const waits = events.flatMap((e) => (e.type === "retry" ? [e.delayMs] : []));
    expect(waits).toEqual([30, 50]);
  });

  it("gives up after maxRetries with the last error, counting attempts", async () => {
    const { server } = ctx;
    const { client } = openaiClient(server, {
      retry: { maxRetries: 2, baseDelayMs: 1, jitter: 0 },
    });
    const err503 = {
      error: {
        status: 503,
        body: { error: { message: "overloaded", type: "server_error", param: null, code: null } },
      },
    };
    server.enqueue([err503, err503, err503, { text: "too late" }]);
    const e = await caught(() => client.generate("x"));
    expect(e).toBeInstanceOf(ServiceUnavailableError);
    expect(e.status).toBe(503);
    expect(server.requests).toHaveLength(3);
  });

  it("never retries authentication, invalid request, quota or content filter", async () => {
    const { server } = ctx;
    const { client } = openaiClient(server);
    const cases = [
      [
        {
          error: {
            status: 401,
            body: {
              error: {
                message: `Incorrect API key provided: ${TEST_KEY}.`,
                type: "invalid_request_error",
                param: null,
                code: "invalid_api_key",
              },
            },
          },
        },
        AuthenticationError,
      ],
      [
        {
          error: {
            status: 400,
            body: {
              error: { message: "bad", type: "invalid_request_error", param: "x", code: null },
            },
          },
        },
        InvalidRequestError,
      ],
      [
        {
          error: {
            status: 429,
            body: {
              error: {
                message: "You exceeded your current quota",
                type: "insufficient_quota",
                param: null,
                code: "insufficient_quota",
              },
            },
          },
        },
        QuotaExceededError,
      ],
      [{ text: "partial", finishReason: "content_filter" }, ContentFilterError],
    ] as const;
    for (const [reply, Cls] of cases) {
      server.reset();
      server.enqueue(reply);
      const e = await caught(() => client.generate("x"));
      expect(e).toBeInstanceOf(Cls);
      expect(server.requests).toHaveLength(1);
    }
  });

  it("keeps the API key out of messages, JSON and cause chains; keeps status, code and request id", async () => {
    const { server } = ctx;
    const { client } = openaiClient(server);
    server.enqueue({
      error: {
        status: 401,
        headers: { "x-request-id": "req_abc123" },
        body: {
          error: {
            message: `Incorrect API key provided: ${TEST_KEY}. You can find your API key at https://platform.openai.com/account/api-keys.`,
            type: "invalid_request_error",
            param: null,
            code: "invalid_api_key",
          },
        },
      },
    });
    const e = await caught(() => client.generate("x"));
    expect(e).toBeInstanceOf(AuthenticationError);
    expect(e).toMatchObject({
      status: 401,
      code: "invalid_api_key",
      requestId: "req_abc123",
      provider: "openai",
    });
    let text = `${e.message}\n${e.stack}\n${JSON.stringify(e)}`;
    for (let c: unknown = e.cause; c; c = (c as { cause?: unknown }).cause) {
      text += `\n${(c as Error).message}\n${(c as Error).stack}\n${JSON.stringify(c)}`;
    }
    expect(e.cause).toBeDefined();
    expect(text).not.toContain(TEST_KEY);
  });

  it("scrubs the exact key even when it matches no known key shape", async () => {
    const { server } = ctx;
    const plainKey = "plainkey0123456789XYZ";
    const { client } = openaiClient(server, { apiKey: plainKey });
    server.enqueue({
      error: {
        status: 401,
        body: {
          error: {
            message: `Incorrect API key provided: ${plainKey}.`,
            type: "invalid_request_error",
            param: null,
            code: "invalid_api_key",
          },
        },
      },
    });
    const e = await caught(() => client.generate("x"));
    expect(e).toBeInstanceOf(AuthenticationError);
    expect(findSecret(e, plainKey)).toBeUndefined();
    expect(e.message).toContain("[REDACTED]");
  });

  it("retry fields given as undefined keep their defaults", async () => {
    const { server } = ctx;
    const retries: number | undefined = undefined;
    const { client } = openaiClient(server, { retry: { maxRetries: retries, baseDelayMs: 1 } });
    const err503 = {
      error: {
        status: 503,
        body: { error: { message: "busy", type: "server_error", param: null, code: null } },
      },
    };
    server.enqueue([err503, err503, err503, { text: "fourth attempt" }]);
    expect((await client.generate("x")).content).toBe("fourth attempt");
    expect(server.requests).toHaveLength(4);
  });

  it("rejects bad input with typed errors before any request", async () => {
    const { server } = ctx;
    const { client } = openaiClient(server);
    await expect(client.generate("")).rejects.toBeInstanceOf(InvalidRequestError);
    await expect(client.generate([])).rejects.toThrow(/message list is empty/);
    // @ts-expect-error: wrong role on purpose
    await expect(client.generate([{ role: "robot", content: "x" }])).rejects.toThrow(
      /role must be one of/,
    );
    await expect(client.generate("x", { temperature: Number.NaN })).rejects.toThrow(/temperature/);
    await expect(client.generate("x", { maxTokens: 1.5 })).rejects.toThrow(/maxTokens/);
    await expect(client.generate("x", { images: ["/etc/passwd"] })).rejects.toThrow(
      /never reads local files/,
    );
    expect(server.requests).toHaveLength(0);
  });
});
