/**
 * The cache stage: reads (replaying a stored answer or stream in the shape the call wants),
 * write-behind, flush, and what is never stored. Clients here have no fallbacks or retries; a
 * listener only where a test reads cache events.
 */
import {
  type CacheEntry,
  type CacheStore,
  LLMClient,
  type LLMClientOptions,
  memoryStore,
  type RephyscoEvent,
  ServiceUnavailableError,
} from "@rephysco/core";
import { caught, createFakeProvider, drain, type FakeProvider } from "@rephysco/testing";
import { describe, expect, it, vi } from "vitest";
import { deferred, recordingStore } from "./support.js";

const usage = { promptTokens: 3, completionTokens: 2, totalTokens: 5 };

function client(
  fake: FakeProvider,
  cache: CacheStore,
  options: Partial<LLMClientOptions> = {},
): LLMClient {
  return new LLMClient({ provider: fake, retry: false, cache, ...options });
}

describe("cache stage: reads", () => {
  it("generate: a miss goes upstream, the identical call is a hit with the same answer", async () => {
    const fake = createFakeProvider({
      replies: [
        { text: "Hello", reasoning: "Think.", usage, model: "m-2", finishReason: "length" },
      ],
    });
    const c = client(fake, memoryStore());
    const first = await c.generate("Hi");
    const second = await c.generate("Hi");
    expect(fake.calls).toHaveLength(1);
    expect(first.cached).toBe(false);
    expect(second).toEqual({
      content: "Hello",
      reasoning: "Think.",
      model: "m-2",
      provider: "fake",
      usage,
      // The fake model has no price, but a hit spent nothing: 0 from the cache.
      cost: expect.objectContaining({ total: 0, source: "cache" }),
      finishReason: "length",
      cached: true,
    });
  });

  it("stream: the hit replays the same chunks, each marked cached", async () => {
    const fake = createFakeProvider({
      replies: [{ chunks: ["Hel", "lo"], reasoning: "Think.", usage, model: "m-2" }],
    });
    const c = client(fake, memoryStore());
    const first = await drain(c.stream("Hi"));
    const second = await drain(c.stream("Hi"));
    expect(fake.calls).toHaveLength(1);
    expect(second.error).toBeUndefined();
    const hitCost = expect.objectContaining({ total: 0, source: "cache" });
    expect(second.chunks).toEqual(
      first.chunks.map((chunk, i) => ({
        ...chunk,
        cached: true,
        ...(i === first.chunks.length - 1 && { cost: hitCost }),
      })),
    );
    expect(second.chunks.at(-1)).toMatchObject({ finishReason: "stop", usage, model: "m-2" });
  });

  it("a stored stream answers a generate, and a stored answer a stream", async () => {
    const fake = createFakeProvider({
      replies: [
        { chunks: ["Str", "eamed"], reasoning: "R.", usage, finishReason: "length" },
        { text: "Generated", usage },
      ],
    });
    const c = client(fake, memoryStore());
    await drain(c.stream("one"));
    expect(await c.generate("one")).toMatchObject({
      content: "Streamed",
      reasoning: "R.",
      usage,
      finishReason: "length",
      provider: "fake",
      cached: true,
    });
    await c.generate("two");
    const replay = await drain(c.stream("two"));
    expect(replay.text).toBe("Generated");
    expect(replay.chunks.every((chunk) => chunk.cached === true)).toBe(true);
    expect(replay.chunks.at(-1)).toMatchObject({ finishReason: "stop", usage });
    expect(fake.calls).toHaveLength(2);
  });

  it("cache: false neither reads nor writes; cache: refresh skips the read and writes the new answer", async () => {
    const store = recordingStore();
    const fake = createFakeProvider({
      replies: [{ text: "one" }, { text: "two" }, { text: "three" }],
    });
    const c = client(fake, store);
    await c.generate("Hi");
    await c.flush();
    const before = store.ops.length;
    expect((await c.generate("Hi", { cache: false })).content).toBe("two");
    await c.flush();
    expect(store.ops.length).toBe(before);
    const refreshed = await c.generate("Hi", { cache: "refresh" });
    expect(refreshed).toMatchObject({ content: "three", cached: false });
    await c.flush();
    expect(store.ops.slice(before).map((o) => o.op)).toEqual(["set"]);
    expect(await c.generate("Hi")).toMatchObject({ content: "three", cached: true });
  });

  it("an entry that is not a cache entry is a miss and is deleted", async () => {
    const store = recordingStore();
    const fake = createFakeProvider({ replies: [{ text: "fresh" }] });
    const c = client(fake, store);
    await c.generate("Hi");
    await c.flush();
    const key = store.ops.find((o) => o.op === "set")!.key;
    await store.inner.set(key, { v: 2, something: "else" } as unknown as CacheEntry);
    fake.enqueue({ text: "again" });
    expect(await c.generate("Hi")).toMatchObject({ content: "again", cached: false });
    expect(store.ops).toContainEqual({ op: "delete", key });
  });
});

