// Profiles one contender: `[BENCH_PREFIX=/pace20] [BENCH_CONCURRENCY=1] node --cpu-prof --cpu-prof-dir=prof src/profile.mjs <stream|generate|tool|object> <contender> [n]`
// then `node src/profile-summary.mjs prof/<file>.cpuprofile` for self time by function.
// `tool` and `object` are the streams of the tools scenario (a 20 KB tool call / streamObject in
// 2,000 deltas; contenders raw, rephysco, aisdk, fetch, and aisdkObject for `object`).
import { openaiContenders } from "./lib/contenders.mjs";
import { startServer } from "./lib/server-process.mjs";
import { objectContenders, toolCallContenders } from "./lib/tool-contenders.mjs";

const [mode = "stream", name = "rephysco", count] = process.argv.slice(2);
const n = Number(count ?? (mode === "generate" ? 5000 : mode === "stream" ? 60 : 30));
// Concurrent generate() calls (the overhead scenario measures 1 and 64).
const width = Number(process.env.BENCH_CONCURRENCY ?? 64);
const server = await startServer();
try {
  const prefix = process.env.BENCH_PREFIX ?? "";
  const set =
    mode === "tool"
      ? toolCallContenders(`${server.url}/c2000/tool${prefix}/v1`)
      : mode === "object"
        ? objectContenders(`${server.url}/c2000/obj${prefix}/v1`)
        : openaiContenders(`${server.url}${prefix}/v1`);
  const c = set[name];
  if (!c) throw new Error(`unknown contender ${name}`);
  const t0 = performance.now();
  if (mode !== "generate") for (let i = 0; i < n; i++) await c.stream();
  else
    await Promise.all(
      Array.from({ length: width }, async (_, w) => {
        for (let i = w; i < n; i += width) await c.generate();
      }),
    );
  process.stderr.write(`${name} ${mode} x${n}: ${(performance.now() - t0).toFixed(0)} ms\n`);
} finally {
  await server.close();
}
