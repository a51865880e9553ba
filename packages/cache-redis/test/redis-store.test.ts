import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { inspect, promisify } from "node:util";
import type { CacheEntry, CacheStore } from "@rephysco/core";
import { type RedisServer, startRedisServer } from "@rephysco/testing";
import { createClient } from "redis";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type RedisStore, redisStore } from "../src/index.js";

const run = promisify(execFile);
const packageDir = fileURLToPath(new URL("..", import.meta.url));
const childScript = fileURLToPath(new URL("./fixtures/child-store.mjs", import.meta.url));

const answer = (content: string): CacheEntry => ({
  v: 1,
  kind: "response",
  response: { content, model: "m-1", provider: "p", finishReason: "stop" },
});

const streamed: CacheEntry = {
  v: 1,
  kind: "parts",
  provider: "p",
  parts: [
    { type: "reasoning", text: "hmm" },
    { type: "text", text: "Hi" },
    {
      type: "finish",
      reason: "stop",
      usage: { promptTokens: 1, completionTokens: 1, totalTokens: 2 },
    },
  ],
};

let server: RedisServer;
let raw: ReturnType<typeof createClient>;
const stores: RedisStore[] = [];

function store(options?: Parameters<typeof redisStore>[1]): RedisStore {
  const s = redisStore({ url: server.url }, options);
  stores.push(s);
  return s;
}

beforeAll(async () => {
  server = await startRedisServer();
  raw = createClient({ url: server.url });
  raw.on("error", () => {});
  await raw.connect();
});

afterEach(async () => {
  await Promise.all(stores.splice(0).map((s) => s.close()));
  if (raw.isOpen) await raw.flushDb();
});

afterAll(async () => {
  if (raw?.isOpen) await raw.close();
  await server?.stop();
});

describe("redisStore", () => {
  it("misses, then hits with the exact entry, stored as JSON under the default prefix", async () => {
    const s = store();
    expect(await s.get("k1")).toBeUndefined();
    await s.set("k1", answer("hello"));
    await s.set("k2", streamed);
    expect(await s.get("k1")).toEqual(answer("hello"));
    expect(await s.get("k2")).toEqual(streamed);
    expect(JSON.parse((await raw.get("rephysco:k1")) ?? "null")).toEqual(answer("hello"));
    expect(await raw.exists("k1")).toBe(0);
  });

  it("concurrent first calls share the connection", async () => {
    const s = store();
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) => s.set(`c${i}`, answer(String(i)))),
    );
    expect(results).toHaveLength(8);
    const got = await Promise.all(Array.from({ length: 8 }, (_, i) => store().get(`c${i}`)));
    expect(got.map((g) => g?.kind === "response" && g.response.content)).toEqual([
      "0",
      "1",
      "2",
      "3",
      "4",
      "5",
      "6",
      "7",
    ]);
  });

  it("is a CacheStore", () => {
    const s: CacheStore = store();
    expect(typeof s.get).toBe("function");
  });

  it("keeps stores with different prefixes apart", async () => {
    const a = store({ prefix: "app-a:" });
    const b = store({ prefix: "app-b:" });
    await a.set("k", answer("from a"));
    expect(await b.get("k")).toBeUndefined();
    expect(await raw.keys("*")).toEqual(["app-a:k"]);
  });

  it("sets expiry in Redis with PX: the call's ttl, else the store's default, else none", async () => {
    const s = store({ ttlMs: 30_000 });
    await s.set("explicit", answer("e"), 120_000);
    await s.set("default", answer("d"));
    await store().set("forever", answer("f"));
    const explicit = await raw.pTTL("rephysco:explicit");
    const fallback = await raw.pTTL("rephysco:default");
    expect(explicit).toBeGreaterThan(30_000);
    expect(explicit).toBeLessThanOrEqual(120_000);
    expect(fallback).toBeGreaterThan(0);
    expect(fallback).toBeLessThanOrEqual(30_000);
    expect(await raw.pTTL("rephysco:forever")).toBe(-1);
  });

  it("does not serve an entry once Redis expired it", async () => {
    const s = store();
    await s.set("k", answer("brief"), 1);
    while ((await raw.exists("rephysco:k")) === 1) await new Promise((r) => setTimeout(r, 5));
    expect(await s.get("k")).toBeUndefined();
  });

  it("a value that is not a cache entry is a miss and is removed", async () => {
    const s = store();
    await raw.set("rephysco:bad-json", "{ not json");
    await raw.set("rephysco:not-entry", JSON.stringify({ v: 9 }));
    for (const key of ["bad-json", "not-entry"]) {
      expect(await s.get(key)).toBeUndefined();
      expect(await raw.exists(`rephysco:${key}`)).toBe(0);
    }
  });

  it("delete removes one key", async () => {
    const s = store();
    await s.set("k", answer("x"));
    expect(await s.delete("k")).toBe(true);
    expect(await s.delete("k")).toBe(false);
    expect(await s.get("k")).toBeUndefined();
  });

  it("clear removes only the keys under its prefix, read literally (glob characters escaped)", async () => {
    const s = store({ prefix: "a*:" });
    for (let i = 0; i < 1200; i++) await s.set(`k${i}`, answer(String(i)));
    await raw.set("ab:other", "kept");
    await raw.set("unrelated", "kept");
    expect(await s.clear()).toBe(1200);
    expect((await raw.keys("*")).sort()).toEqual(["ab:other", "unrelated"]);
  });

  it("refuses to clear with an empty prefix", async () => {
    const s = store({ prefix: "" });
    await s.set("k", answer("x"));
    await expect(s.clear()).rejects.toThrow(/non-empty prefix/);
    expect(await raw.exists("k")).toBe(1);
  });

  it("uses a client it is given, and leaves it open on close", async () => {
    const client = createClient({ url: server.url });
    client.on("error", () => {});
    await client.connect();
    try {
      const s = redisStore({ client }, { prefix: "mine:" });
      await s.set("k", answer("given"));
      expect(await s.get("k")).toEqual(answer("given"));
      await s.close();
      expect(client.isOpen).toBe(true);
      expect(await client.get("mine:k")).toContain("given");
      await expect(s.get("k")).rejects.toThrow(/closed/);
    } finally {
      await client.close();
    }
  });

  it("close quits the client it created, and is idempotent", async () => {
    const s = store();
    await s.set("k", answer("x"));
    const before = Number((await raw.clientList()).length);
    await s.close();
    await s.close();
    expect((await raw.clientList()).length).toBe(before - 1);
    await expect(s.get("k")).rejects.toThrow(/closed/);
  });

  it("two processes share hits", async () => {
    // Needs the built package: the child imports @rephysco/cache-redis from dist.
    const s = store({ prefix: "shared:" });
    await s.set("from-parent", answer("written by the test process"));
    const child = async (...args: string[]) =>
      JSON.parse(
        (
          await run(process.execPath, [childScript, server.url, "shared:", ...args], {
            cwd: packageDir,
          })
        ).stdout,
      );
    expect(await child("get", "from-parent")).toEqual({
      entry: answer("written by the test process"),
    });
    expect(await child("set", "from-child", "written by the child")).toEqual({ ok: true });
    expect(await s.get("from-child")).toMatchObject({
      response: { content: "written by the child" },
    });
    expect(await child("get", "missing")).toEqual({ entry: null });
  }, 30_000);

  it("an invalid URL is a TypeError that does not carry the URL (it may hold a password)", async () => {
    let error: unknown;
    try {
      const s = redisStore({ url: "redis://:hunter2-secret@[bad" });
      stores.push(s);
      await s.get("k");
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(TypeError);
    expect(inspect(error, { depth: Number.POSITIVE_INFINITY })).not.toContain("hunter2");
  });

  it("an unreachable Redis makes calls reject, and its error names no password", async () => {
    const down = await startRedisServer();
    const { port } = down;
    await down.stop();
    const s = redisStore({ url: `redis://:hunter2-secret@127.0.0.1:${port}` });
    stores.push(s);
    const error = await s.get("k").then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(error).toBeInstanceOf(Error);
    expect(error?.message).toMatch(/unreachable/);
    expect(JSON.stringify({ m: error?.message, s: error?.stack })).not.toContain("hunter2");
    await expect(s.set("k", answer("x"))).rejects.toThrow(/unreachable/);
  });
});

