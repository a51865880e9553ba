// Profiles one contender: `[BENCH_PREFIX=/pace20] [BENCH_CONCURRENCY=1] node --cpu-prof --cpu-prof-dir=prof src/profile.mjs <stream|generate> <contender> [n]`
// then `node src/profile-summary.mjs prof/<file>.cpuprofile` for self time by function.
import { openaiContenders } from "./lib/contenders.mjs";
import { startServer } from "./lib/server-process.mjs";

const [mode = "stream", name = "rephysco", count] = process.argv.slice(2);
const n = Number(count ?? (mode === "stream" ? 60 : 5000));
// Concurrent generate() calls (the overhead scenario measures 1 and 64).
const width = Number(process.env.BENCH_CONCURRENCY ?? 64);
const server = await startServer();
try {
  const c = openaiContenders(`${server.url}${process.env.BENCH_PREFIX ?? ""}/v1`)[name];
  if (!c) throw new Error(`unknown contender ${name}`);
  const t0 = performance.now();
  if (mode === "stream") for (let i = 0; i < n; i++) await c.stream();
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
