// Scenario 8: what `limits()` (@rephysco/limits) adds to a request. Non-streaming generate with a
// 1 KB prompt against the local server, side by side in one alternation: Rephysco without limits
// (the baseline), with limits() on the memory store (one requests rule, one tokens rule, one USD
// budget, all too large ever to block), with the same limits on a Redis store (redis-server
// started here on a free port; skipped when it is not installed), the raw openai SDK, and the
// Vercel AI SDK plain (it has no limiter). Then the limiter alone (tinybench), the cost of a
// settlement against how full the window is, and the Redis round trips made before the request
// is sent (counted on the client, checked with MONITOR).
import { execFileSync } from "node:child_process";
import { LLMClient } from "@rephysco/core";
import "@rephysco/openai";
import { estimateTokens, limits, memoryLimitStore, redisLimitStore } from "@rephysco/limits";
import { OPENAI_PRICES } from "@rephysco/openai";
import { startRedisServer } from "@rephysco/testing";
import { createClient } from "redis";
import { alternate, pool } from "../lib/alternate.mjs";
import { API_KEY, MODEL, ROUNDS, size } from "../lib/config.mjs";
import { openaiContenders } from "../lib/contenders.mjs";
import { log } from "../lib/log.mjs";
import { micro } from "../lib/micro.mjs";
import { startServer } from "../lib/server-process.mjs";
import { ratioSummary, summarize } from "../lib/stats.mjs";

/** 1 KB of ASCII prose: the prompt of every request. */
const PROMPT = "The quick brown fox jumps over the lazy dog while the limiter counts. "
  .repeat(16)
  .slice(0, 1024);
const MESSAGES = [{ role: "user", content: PROMPT }];

/** Limits a real deployment would set, sized so that nothing ever waits. */
const OPTIONS = {
  rateLimits: [
    { name: "rpm", requests: 1_000_000_000, per: "account" },
    { name: "tpm", tokens: 1_000_000_000_000, per: "account" },
  ],
  budgets: [{ name: "usd", usd: 1_000_000, period: "day" }],
};

/** A throwaway redis-server on a free port, or `undefined` when it is not installed. */
async function startRedis() {
  try {
    execFileSync("redis-server", ["--version"], { stdio: "ignore" });
  } catch {
    return undefined;
  }
  return startRedisServer();
}

function limitedContender(baseURL, label, middleware) {
  const client = new LLMClient({
    provider: "openai",
    apiKey: API_KEY,
    baseURL,
    retry: false,
    middleware: [middleware],
  });
  return {
    label,
    async generate() {
      return (await client.generate(MESSAGES, { model: MODEL })).content;
    },
  };
}

/** Round trips to Redis made before the request is sent, and in all, per request (sequential). */
async function roundTrips(baseURL, url, requests) {
  const raw = createClient({ url });
  raw.on("error", () => {});
  await raw.connect();
  const monitor = createClient({ url });
  monitor.on("error", () => {});
  await monitor.connect();
  let seen = 0;
  await monitor.monitor((line) => {
    // Only the commands the client sent (scripts), not the ones a script runs ("[0 lua]").
    if (/\[\d+ lua\]/.test(line)) return;
    if (/"(?:EVALSHA|EVAL)"/i.test(line)) seen++;
  });
  let commands = 0;
  const counted = {
    evalSha(sha, options) {
      commands++;
      return raw.evalSha(sha, options);
    },
    eval(script, options) {
      commands++;
      return raw.eval(script, options);
    },
  };
  const store = redisLimitStore({ client: counted }, { prefix: "bench-rt:" });
  const mw = limits({ store, ...OPTIONS });
  let start = 0;
  let beforeSend = -1;
  const probe = {
    level: "attempt",
    wrapGenerate({ doGenerate, params }) {
      beforeSend = commands - start;
      return doGenerate(params);
    },
  };
  const client = new LLMClient({
    provider: "openai",
    apiKey: API_KEY,
    baseURL,
    retry: false,
    middleware: [mw, probe],
  });
  const before = [];
  const total = [];
  for (let i = 0; i < requests; i++) {
    start = commands;
    beforeSend = -1;
    await client.generate(MESSAGES, { model: MODEL });
    await mw.close();
    before.push(beforeSend);
    total.push(commands - start);
  }
  // MONITOR's lines trail the replies a little.
  await new Promise((r) => setTimeout(r, 200));
  await monitor.close();
  await raw.close();
  return {
    requests,
    beforeSend: { min: Math.min(...before), max: Math.max(...before) },
    perRequest: { min: Math.min(...total), max: Math.max(...total) },
    clientCommands: commands,
    monitorCommands: seen,
  };
}

