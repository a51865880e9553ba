import { execFile } from "node:child_process";
import { createServer, type Socket, connect as tcpConnect } from "node:net";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import {
  LLMClient,
  RateLimitError,
  type RephyscoEvent,
  ServiceUnavailableError,
} from "@rephysco/core";
import "@rephysco/openai";
import {
  caught,
  createFakeProvider,
  createMockServer,
  type MockServer,
  type RedisServer,
  startRedisServer,
} from "@rephysco/testing";
import { createClient } from "redis";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type LimitStore, limits, type RedisLimitStore, redisLimitStore } from "../src/index.js";
import { clientWith, maxInSpan, sleep } from "./helpers.js";

const run = promisify(execFile);
const packageDir = fileURLToPath(new URL("..", import.meta.url));
const childScript = fileURLToPath(new URL("./fixtures/child-client.mjs", import.meta.url));

let server: RedisServer;
let mock: MockServer;
const stores: RedisLimitStore[] = [];
let prefixes = 0;

function store(options: Parameters<typeof redisLimitStore>[1] = {}, url = server.url) {
  const s = redisLimitStore({ url }, { prefix: `t${++prefixes}:`, ...options });
  stores.push(s);
  return s;
}

const ofType = <T extends RephyscoEvent["type"]>(events: RephyscoEvent[], type: T) =>
  events.filter((e): e is Extract<RephyscoEvent, { type: T }> => e.type === type);

beforeAll(async () => {
  server = await startRedisServer();
  mock = await createMockServer();
});

afterEach(async () => {
  await Promise.all(stores.splice(0).map((s) => s.close()));
  mock.reset();
});

afterAll(async () => {
  await mock?.close();
  await server?.stop();
});