describe("cache stage: writes", () => {
  it("passes the ttl (the call's, else the client's) to the store", async () => {
    const store = recordingStore();
    const fake = createFakeProvider();
    const c = client(fake, store, { cacheTtlMs: 1000 });
    await c.generate("a");
    await c.generate("b", { cacheTtlMs: 50 });
    await c.flush();
    const sets = store.ops.filter((o) => o.op === "set");
    expect(sets.map((o) => o.ttlMs)).toEqual([1000, 50]);
  });

  it("write-behind: a slow store never delays the caller, hits are served meanwhile, flush waits", async () => {
    const inner = memoryStore();
    const gate = deferred();
    let landed = false;
    const slow: CacheStore = {
      get: (key) => inner.get(key),
      delete: (key) => inner.delete(key),
      async set(key, value, ttlMs) {
        await gate.promise;
        await inner.set(key, value, ttlMs);
        landed = true;
      },
    };
    const fake = createFakeProvider({ replies: [{ text: "Hello", usage }] });
    const c = client(fake, slow);
    expect(await c.generate("Hi")).toMatchObject({ content: "Hello", cached: false });
    expect(await c.generate("Hi")).toMatchObject({ content: "Hello", cached: true, usage });
    expect(landed).toBe(false);
    expect(fake.calls).toHaveLength(1);
    const flushed = c.flush();
    gate.resolve();
    await flushed;
    expect(landed).toBe(true);
    expect(inner.size).toBe(1);
  });

  it("callers never share objects with the cache: changing an answer does not change the next hit", async () => {
    const fake = createFakeProvider({ replies: [{ text: "Hello", usage }] });
    const c = client(fake, memoryStore());
    const first = await c.generate("Hi");
    (first.usage as { totalTokens: number }).totalTokens = -1;
    const hit = await c.generate("Hi");
    expect(hit.usage).toEqual(usage);
    (hit.usage as { totalTokens: number }).totalTokens = -2;
    expect((await c.generate("Hi")).usage).toEqual(usage);
  });

  it("errors, and streams the caller stopped reading, are not stored", async () => {
    const store = memoryStore();
    const fake = createFakeProvider({
      replies: [
        { error: new ServiceUnavailableError("down", { provider: "fake" }) },
        { chunks: ["a", "b", "c"] },
      ],
    });
    const c = client(fake, store);
    await caught(() => c.generate("Hi"));
    for await (const _chunk of c.stream("Hi")) break;
    await c.flush();
    expect(store.size).toBe(0);
  });

  it("a failing store never fails a call: cache_error events, and the call goes upstream", async () => {
    const events: RephyscoEvent[] = [];
    const broken: CacheStore = {
      get: () => Promise.reject(new Error("get failed")),
      set: () => Promise.reject(new Error("set failed")),
      delete: () => Promise.resolve(),
    };
    const fake = createFakeProvider();
    const c = client(fake, broken, { onEvent: (e) => events.push(e) });
    expect((await c.generate("Hi")).content).toBe("Echo: Hi");
    await c.flush();
    expect((await drain(c.stream("Hi"))).text).toBe("Echo: Hi");
    await c.flush();
    const errors = events.filter((e) => e.type === "cache_error");
    expect(errors.map((e) => e.type === "cache_error" && e.operation)).toEqual([
      "get",
      "set",
      "get",
      "set",
    ]);
    expect(fake.calls).toHaveLength(2);
  });

  it("a failing store without a listener is one process warning, not one per call", async () => {
    const warn = vi.spyOn(process, "emitWarning").mockImplementation(() => {});
    try {
      const broken: CacheStore = {
        get: () => Promise.reject(new Error("get failed")),
        set: () => Promise.reject(new Error("set failed")),
        delete: () => Promise.resolve(),
      };
      const c = client(createFakeProvider(), broken);
      await c.generate("one");
      await c.generate("two");
      await c.flush();
      expect(warn).toHaveBeenCalledTimes(1);
      expect(String(warn.mock.calls[0]![0])).toContain("get failed");
    } finally {
      warn.mockRestore();
    }
  });
});

describe("cache stage: events", () => {
  it("reports a miss, then a hit, with the key and the mode", async () => {
    const events: RephyscoEvent[] = [];
    const c = client(createFakeProvider(), memoryStore(), { onEvent: (e) => events.push(e) });
    await c.generate("Hi");
    await drain(c.stream("Hi"));
    const cache = events.filter((e) => e.type === "cache_hit" || e.type === "cache_miss");
    expect(cache.map((e) => [e.type, "stream" in e && e.stream])).toEqual([
      ["cache_miss", false],
      ["cache_hit", true],
    ]);
    const keys = cache.map((e) => ("key" in e ? e.key : ""));
    expect(keys[0]).toMatch(/^[0-9a-f]{64}$/);
    expect(keys[1]).toBe(keys[0]);
    expect(events.filter((e) => e.type === "request")).toHaveLength(1);
  });
});
