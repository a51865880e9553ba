import { mkdtempSync, readdirSync, readFileSync, statSync } from "node:fs";
import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { redisStore } from "@rephysco/cache-redis";
import {
  type CacheStore,
  fileStore,
  type GenerateOptions,
  type RephyscoEvent,
} from "@rephysco/core";
import { type RedisServer, startRedisServer } from "@rephysco/testing";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { collect, flushClients, openaiClient, PNG, TEST_KEY, useMockServer } from "./helpers.js";

// Caching through LLMClient end to end: the disk store behind `cache: true`, what the key is made
// of, that no API key is ever stored, stream replay, in-flight sharing, and Redis shared by clients.

const ctx = useMockServer();

let dir: string;
let savedEnv: string | undefined;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "rephysco-cache-e2e-"));
  savedEnv = process.env.REPHYSCO_CACHE_DIR;
  process.env.REPHYSCO_CACHE_DIR = dir;
});

afterEach(async () => {
  // Answers are written in the background: let every write land before removing the directory.
  await flushClients();
  if (savedEnv === undefined) delete process.env.REPHYSCO_CACHE_DIR;
  else process.env.REPHYSCO_CACHE_DIR = savedEnv;
  await rm(dir, { recursive: true, force: true });
});

const keysOf = (events: RephyscoEvent[], type: "cache_hit" | "cache_miss") =>
  events.flatMap((e) => (e.type === type ? [e.key] : []));

/** Every file under `root`, with its bytes as latin1 text (so any byte sequence can be searched). */
function filesUnder(root: string): { path: string; text: string; mode: number }[] {
  return readdirSync(root, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => {
      const path = join(e.parentPath, e.name);
      return { path, text: readFileSync(path, "latin1"), mode: statSync(path).mode & 0o777 };
    });
}

describe("cache: true", () => {
  it("stores answers on disk under REPHYSCO_CACHE_DIR, shared by every client of the directory", async () => {
    const { server } = ctx;
    server.enqueue({ text: "from disk", usage: { promptTokens: 4, completionTokens: 2 } });
    const a = openaiClient(server, { cache: true });
    const first = await a.client.generate("What is on disk?");
    expect(first).toMatchObject({ content: "from disk", cached: false });
    await a.client.flush();

    const b = openaiClient(server, { cache: true });
    const again = await b.client.generate("What is on disk?");
    expect(again).toMatchObject({ content: "from disk", cached: true, finishReason: "stop" });
    expect(again.usage).toEqual(first.usage);
    expect(server.requests).toHaveLength(1);

    const [key] = keysOf(a.events, "cache_miss");
    expect(key).toMatch(/^[0-9a-f]{64}$/);
    expect(await fileStore({ dir }).get(key!)).toMatchObject({
      kind: "response",
      response: { content: "from disk" },
    });
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    const files = filesUnder(dir);
    expect(files.length).toBeGreaterThan(0);
    expect(files.every((f) => f.mode === 0o600)).toBe(true);
  });

  it("never stores the API key, in keys or values, for answers, streams and images", async () => {
    const { server } = ctx;
    const { client, events } = openaiClient(server, { cache: true });
    server.enqueue({ text: "plain" });
    await client.generate("first question");
    server.enqueue({
      chunks: ["stre", "amed"],
      reasoning: "thought",
      usage: { promptTokens: 1, completionTokens: 2 },
    });
    await collect(client.stream("second question"));
    server.enqueue({ text: "a picture" });
    await client.generate("look", { images: [PNG], systemPrompt: "You see." });
    expect(keysOf(events, "cache_miss")).toHaveLength(3);
    await client.flush();

    const files = filesUnder(dir);
    const all = files.map((f) => f.text).join("\n");
    expect(all).toContain("amed");
    expect(all).toContain("a picture");
    expect(all).not.toContain(TEST_KEY);
    expect(all).not.toContain(TEST_KEY.slice(3));
    expect(all).not.toContain(Buffer.from(TEST_KEY).toString("base64"));
    // Image bytes are hashed into the key, not stored.
    expect(all).not.toContain(Buffer.from(PNG).toString("base64"));
  });
});