describe("limits on Redis", () => {
  it("two processes' worth of clients (two connections) share one window", async () => {
    const prefix = `shared${++prefixes}:`;
    const rule = { requests: 3, windowMs: 400, per: "global" as const };
    // Admissions on Redis's clock (the `now` of each admitting acquire): exact under any load.
    const admitted: number[] = [];
    const recorded = (s: RedisLimitStore): LimitStore => ({
      remote: true,
      acquire: async (r) => {
        const result = await s.acquire(r);
        if (result.ok) admitted.push(result.now);
        return result;
      },
      settle: (r) => s.settle(r),
      cooldown: (k, d) => s.cooldown(k, d),
    });
    const a = clientWith(
      createFakeProvider(),
      limits({ store: recorded(store({ prefix })), rateLimits: [rule] }),
    );
    const b = clientWith(
      createFakeProvider({ name: "other" }),
      limits({ store: recorded(store({ prefix })), rateLimits: [rule] }),
    );
    await Promise.all([
      ...Array.from({ length: 6 }, () => a.client.generate("hi")),
      ...Array.from({ length: 6 }, () => b.client.generate("hi")),
    ]);
    expect([...a.events, ...b.events].filter((e) => e.type === "limit_error")).toEqual([]);
    expect(admitted).toHaveLength(12);
    expect(maxInSpan(admitted, 400)).toBeLessThanOrEqual(3);
    expect(Math.max(...admitted) - Math.min(...admitted)).toBeGreaterThanOrEqual(400);
  });

  it("N processes sharing one limit never exceed it (counted at the mock server)", async () => {
    const arrivals: number[] = [];
    mock.reset();
    const local = await createMockServer({
      defaultReply: (req) => {
        if (!JSON.stringify(req.body).includes("warmup")) arrivals.push(performance.now());
        return { text: "ok" };
      },
    });
    try {
      const prefix = `fleet${++prefixes}:`;
      const outs = await Promise.all(
        [1, 2, 3].map(() =>
          run(
            process.execPath,
            [childScript, server.url, local.url, prefix, "rate", "4", "sk-fleet"],
            {
              cwd: packageDir,
            },
          ),
        ),
      );
      const parsed = outs.map(
        (o) => JSON.parse(o.stdout) as { results: string[]; events: string[] },
      );
      expect(parsed.flatMap((p) => p.results)).toEqual(Array(12).fill("ok"));
      expect(parsed.flatMap((p) => p.events).filter((e) => e === "limit_error")).toEqual([]);
      // When each process sent its requests (the `request` event, right after admission).
      const sent = parsed.flatMap((p) =>
        p.events.filter((e) => e.startsWith("request@")).map((e) => Number(e.slice(8))),
      );
      expect(sent).toHaveLength(12);
      // Sent (after admission) and arrival times are this machine's, a moment after Redis's
      // admissions, differently per request: generous margins (the exact check on Redis's own
      // clock is in fleet.test.ts). Four in 1000 ms are only exceeded if a delay varies by 400 ms.
      expect(maxInSpan(sent, 600)).toBeLessThanOrEqual(4);
      expect(arrivals).toHaveLength(12);
      expect(maxInSpan(arrivals, 600)).toBeLessThanOrEqual(4);
      // And they had to wait: 12 at 4 per second need three windows.
      expect(Math.max(...arrivals) - Math.min(...arrivals)).toBeGreaterThanOrEqual(1500);
    } finally {
      await local.close();
    }
  }, 60_000);

  it("a budget shared by two processes stops both at the cap", async () => {
    const local = await createMockServer({
      // Usage equal to the reservation (estimate 6 + maxTokens 10): exactly 8 fit in 128.
      defaultReply: { text: "ok", usage: { promptTokens: 6, completionTokens: 10 } },
    });
    try {
      const prefix = `budget${++prefixes}:`;
      const outs = await Promise.all(
        [1, 2].map(() =>
          run(
            process.execPath,
            [childScript, server.url, local.url, prefix, "budget", "12", "sk-b"],
            {
              cwd: packageDir,
            },
          ),
        ),
      );
      const results = outs.map((o) => (JSON.parse(o.stdout) as { results: string[] }).results);
      const all = results.flat();
      expect(all.filter((r) => r === "ok")).toHaveLength(8);
      expect(all.filter((r) => r === "BudgetExceededError:budget_exceeded")).toHaveLength(16);
      expect(local.requests.filter((r) => !JSON.stringify(r.body).includes("warmup"))).toHaveLength(
        8,
      );
      // Each process tried more than the cap: both were stopped.
      for (const r of results) expect(r).toContain("BudgetExceededError:budget_exceeded");
    } finally {
      await local.close();
    }
  }, 60_000);

  it("a cool-down from a real 429 with Retry-After is honoured by another process; other accounts go on", async () => {
    const prefix = `cd${++prefixes}:`;
    mock.enqueue({
      error: {
        status: 429,
        headers: { "retry-after": "10" },
        body: {
          error: { message: "Rate limit reached", type: "requests", code: "rate_limit_exceeded" },
        },
      },
    });
    const events: RephyscoEvent[] = [];
    const mw = limits({ store: store({ prefix }) });
    const client = new LLMClient({
      provider: "openai",
      apiKey: "sk-cooled",
      baseURL: `${mock.url}/v1`,
      model: "gpt-4o-mini",
      retry: false,
      middleware: [mw],
      onEvent: (e) => events.push(e),
    });
    const t = Date.now();
    const error = await caught(() => client.generate("hi"));
    expect(error).toBeInstanceOf(RateLimitError);
    expect(error.retryAfterMs).toBe(10_000);
    // The shared cool-down is written (and reported) off the caller's path; close() waits for it.
    await mw.close();
    const [cd] = ofType(events, "cooldown");
    expect(cd).toMatchObject({ provider: "openai", model: "gpt-4o-mini", scope: "model" });
    expect(cd!.until).toBeGreaterThanOrEqual(t + 10_000);
    expect(mock.requests).toHaveLength(1);

    // Another process, same account: refused locally, nothing sent.
    const same = await run(
      process.execPath,
      [childScript, server.url, mock.url, prefix, "cooldown", "3", "sk-cooled"],
      { cwd: packageDir },
    );
    expect(JSON.parse(same.stdout).results).toEqual(Array(3).fill("RateLimitError:cooldown"));
    const counted = () => mock.requests.filter((r) => !JSON.stringify(r.body).includes("warmup"));
    expect(counted()).toHaveLength(1);
    // Another account (another key) is not cooled down.
    const other = await run(
      process.execPath,
      [childScript, server.url, mock.url, prefix, "cooldown", "2", "sk-other"],
      { cwd: packageDir },
    );
    expect(JSON.parse(other.stdout).results).toEqual(["ok", "ok"]);
    expect(counted()).toHaveLength(3);
  }, 60_000);

  it("a client you pass is used as is", async () => {
    const raw = createClient({ url: server.url });
    raw.on("error", () => {});
    await raw.connect();
    try {
      const s = redisLimitStore({ client: raw }, { prefix: `own${++prefixes}:` });
      const fake = createFakeProvider();
      const { client } = clientWith(
        fake,
        limits({ store: s, onLimit: "fail", rateLimits: [{ requests: 1 }] }),
      );
      await client.generate("a");
      expect((await caught(() => client.generate("b"))).reason).toBe("local_rate_limit");
      await s.close();
      expect(raw.isOpen).toBe(true);
      // Keys are hashes under the prefix: no model name, tag or key in them.
      const keys = await raw.keys(`${s.prefix}*`);
      expect(keys.length).toBeGreaterThan(0);
      for (const k of keys) expect(k).not.toContain("fake-model");
    } finally {
      await raw.close();
    }
  });
});

