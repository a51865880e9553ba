import { type RedisServer, startRedisServer } from "@rephysco/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type LimitStore,
  memoryLimitStore,
  type RedisLimitStore,
  redisLimitStore,
} from "../src/index.js";
import { maxInSpan } from "./helpers.js";

let server: RedisServer;
const redisStores: RedisLimitStore[] = [];
let n = 0;

beforeAll(async () => {
  server = await startRedisServer();
});

afterAll(async () => {
  await Promise.all(redisStores.map((s) => s.close()));
  await server?.stop();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const factories: [string, () => LimitStore][] = [
  ["memoryLimitStore", () => memoryLimitStore()],
  [
    "redisLimitStore",
    () => {
      const s = redisLimitStore(
        { url: server.url },
        { prefix: `contract:${++n}:`, commandTimeoutMs: 2000 },
      );
      redisStores.push(s);
      return s;
    },
  ],
];

let ids = 0;
const win = (key: string, limit: number, windowMs: number, amount = 1) => ({
  key,
  limit,
  windowMs,
  amount,
  id: `id${++ids}`,
});

describe.each(factories)("store contract: %s", (_name, create) => {
  it("admits up to the limit in a window, then refuses with a retryAfterMs within the window", async () => {
    const s = create();
    for (let i = 0; i < 3; i++) {
      const r = await s.acquire({ cooldowns: [], windows: [win("w", 3, 1000)], budgets: [] });
      expect(r.ok).toBe(true);
    }
    const r = await s.acquire({ cooldowns: [], windows: [win("w", 3, 1000)], budgets: [] });
    expect(r).toMatchObject({ ok: false, kind: "window", index: 0 });
    if (r.ok) throw new Error("unreachable");
    expect(r.retryAfterMs).toBeGreaterThan(0);
    expect(r.retryAfterMs).toBeLessThanOrEqual(1000);
    expect(typeof r.now).toBe("number");
  });

  it("slides: capacity returns as the oldest entries expire, not all at once", async () => {
    const s = create();
    // Times are the store's own (`now` of each answer); the window is long enough that the
    // second entry is still in it however late a sleep ends on a loaded machine.
    const W = 2000;
    const first = await s.acquire({ cooldowns: [], windows: [win("s", 2, W)], budgets: [] });
    expect(first.ok).toBe(true);
    await sleep(600);
    const second = await s.acquire({ cooldowns: [], windows: [win("s", 2, W)], budgets: [] });
    expect(second.ok).toBe(true);
    const refused = await s.acquire({ cooldowns: [], windows: [win("s", 2, W)], budgets: [] });
    if (refused.ok) throw new Error("expected a refusal");
    // Exactly when the first entry leaves the window; the second only later.
    expect(refused.retryAfterMs).toBe(Math.max(1, first.now + W - refused.now));
    await sleep(refused.retryAfterMs! + 10);
    const third = await s.acquire({ cooldowns: [], windows: [win("s", 2, W)], budgets: [] });
    expect(third.ok).toBe(true);
    const fourth = await s.acquire({ cooldowns: [], windows: [win("s", 2, W)], budgets: [] });
    if (fourth.now - second.now < W) expect(fourth.ok).toBe(false);
  });

  it("retryAfterMs counts as many of the oldest entries as needed (past the first 64)", async () => {
    const s = create();
    const W = 60_000;
    const nows: number[] = [];
    for (let i = 0; i < 100; i++) {
      const r = await s.acquire({ cooldowns: [], windows: [win("many", 100, W)], budgets: [] });
      expect(r.ok).toBe(true);
      nows.push(r.now);
      if (i === 69) await sleep(20);
    }
    const r = await s.acquire({ cooldowns: [], windows: [win("many", 100, W, 71)], budgets: [] });
    if (r.ok) throw new Error("expected a refusal");
    // 71 entries of 1 must leave: the 71st oldest's time plus the window.
    expect(r.retryAfterMs).toBe(nows[70]! + W - r.now);
  });

  it("a cool-down of 0 ms starts nothing", async () => {
    const s = create();
    const before = Date.now();
    const end = await s.cooldown("zero", 0);
    expect(end).toBeGreaterThanOrEqual(before - 5);
    expect(end).toBeLessThanOrEqual(Date.now() + 5);
    expect((await s.acquire({ cooldowns: ["zero"], windows: [], budgets: [] })).ok).toBe(true);
  });

  it("sums amounts, and retryAfterMs waits for enough of the oldest to expire", async () => {
    const s = create();
    expect(
      (await s.acquire({ cooldowns: [], windows: [win("t", 100, 1000, 60)], budgets: [] })).ok,
    ).toBe(true);
    await sleep(50);
    expect(
      (await s.acquire({ cooldowns: [], windows: [win("t", 100, 1000, 30)], budgets: [] })).ok,
    ).toBe(true);
    const r = await s.acquire({ cooldowns: [], windows: [win("t", 100, 1000, 20)], budgets: [] });
    expect(r).toMatchObject({ ok: false, kind: "window" });
    if (r.ok) throw new Error("unreachable");
    // The 60 must expire (~950 ms from now); the 30 alone would not be enough anyway.
    expect(r.retryAfterMs).toBeGreaterThan(800);
    expect(
      (await s.acquire({ cooldowns: [], windows: [win("t", 100, 1000, 10)], budgets: [] })).ok,
    ).toBe(true);
  });

  it("refuses an amount above the limit without a retryAfterMs", async () => {
    const s = create();
    const r = await s.acquire({ cooldowns: [], windows: [win("big", 10, 1000, 11)], budgets: [] });
    expect(r).toMatchObject({ ok: false, kind: "window", index: 0 });
    if (r.ok) throw new Error("unreachable");
    expect(r.retryAfterMs).toBeUndefined();
  });

  it("is all or nothing: a refusal by a later check records nothing", async () => {
    const s = create();
    expect(
      (await s.acquire({ cooldowns: [], windows: [win("b2", 1, 1000)], budgets: [] })).ok,
    ).toBe(true);
    const r = await s.acquire({
      cooldowns: [],
      windows: [win("a1", 1, 1000), win("b2", 1, 1000)],
      budgets: [{ key: "bud", limit: 10, amount: 5, ttlMs: 0 }],
    });
    expect(r).toMatchObject({ ok: false, kind: "window", index: 1 });
    // a1 and the budget were not touched.
    const ok = await s.acquire({
      cooldowns: [],
      windows: [win("a1", 1, 1000)],
      budgets: [{ key: "bud", limit: 10, amount: 10, ttlMs: 0 }],
    });
    expect(ok.ok).toBe(true);
  });

  it("budgets: refuse what would exceed the cap, with what was spent", async () => {
    const s = create();
    expect(
      (
        await s.acquire({
          cooldowns: [],
          windows: [],
          budgets: [{ key: "B", limit: 100, amount: 70, ttlMs: 0 }],
        })
      ).ok,
    ).toBe(true);
    const r = await s.acquire({
      cooldowns: [],
      windows: [],
      budgets: [{ key: "B", limit: 100, amount: 31, ttlMs: 0 }],
    });
    expect(r).toMatchObject({ ok: false, kind: "budget", index: 0, spent: 70 });
    expect(
      (
        await s.acquire({
          cooldowns: [],
          windows: [],
          budgets: [{ key: "B", limit: 100, amount: 30, ttlMs: 0 }],
        })
      ).ok,
    ).toBe(true);
  });

  it("budgets expire after their ttl", async () => {
    const s = create();
    expect(
      (
        await s.acquire({
          cooldowns: [],
          windows: [],
          budgets: [{ key: "E", limit: 10, amount: 10, ttlMs: 1000 }],
        })
      ).ok,
    ).toBe(true);
    // Still within its ttl (1000 ms leaves room for a loaded machine between the two calls).
    expect(
      (
        await s.acquire({
          cooldowns: [],
          windows: [],
          budgets: [{ key: "E", limit: 10, amount: 1, ttlMs: 1000 }],
        })
      ).ok,
    ).toBe(false);
    await sleep(1100);
    expect(
      (
        await s.acquire({
          cooldowns: [],
          windows: [],
          budgets: [{ key: "E", limit: 10, amount: 10, ttlMs: 150 }],
        })
      ).ok,
    ).toBe(true);
  });

  it("settle changes a window entry's amount and adds a budget delta", async () => {
    const s = create();
    const w = win("st", 100, 5000, 80);
    expect(
      (
        await s.acquire({
          cooldowns: [],
          windows: [w],
          budgets: [{ key: "SB", limit: 100, amount: 80, ttlMs: 0 }],
        })
      ).ok,
    ).toBe(true);
    expect(
      (await s.acquire({ cooldowns: [], windows: [win("st", 100, 5000, 30)], budgets: [] })).ok,
    ).toBe(false);
    await s.settle({
      windows: [{ key: "st", windowMs: 5000, id: w.id, reserved: 80, amount: 10 }],
      budgets: [{ key: "SB", delta: -70, ttlMs: 0 }],
    });
    expect(
      (await s.acquire({ cooldowns: [], windows: [win("st", 100, 5000, 90)], budgets: [] })).ok,
    ).toBe(true);
    expect(
      (await s.acquire({ cooldowns: [], windows: [win("st", 100, 5000, 1)], budgets: [] })).ok,
    ).toBe(false);
    const b = await s.acquire({
      cooldowns: [],
      windows: [],
      budgets: [{ key: "SB", limit: 100, amount: 91, ttlMs: 0 }],
    });
    expect(b).toMatchObject({ ok: false, spent: 10 });
    expect(
      (
        await s.acquire({
          cooldowns: [],
          windows: [],
          budgets: [{ key: "SB", limit: 100, amount: 90, ttlMs: 0 }],
        })
      ).ok,
    ).toBe(true);
  });

  it("settle of an unknown entry or an expired budget changes nothing", async () => {
    const s = create();
    await s.settle({
      windows: [{ key: "nope", windowMs: 1000, id: "x", reserved: 5, amount: 1 }],
      budgets: [{ key: "nobudget", delta: 50, ttlMs: 0 }],
    });
    expect(
      (
        await s.acquire({
          cooldowns: [],
          windows: [],
          budgets: [{ key: "nobudget", limit: 10, amount: 10, ttlMs: 0 }],
        })
      ).ok,
    ).toBe(true);
  });

  it("cool-downs refuse until they end and keep the later end", async () => {
    const s = create();
    const before = Date.now();
    const end = await s.cooldown("cd", 1000);
    // The end is on the store's clock: this machine's (same host here) at the call, plus 1000.
    expect(end).toBeGreaterThanOrEqual(before + 1000 - 1);
    expect(end).toBeLessThanOrEqual(Date.now() + 1000 + 1);
    // A shorter one keeps the later end.
    expect(await s.cooldown("cd", 100)).toBe(end);
    const r = await s.acquire({
      cooldowns: ["other", "cd"],
      windows: [win("cdw", 1, 1000)],
      budgets: [],
    });
    if (r.ok) throw new Error("expected a refusal");
    expect(r).toMatchObject({ ok: false, kind: "cooldown", index: 1 });
    // Exactly the rest of the cool-down, on the store's clock.
    expect(r.retryAfterMs).toBe(end - r.now);
    // Nothing recorded: the window still has room after the cool-down.
    await sleep(r.retryAfterMs! + 20);
    expect(
      (await s.acquire({ cooldowns: ["cd"], windows: [win("cdw", 1, 1000)], budgets: [] })).ok,
    ).toBe(true);
  });

  it("under load, no span of windowMs on the store's clock holds more than the limit", async () => {
    const s = create();
    const admitted: number[] = [];
    const until = Date.now() + 1200;
    await Promise.all(
      Array.from({ length: 12 }, async () => {
        while (Date.now() < until) {
          const r = await s.acquire({
            cooldowns: [],
            windows: [win("load", 5, 300, 1)],
            budgets: [],
          });
          if (r.ok) admitted.push(r.now);
          else await sleep(r.retryAfterMs ?? 1);
        }
      }),
    );
    expect(admitted.length).toBeGreaterThanOrEqual(15);
    expect(maxInSpan(admitted, 300)).toBeLessThanOrEqual(5);
  });

  it("concurrent acquires never admit more than the limit", async () => {
    const s = create();
    const results = await Promise.all(
      Array.from({ length: 50 }, () =>
        s.acquire({ cooldowns: [], windows: [win("c", 7, 5000)], budgets: [] }),
      ),
    );
    expect(results.filter((r) => r.ok)).toHaveLength(7);
  });
});
