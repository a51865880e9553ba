// What @rephysco/otel adds to a call when no OpenTelemetry SDK is installed (the API's no-op
// tracer and meter providers): a real LLMClient over a fake provider that answers at once, for
// `generate` and a 5-chunk `stream`, with
//   - no middleware,
//   - the same hooks doing nothing (an observer and a pass-through attempt-level middleware):
//     what the client's middleware machinery itself costs a tracer of this shape,
//   - otel().
// Rounds are interleaved and the median kept, so that drift hits every variant alike.
// Run after a build:  node packages/otel/bench/overhead.mjs
import { LLMClient } from "@rephysco/core";
import { otel } from "@rephysco/otel";
import { createFakeProvider } from "@rephysco/testing";

const N = Number(process.env.N ?? 20_000);
const ROUNDS = 7;
const usage = { promptTokens: 10, completionTokens: 5, totalTokens: 15 };
const make = (middleware) =>
  new LLMClient({
    provider: createFakeProvider({
      defaultReply: { text: "Hello!", chunks: ["He", "l", "lo", "!", ""], usage },
    }),
    retry: false,
    middleware,
  });
const hooks = [
  { observeCall: () => ({ run: (fn) => fn(), end() {} }), onEvent() {} },
  {
    level: "attempt",
    wrapGenerate: ({ doGenerate }) => doGenerate(),
    wrapStream: ({ doStream }) => doStream(),
  },
];
const variants = { none: make([]), hooks: make(hooks), otel: make([...otel()]) };

const ops = {
  generate: (c) => c.generate("Hi", { temperature: 0 }),
  "stream (5 chunks)": async (c) => {
    for await (const _chunk of c.stream("Hi")) {
    }
  },
};

async function loop(n, op, c) {
  const t = process.hrtime.bigint();
  for (let i = 0; i < n; i++) await op(c);
  return Number(process.hrtime.bigint() - t) / 1e3 / n;
}

for (const [name, op] of Object.entries(ops)) {
  const times = { none: [], hooks: [], otel: [] };
  for (const c of Object.values(variants)) await loop(5_000, op, c);
  for (let r = 0; r < ROUNDS; r++)
    for (const [k, c] of Object.entries(variants)) times[k].push(await loop(N, op, c));
  const median = (xs) => xs.sort((a, b) => a - b)[ROUNDS >> 1];
  const [none, hooked, traced] = [median(times.none), median(times.hooks), median(times.otel)];
  console.log(
    `${name}: none ${none.toFixed(2)} µs, no-op hooks ${hooked.toFixed(2)} µs (+${(hooked - none).toFixed(2)}), otel ${traced.toFixed(2)} µs (+${(traced - none).toFixed(2)}; otel's own work +${(traced - hooked).toFixed(2)})`,
  );
}