describe("redisStore when Redis stops mid-run", () => {
  const unhandled: unknown[] = [];
  const onUnhandled = (e: unknown) => unhandled.push(e);

  beforeAll(() => {
    process.on("unhandledRejection", onUnhandled);
    process.on("uncaughtException", onUnhandled);
  });

  afterAll(() => {
    process.off("unhandledRejection", onUnhandled);
    process.off("uncaughtException", onUnhandled);
  });

  it("get and set reject (no hang), nothing goes unhandled, and the store recovers when Redis is back", async () => {
    const own = await startRedisServer();
    try {
      const s = store();
      const sOther = redisStore({ url: own.url });
      stores.push(sOther);
      await sOther.set("k", answer("before"));
      expect(await sOther.get("k")).toEqual(answer("before"));

      await own.stop();
      await expect(sOther.get("k")).rejects.toBeInstanceOf(Error);
      await expect(sOther.set("k", answer("during"))).rejects.toBeInstanceOf(Error);
      await expect(sOther.delete("k")).rejects.toBeInstanceOf(Error);
      // Concurrent callers all get their rejection too.
      const many = await Promise.allSettled(Array.from({ length: 5 }, () => sOther.get("k")));
      expect(many.map((r) => r.status)).toEqual(Array(5).fill("rejected"));

      const again = await startRedisServer({ port: own.port });
      try {
        // Calls made while the client is still between reconnection attempts reject at once
        // (no offline queue); one of the next calls gets through.
        let recovered = false;
        for (let i = 0; i < 200 && !recovered; i++) {
          recovered = await sOther.set("k", answer("after")).then(
            () => true,
            () => new Promise<boolean>((r) => setTimeout(() => r(false), 20)),
          );
        }
        expect(recovered).toBe(true);
        expect(await sOther.get("k")).toEqual(answer("after"));
      } finally {
        await sOther.close();
        await again.stop();
      }
      // The other store, on the shared server, never noticed.
      await s.set("k", answer("unaffected"));
      expect(await s.get("k")).toEqual(answer("unaffected"));
    } finally {
      await own.stop();
    }
    expect(unhandled).toEqual([]);
  });

  it("a Redis that stops answering makes commands reject after the command timeout", async () => {
    const own = await startRedisServer();
    const s = redisStore({ url: own.url }, { commandTimeoutMs: 200 });
    stores.push(s);
    try {
      await s.set("k", answer("x"));
      own.pause();
      await expect(s.get("k")).rejects.toBeInstanceOf(Error);
      await expect(s.set("k", answer("y"))).rejects.toBeInstanceOf(Error);
      own.resume();
    } finally {
      await own.stop();
    }
    expect(unhandled).toEqual([]);
  });
});