describe("the cache key", () => {
  it("changes with every generation parameter, the messages, the model, the base URL and the key; not with timeouts or signals", async () => {
    const { server } = ctx;
    const store = fileStore({ dir });
    const base = openaiClient(server, { cache: store });
    const ask = async (client: typeof base, options: GenerateOptions = {}, prompt = "q") => {
      server.enqueue({ text: `answer ${server.requests.length}` });
      const r = await client.client.generate(prompt, options);
      await client.client.flush();
      return r;
    };
    const first = await ask(base);
    expect(first.cached).toBe(false);

    const otherPng = Uint8Array.from(PNG);
    otherPng[otherPng.length - 13] = (otherPng[otherPng.length - 13]! + 1) % 256;
    const variants: [string, () => Promise<{ cached: boolean }>][] = [
      ["prompt", () => ask(base, {}, "q2")],
      ["system prompt", () => ask(base, { systemPrompt: "Be brief." })],
      ["model", () => ask(base, { model: "gpt-4o" })],
      ["temperature", () => ask(base, { temperature: 0.3 })],
      ["temperature 0", () => ask(base, { temperature: 0 })],
      ["maxTokens", () => ask(base, { maxTokens: 7 })],
      ["topP", () => ask(base, { topP: 0.5 })],
      ["stop", () => ask(base, { stop: ["\n"] })],
      ["providerOptions", () => ask(base, { providerOptions: { seed: 42 } })],
      ["an image", () => ask(base, { images: [PNG] })],
      ["other image bytes", () => ask(base, { images: [otherPng] })],
      ["an image URL", () => ask(base, { images: ["https://example.com/cat.png"] })],
      [
        "base URL",
        () => ask(openaiClient(server, { cache: store, baseURL: `${server.url}/proxy/v1` })),
      ],
      [
        "API key",
        () => ask(openaiClient(server, { cache: store, apiKey: "sk-another-account-0123456789" })),
      ],
      ["client model", () => ask(openaiClient(server, { cache: store, model: "gpt-4.1-mini" }))],
    ];
    for (const [name, run] of variants) {
      const before = server.requests.length;
      const r = await run();
      expect({ name, cached: r.cached, upstream: server.requests.length - before }).toEqual({
        name,
        cached: false,
        upstream: 1,
      });
    }

    const unchanged: [string, GenerateOptions][] = [
      ["timeoutMs", { timeoutMs: 60_000 }],
      ["firstChunkTimeoutMs", { firstChunkTimeoutMs: 30_000 }],
      ["idleTimeoutMs", { idleTimeoutMs: 30_000 }],
      ["signal", { signal: new AbortController().signal }],
      ["cacheTtlMs", { cacheTtlMs: 3_600_000 }],
    ];
    for (const [name, options] of unchanged) {
      const r = await base.client.generate("q", options);
      expect({ name, cached: r.cached, content: r.content }).toEqual({
        name,
        cached: true,
        content: first.content,
      });
    }
    // A second client with the same settings and key reads the same entries.
    expect((await openaiClient(server, { cache: store }).client.generate("q")).cached).toBe(true);
    expect(
      (await openaiClient(server, { cache: store }).client.generate("q", { temperature: 0.3 }))
        .cached,
    ).toBe(true);

    const misses = keysOf(base.events, "cache_miss");
    expect(new Set(misses).size).toBe(misses.length);
  });
});

describe("cached streams", () => {
  it("a completed stream is stored and replayed from disk as the same chunks", async () => {
    const { server } = ctx;
    server.enqueue({
      chunks: ["The ", "answer ", "is 4."],
      usage: { promptTokens: 9, completionTokens: 5 },
    });
    const writer = openaiClient(server, { cache: true }).client;
    const live = await collect(writer.stream("2+2?"));
    await writer.flush();
    expect(live.text).toBe("The answer is 4.");
    expect(live.chunks.every((c) => !c.cached)).toBe(true);

    // A fresh client and store instance: the replay comes from what was written to disk.
    const { client, events } = openaiClient(server, { cache: fileStore({ dir }) });
    const replay = await collect(client.stream("2+2?"));
    expect(server.requests).toHaveLength(1);
    expect(replay.chunks.every((c) => c.cached === true)).toBe(true);
    // The same chunks, but the replay spent nothing: its cost is 0 from the cache.
    expect(replay.chunks.map(({ cached: _c, cost: _k, ...rest }) => rest)).toEqual(
      live.chunks.map(({ cached: _c, cost: _k, ...rest }) => rest),
    );
    expect(replay.chunks.at(-1)).toMatchObject({
      finishReason: "stop",
      cost: { total: 0, source: "cache" },
    });
    expect(replay.chunks.find((c) => c.usage)?.usage).toMatchObject({
      promptTokens: 9,
      completionTokens: 5,
    });
    expect(events.filter((e) => e.type === "cache_hit")).toHaveLength(1);
  });

  it("a stream that failed or was aborted is not stored", async () => {
    const { server } = ctx;
    const { client } = openaiClient(server, { cache: true, retry: false });
    server.enqueue({ chunks: ["par", "tial", " text"], resetAfterChunks: 2 });
    await expect(collect(client.stream("cut"))).rejects.toThrow();

    server.enqueue({ chunks: ["one", " two", " three"], chunkDelayMs: 30 });
    const controller = new AbortController();
    await expect(
      (async () => {
        for await (const _chunk of client.stream("aborted", { signal: controller.signal }))
          controller.abort();
      })(),
    ).rejects.toThrow();

    server.enqueue({ text: "cut, fresh" });
    server.enqueue({ text: "aborted, fresh" });
    expect(await client.generate("cut")).toMatchObject({ content: "cut, fresh", cached: false });
    expect(await client.generate("aborted")).toMatchObject({
      content: "aborted, fresh",
      cached: false,
    });
    expect(server.requests).toHaveLength(4);
  });
});

