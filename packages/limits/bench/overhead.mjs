// The limiter's overhead per request when local (the benchmark): one requests rule, one
// tokens rule and one budget, a 1 KB prompt, the default token estimator. Run after a build:
//   node packages/limits/bench/overhead.mjs
import { limits } from "@rephysco/limits";

const N = 200_000;
const mw = limits({
  rateLimits: [
    { name: "rpm", requests: 1e9 },
    { name: "tpm", tokens: 1e12 },
  ],
  budgets: [{ name: "usd", usd: 1e6, period: "day" }],
});
const params = {
  mode: "generate",
  model: "gpt-4o-mini",
  maxResponseBytes: 1e6,
  maxTokens: 100,
  messages: [{ role: "user", content: "x".repeat(1024) }],
};
const attempt = {
  provider: "openai",
  model: "gpt-4o-mini",
  attempt: 1,
  targetIndex: 0,
  account: "acct",
  price: { input: 0.15, output: 0.6 },
};
const response = {
  content: "ok",
  model: "gpt-4o-mini",
  provider: "openai",
  cached: false,
  usage: { promptTokens: 260, completionTokens: 50, totalTokens: 310 },
  cost: {
    total: 0.000069,
    input: 0,
    cachedInput: 0,
    cacheWrite: 0,
    output: 0,
    reasoning: 0,
    currency: "USD",
    source: "prices",
  },
};
const doGenerate = () => Promise.resolve(response);
const emit = () => {};
const opts = { doGenerate, params, attempt, emit };

async function loop(n, fn) {
  const t = process.hrtime.bigint();
  for (let i = 0; i < n; i++) await fn();
  return Number(process.hrtime.bigint() - t) / 1e3 / n;
}
// Warm up, then measure with and without the middleware.
await loop(20_000, () => mw.wrapGenerate(opts));
const bare = await loop(N, () => doGenerate());
const withLimits = await loop(N, () => mw.wrapGenerate(opts));
await mw.close();
console.log(
  `limits overhead: ${(withLimits - bare).toFixed(2)} µs per request (${withLimits.toFixed(2)} vs ${bare.toFixed(2)} µs bare, ${N} requests)`,
);
