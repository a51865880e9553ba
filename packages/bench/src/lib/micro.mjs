import { Bench } from "tinybench";
import { rotate, summarize } from "./stats.mjs";

/**
 * Micro-benchmarks on tinybench: every round is one tinybench run of all `tasks` (order rotated
 * per round); a task's figure for the round is tinybench's median latency. Returns, per task,
 * the summary over rounds of that median, in µs.
 */
export async function micro(tasks, { rounds, time, log }) {
  const names = Object.keys(tasks);
  const p50 = Object.fromEntries(names.map((n) => [n, []]));
  for (let r = 0; r < rounds; r++) {
    const bench = new Bench({ time, warmupTime: Math.min(100, time / 2), throws: true });
    for (const n of rotate(names, r)) bench.add(n, tasks[n]);
    await bench.run();
    for (const t of bench.tasks) {
      if (t.result.state !== "completed")
        throw new Error(`${t.name}: ${t.result.state} ${t.result.error ?? ""}`);
      p50[t.name].push(t.result.latency.p50 * 1000);
    }
    log?.(`round ${r + 1}/${rounds}`);
  }
  return Object.fromEntries(names.map((n) => [n, summarize(p50[n])]));
}