describe("in-flight sharing with the disk store", () => {
  it("N concurrent identical calls make one upstream request, for generate and for stream", async () => {
    const { server } = ctx;
    const { client } = openaiClient(server, { cache: true });
    server.enqueue({ text: "one for all", delayMs: 150 });
    const answers = await Promise.all(
      Array.from({ length: 6 }, () => client.generate("same time")),
    );
    expect(answers.map((a) => a.content)).toEqual(Array(6).fill("one for all"));
    expect(server.requests).toHaveLength(1);

    server.enqueue({ chunks: ["stream", "ed"], firstChunkDelayMs: 150 });
    const streams = await Promise.all(
      Array.from({ length: 4 }, () => collect(client.stream("same stream"))),
    );
    expect(streams.map((s) => s.text)).toEqual(Array(4).fill("streamed"));
    expect(server.requests).toHaveLength(2);

    // Afterwards both are plain disk hits.
    expect(await client.generate("same time")).toMatchObject({ cached: true });
    expect((await collect(client.stream("same stream"))).chunks.every((c) => c.cached)).toBe(true);
    expect(server.requests).toHaveLength(2);
  });
});

describe("Redis shared by clients", () => {
  let redis: RedisServer;
  const stores: { close(): Promise<void> }[] = [];
  const store = (): CacheStore & { close(): Promise<void> } => {
    const s = redisStore({ url: redis.url }, { prefix: "e2e:" });
    stores.push(s);
    return s;
  };

  beforeAll(async () => {
    redis = await startRedisServer();
  });

  afterEach(async () => {
    await Promise.all(stores.splice(0).map((s) => s.close()));
  });

  afterAll(async () => {
    await redis?.stop();
  });

  it("a second client with its own store answers from what the first stored", async () => {
    const { server } = ctx;
    const a = openaiClient(server, { cache: store() });
    const b = openaiClient(server, { cache: store() });
    server.enqueue({ text: "via redis" });
    expect(await a.client.generate("shared?")).toMatchObject({ cached: false });
    await a.client.flush();
    expect(await b.client.generate("shared?")).toMatchObject({
      content: "via redis",
      cached: true,
    });
    server.enqueue({ chunks: ["red", "is"] });
    await collect(a.client.stream("shared stream?"));
    await a.client.flush();
    const replay = await collect(b.client.stream("shared stream?"));
    expect(replay.text).toBe("redis");
    expect(replay.chunks.every((c) => c.cached)).toBe(true);
    expect(server.requests).toHaveLength(2);

    const inspect = store();
    const values = await Promise.all(
      keysOf(a.events, "cache_miss").map(async (k) => JSON.stringify(await inspect.get(k))),
    );
    expect(values.join("")).toContain("via redis");
    expect(values.join("")).not.toContain(TEST_KEY);
  });

  it("with Redis stopped mid-run, requests still succeed and the failure is reported", async () => {
    const { server } = ctx;
    const own = await startRedisServer();
    const s = redisStore({ url: own.url });
    stores.push(s);
    const { client, events } = openaiClient(server, { cache: s });
    server.enqueue({ text: "cached before" });
    await client.generate("before");
    await client.flush();
    expect(await client.generate("before")).toMatchObject({ cached: true });
    await own.stop();
    server.enqueue({ text: "upstream while down" });
    expect(await client.generate("before")).toMatchObject({
      content: "upstream while down",
      cached: false,
    });
    server.enqueue({ chunks: ["still ", "streams"] });
    expect((await collect(client.stream("during"))).text).toBe("still streams");
    // Writes are in the background: wait for them to fail and be reported.
    await client.flush();
    const ops = events.flatMap((e) => (e.type === "cache_error" ? [e.operation] : []));
    expect(ops).toEqual(["get", "set", "get", "set"]);
  });
});