describe("when Redis fails", () => {
  it("Redis stopped mid-run: requests go on under local limits, with limit_error events", async () => {
    const own = await startRedisServer();
    try {
      const s = store({}, own.url);
      const fake = createFakeProvider({
        defaultReply: {
          text: "ok",
          usage: { promptTokens: 1, completionTokens: 1, totalTokens: 2 },
        },
      });
      const { client, events } = clientWith(
        fake,
        limits({
          store: s,
          onLimit: "fail",
          rateLimits: [{ requests: 3, windowMs: 60_000 }],
          budgets: [{ name: "b", tokens: 100_000 }],
          budgetsOnStoreFailure: "local",
        }),
      );
      await client.generate("a");
      expect(ofType(events, "limit_error")).toHaveLength(0);
      await own.stop();
      const t = Date.now();
      await client.generate("b");
      await client.generate("c");
      expect(Date.now() - t).toBeLessThan(3000);
      const errors = ofType(events, "limit_error");
      expect(errors.length).toBeGreaterThanOrEqual(2);
      expect(errors[0]).toMatchObject({ operation: "acquire", fallback: "local" });
      // The local limits apply meanwhile (b, c and d fill the local window of 3).
      await client.generate("d");
      expect((await caught(() => client.generate("f"))).reason).toBe("local_rate_limit");
    } finally {
      await own.stop();
    }
  });

  it("Redis that stops answering costs a request at most the command deadline", async () => {
    const own = await startRedisServer();
    try {
      const s = store({ commandTimeoutMs: 200 }, own.url);
      const fake = createFakeProvider();
      const { client, events } = clientWith(
        fake,
        limits({ store: s, rateLimits: [{ requests: 100 }] }),
      );
      await client.generate("a");
      own.pause();
      const t = Date.now();
      await client.generate("b");
      expect(Date.now() - t).toBeLessThan(1500);
      expect(ofType(events, "limit_error")[0]).toMatchObject({
        operation: "acquire",
        fallback: "local",
      });
      own.resume();
      // Redis is used again: within a few calls (the connection comes back in the background),
      // one goes through without a limit_error.
      let usedRedis = false;
      for (let i = 0; i < 40 && !usedRedis; i++) {
        const before = ofType(events, "limit_error").length;
        await client.generate("c");
        usedRedis = ofType(events, "limit_error").length === before;
        if (!usedRedis) await sleep(100);
      }
      expect(usedRedis).toBe(true);
    } finally {
      own.resume();
      await own.stop();
    }
  });

  it("failClosed refuses with limits_unavailable", async () => {
    const own = await startRedisServer();
    const s = store({ failClosed: true }, own.url);
    const fake = createFakeProvider();
    const { client, events } = clientWith(
      fake,
      limits({ store: s, rateLimits: [{ requests: 100 }] }),
    );
    await client.generate("a");
    await own.stop();
    const error = await caught(() => client.generate("b"));
    expect(error).toBeInstanceOf(ServiceUnavailableError);
    expect(error.reason).toBe("limits_unavailable");
    expect(error.retryable).toBe(false);
    expect(ofType(events, "limit_error")[0]).toMatchObject({
      operation: "acquire",
      fallback: "refused",
    });
    expect(fake.calls).toHaveLength(1);
  });
});