/** The limiter alone, as the pipeline calls it (tinybench), and the memory store alone. */
async function limiterMicro() {
  const price = OPENAI_PRICES.models[MODEL];
  const params = { mode: "generate", model: MODEL, messages: MESSAGES, maxResponseBytes: 1e7 };
  const attempt = {
    provider: "openai",
    model: MODEL,
    attempt: 1,
    targetIndex: 0,
    account: "a1",
    price,
  };
  const response = {
    content: "Hello from the benchmark server.",
    model: MODEL,
    provider: "openai",
    usage: { promptTokens: 12, completionTokens: 8, totalTokens: 20 },
    cached: false,
  };
  const doGenerate = async () => response;
  const emit = () => {};
  const wrap = (mw) => () => mw.wrapGenerate({ doGenerate, params, attempt, emit });
  const windowOf = (ms) => ({
    ...OPTIONS,
    rateLimits: OPTIONS.rateLimits.map((r) => ({ ...r, windowMs: ms })),
  });
  // The store alone: what the middleware asks of it per request.
  const store = memoryLimitStore();
  let n = 0;
  const storeOnly = async () => {
    const id = `s.${++n}`;
    const request = {
      cooldowns: ["c:1", "c:2"],
      windows: [
        { key: "w:r", limit: 1e9, windowMs: 1000, amount: 1, id },
        { key: "w:t", limit: 1e12, windowMs: 1000, amount: 1284, id },
      ],
      budgets: [{ key: "b:u", limit: 1e15, amount: 653_000, ttlMs: 86_400_000 }],
    };
    await store.acquire(request);
    await store.settle({
      windows: [{ key: "w:t", windowMs: 1000, id, reserved: 1284, amount: 20 }],
      budgets: [{ key: "b:u", delta: -646_000, ttlMs: 86_400_000 }],
    });
  };
  const passThrough = { level: "attempt", wrapGenerate: ({ doGenerate: d, params: p }) => d(p) };
  const noTokens = {
    rateLimits: [{ ...OPTIONS.rateLimits[0], windowMs: 1000 }],
    budgets: OPTIONS.budgets,
  };
  const tasks = {
    "no limiter (pass-through middleware)": wrap(passThrough),
    "limits(), memory: requests + USD budget (1 s window)": wrap(limits(noTokens)),
    "limits(), memory: requests + tokens + USD budget (1 s windows)": wrap(limits(windowOf(1000))),
    "memory store alone: acquire + settle (1 s windows)": storeOnly,
    "estimateTokens (1 KB prompt)": () => estimateTokens(params),
  };
  return micro(tasks, {
    rounds: ROUNDS,
    time: size(1000, 400),
    log: (m) => log(`limits micro: ${m}`),
  });
}

/**
 * µs per acquire + settle of one request on a memory store whose window already holds `entries`
 * entries (a window holds rate x windowMs of them), over 7 batches of 200.
 */
async function settleScaling() {
  const out = {};
  for (const entries of [1_000, 10_000, 100_000]) {
    const store = memoryLimitStore();
    const w = (id) => ({ key: "w", limit: 1e12, windowMs: 3_600_000, amount: 100, id });
    for (let i = 0; i < entries; i++)
      await store.acquire({ cooldowns: [], windows: [w(`e${i}`)], budgets: [] });
    let id = 0;
    const batches = [];
    for (let b = 0; b < 7; b++) {
      const t0 = performance.now();
      for (let i = 0; i < 200; i++) {
        const fresh = `n${++id}`;
        await store.acquire({ cooldowns: [], windows: [w(fresh)], budgets: [] });
        await store.settle({
          windows: [{ key: "w", windowMs: 3_600_000, id: fresh, reserved: 100, amount: 20 }],
          budgets: [],
        });
      }
      batches.push(((performance.now() - t0) * 1000) / 200);
    }
    out[entries] = summarize(batches);
  }
  return out;
}

function report({ rate, cpu }, concurrency) {
  const out = {};
  for (const name of Object.keys(rate)) {
    out[name] = {
      rps: summarize(rate[name]),
      usPerRequest: summarize(rate[name].map((v) => (1e6 * concurrency) / v)),
      ratio: ratioSummary(rate[name], rate.raw, true),
      cpuUsPerRequest: summarize(cpu[name]),
      cpuRatio: ratioSummary(cpu[name], cpu.raw, false),
    };
  }
  // What limits add over the same client without them, per round (paired), in µs.
  const added = {};
  const us = (name) => rate[name].map((v) => (1e6 * concurrency) / v);
  for (const name of ["local", "redis"]) {
    if (!rate[name]) continue;
    const wall = us(name).map((v, i) => v - us("rephysco")[i]);
    const cpuAdded = cpu[name].map((v, i) => v - cpu.rephysco[i]);
    added[name] = { wallUs: summarize(wall), cpuUs: summarize(cpuAdded) };
  }
  return { concurrency, contenders: out, added };
}

export async function run() {
  const server = await startServer();
  const redis = await startRedis();
  const stores = [];
  try {
    const baseURL = `${server.url}/v1`;
    const { raw, rephysco, aisdk } = openaiContenders(baseURL, { messages: MESSAGES });
    const contenders = {
      raw,
      rephysco,
      local: limitedContender(baseURL, "Rephysco + limits() (memory)", limits({ ...OPTIONS })),
    };
    if (redis) {
      const store = redisLimitStore({ url: redis.url }, { prefix: "bench:" });
      stores.push(store);
      contenders.redis = limitedContender(
        baseURL,
        "Rephysco + limits() (Redis)",
        limits({ store, ...OPTIONS }),
      );
    }
    if (aisdk) contenders.aisdk = aisdk;
    const c1 = report(
      await alternate(contenders, {
        rounds: ROUNDS,
        slices: size(8, 4),
        batch: (c) => pool(c.generate, 50, 1),
        log: (m) => log(`limits c=1: ${m}`),
      }),
      1,
    );
    const redisRoundTrips = redis ? await roundTrips(baseURL, redis.url, size(200, 50)) : undefined;
    const limiter = await limiterMicro();
    const settle = await settleScaling();
    return {
      promptBytes: PROMPT.length,
      promptTokensEstimate: estimateTokens({
        mode: "generate",
        model: MODEL,
        messages: MESSAGES,
        maxResponseBytes: 1e7,
      }),
      redis: redis ? "redis-server (local, same machine)" : "skipped: redis-server not installed",
      c1,
      redisRoundTrips,
      limiter,
      settleUsByWindowEntries: settle,
    };
  } finally {
    for (const s of stores) await s.close().catch(() => undefined);
    await redis?.stop();
    await server.close();
  }
}
