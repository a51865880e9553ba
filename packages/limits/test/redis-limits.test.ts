import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import {
  LLMClient,
  RateLimitError,
  type RephyscoEvent,
  ServiceUnavailableError,
} from "@rephysco/core";
import "@rephysco/openai";
import { caught, createFakeProvider, createMockServer, type MockServer } from "@rephysco/testing";
import { createClient } from "redis";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { limits, type RedisLimitStore, redisLimitStore } from "../src/index.js";
import { clientWith, maxInSpan, sleep } from "./helpers.js";
import { type RedisServer, startRedisServer } from "./redis-server.js";

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
    const arrivals: number[] = [];
    const reply = () => {
      arrivals.push(performance.now());
      return { text: "ok" };
    };
    const prefix = `shared${++prefixes}:`;
    const rule = { requests: 3, windowMs: 400, per: "global" as const };
    const a = clientWith(
      createFakeProvider({ defaultReply: reply }),
      limits({ store: store({ prefix }), rateLimits: [rule] }),
    );
    const b = clientWith(
      createFakeProvider({ name: "other", defaultReply: reply }),
      limits({ store: store({ prefix }), rateLimits: [rule] }),
    );
    await Promise.all([
      ...Array.from({ length: 6 }, () => a.client.generate("hi")),
      ...Array.from({ length: 6 }, () => b.client.generate("hi")),
    ]);
    expect(arrivals).toHaveLength(12);
    expect(maxInSpan(arrivals, 370)).toBeLessThanOrEqual(3);
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
      expect(maxInSpan(sent, 950)).toBeLessThanOrEqual(4);
      // At the mock server: 4 per 1000 ms, with a margin for delivery jitter (a loaded machine
      // takes tens of ms, differently per request, between admission and arrival).
      expect(arrivals).toHaveLength(12);
      expect(maxInSpan(arrivals, 800)).toBeLessThanOrEqual(4);
      // And they had to wait: 12 at 4 per second need three windows.
      expect(Math.max(...arrivals) - Math.min(...arrivals)).toBeGreaterThanOrEqual(1900);
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
      await sleep(50);
      await client.generate("c");
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