/** A TCP proxy to `port` that holds every chunk `delayMs` each way (a Redis far away). */
async function slowProxy(port: number, delayMs: number) {
  const sockets = new Set<Socket>();
  const server = createServer((inbound) => {
    const upstream = tcpConnect(port, "127.0.0.1");
    sockets.add(inbound);
    sockets.add(upstream);
    const pipe = (from: Socket, to: Socket) =>
      from.on("data", (d) =>
        setTimeout(() => {
          if (!to.destroyed) to.write(d);
        }, delayMs),
      );
    pipe(inbound, upstream);
    pipe(upstream, inbound);
    const end = () => {
      inbound.destroy();
      upstream.destroy();
    };
    for (const x of [inbound, upstream]) {
      x.on("close", end);
      x.on("error", end);
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (!address || typeof address === "string") throw new Error("no TCP address");
  return {
    url: `redis://127.0.0.1:${address.port}`,
    close: async () => {
      for (const x of sockets) x.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

describe("review fixes (Redis)", () => {
  it("an acquire that timed out but still ran in Redis is given back (window entry and budget)", async () => {
    const own = await startRedisServer();
    const raw = createClient({ url: own.url });
    raw.on("error", () => {});
    await raw.connect();
    try {
      const s = store({ commandTimeoutMs: 200 }, own.url);
      let id = 0;
      const req = () => ({
        cooldowns: [],
        windows: [{ key: "w", limit: 1, windowMs: 60_000, amount: 1, id: `x${++id}` }],
        budgets: [{ key: "b", limit: 10, amount: 10, ttlMs: 0 }],
      });
      // Connected first, so that the script is written to a live connection.
      expect((await s.acquire({ cooldowns: ["c"], windows: [], budgets: [] })).ok).toBe(true);
      own.pause();
      await expect(s.acquire(req())).rejects.toThrow(/did not answer/);
      own.resume();
      // Redis runs the script it had received; the store gives it back once Redis answers (or,
      // should the give-back land first, the late script records nothing).
      let released = false;
      for (let i = 0; i < 100 && !released; i++) {
        const markers = await raw.keys(`${s.prefix}r:*`);
        const values = await Promise.all(markers.map((k) => raw.get(k)));
        released = values.includes("0");
        if (!released) await sleep(100);
      }
      expect(released).toBe(true);
      expect(await raw.zCard(`${s.prefix}w`)).toBe(0);
      expect(Number((await raw.get(`${s.prefix}b`)) ?? 0)).toBe(0);
      // Neither the window nor the budget (period "total": forever) holds the phantom request.
      expect((await s.acquire(req())).ok).toBe(true);
    } finally {
      own.resume();
      await raw.close();
      await own.stop();
    }
  }, 30_000);

  it("a Redis slower than commandTimeoutMs to connect still connects (in the background) and is used", async () => {
    const proxy = await slowProxy(server.port, 150);
    try {
      // Connecting takes a handshake and a script load (a round trip of 300 ms each); a command
      // on a ready connection one round trip, within the 500 ms deadline.
      const s = store({ commandTimeoutMs: 500 }, proxy.url);
      const { client, events } = clientWith(
        createFakeProvider(),
        limits({ store: s, rateLimits: [{ requests: 1000 }] }),
      );
      let usedRedis = false;
      for (let i = 0; i < 30 && !usedRedis; i++) {
        const before = ofType(events, "limit_error").length;
        await client.generate("hi");
        usedRedis = ofType(events, "limit_error").length === before;
        if (!usedRedis) await sleep(100);
      }
      expect(usedRedis).toBe(true);
    } finally {
      await proxy.close();
    }
  }, 30_000);

  it("a window's running sum never outlives its log, and a recomputed sum lives as long as the log", async () => {
    const s = store();
    const raw = createClient({ url: server.url });
    raw.on("error", () => {});
    await raw.connect();
    try {
      const w = (id: string) => ({
        cooldowns: [],
        windows: [{ key: "m1", limit: 2, windowMs: 60_000, amount: 1, id }],
        budgets: [],
      });
      expect((await s.acquire(w("a"))).ok).toBe(true);
      // The log is gone (expired or evicted), its sum is not: it counts nothing.
      await raw.del(`${s.prefix}m1`);
      await raw.set(`${s.prefix}m1:s`, "2", { PX: 60_000 });
      expect((await s.acquire(w("b"))).ok).toBe(true);
      expect(await raw.get(`${s.prefix}m1:s`)).toBe("1");
      expect((await s.acquire(w("c"))).ok).toBe(true);
      // The sum is lost, the log expires in 5 s: a refused acquire recomputes the sum, which
      // must expire with the log (not a whole window from now).
      await raw.del(`${s.prefix}m1:s`);
      await raw.pExpire(`${s.prefix}m1`, 5000);
      expect((await s.acquire(w("d"))).ok).toBe(false);
      expect(await raw.get(`${s.prefix}m1:s`)).toBe("2");
      const sumTtl = await raw.pTTL(`${s.prefix}m1:s`);
      expect(sumTtl).toBeGreaterThan(0);
      expect(sumTtl).toBeLessThanOrEqual(5000);
    } finally {
      await raw.close();
    }
  });

  it("the retry of a 429 goes through with a Redis store and onLimit fail", async () => {
    const fake = createFakeProvider({
      replies: [
        { error: new RateLimitError("slow", { provider: "fake", status: 429, retryAfterMs: 300 }) },
        { text: "ok" },
      ],
    });
    const mw = limits({ store: store(), onLimit: "fail" });
    const { client, events } = clientWith(fake, mw, {
      retry: { maxRetries: 1, baseDelayMs: 1, jitter: 0 },
    });
    expect((await client.generate("hi")).content).toBe("ok");
    expect(fake.calls).toHaveLength(2);
    await mw.close();
    expect(ofType(events, "cooldown")).toHaveLength(1);
    expect(ofType(events, "limit_error")).toEqual([]);
  });

  it("budgets are refused while Redis is down (default), rate limits go on locally", async () => {
    const own = await startRedisServer();
    try {
      const s = store({}, own.url);
      const fake = createFakeProvider();
      const { client, events } = clientWith(
        fake,
        limits({
          store: s,
          rateLimits: [{ requests: 100 }],
          budgets: [{ name: "t", per: { tag: "t" }, tokens: 1_000_000 }],
        }),
      );
      await client.generate("a", { tags: ["t"] });
      await own.stop();
      expect((await caught(() => client.generate("b", { tags: ["t"] }))).reason).toBe(
        "limits_unavailable",
      );
      await client.generate("c");
      expect(ofType(events, "limit_error").map((e) => e.fallback)).toEqual(["refused", "local"]);
      expect(fake.calls).toHaveLength(2);
    } finally {
      await own.stop();
    }
  });
});
