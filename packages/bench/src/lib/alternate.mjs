import { rotate } from "./stats.mjs";

/**
 * Compares contenders in alternation. A round is `slices` short batches per contender,
 * interleaved ABC ABC ABC ... (the order rotated every slice, so no contender always runs first
 * or right after a collection); a contender's figure for the round is its total work over its
 * total time in that round, in work units per second. On a shared machine, load changes between
 * seconds, not microseconds: fine interleaving puts every contender under the same load.
 * `batch(contender, name)` runs one batch and resolves with its units of work.
 * One unrecorded warm-up batch per contender comes first. No forced collection between
 * batches: after a full GC V8 shrinks the young generation, which would charge the next batch
 * extra scavenges (measured: it doubled the CPU time of a stream); the fine interleaving already
 * spreads garbage collection fairly.
 *
 * Returns, per contender, `rate` (units per wall-clock second, one entry per round) and `cpu`
 * (µs of this process's CPU time, user + system, per unit). The server runs in another process,
 * so `cpu` is the client's own cost; unlike wall time it hardly moves when other processes
 * compete for the cores.
 */
export async function alternate(contenders, { rounds, slices, batch, log }) {
  const names = Object.keys(contenders);
  const rate = Object.fromEntries(names.map((n) => [n, []]));
  const cpuPerUnit = Object.fromEntries(names.map((n) => [n, []]));
  for (const n of names) {
    await batch(contenders[n], n);
  }
  let turn = 0;
  for (let r = 0; r < rounds; r++) {
    const work = Object.fromEntries(names.map((n) => [n, 0]));
    const ms = Object.fromEntries(names.map((n) => [n, 0]));
    const cpu = Object.fromEntries(names.map((n) => [n, 0]));
    for (let s = 0; s < slices; s++) {
      for (const n of rotate(names, turn++)) {
        const c0 = process.cpuUsage();
        const t0 = performance.now();
        work[n] += await batch(contenders[n], n);
        ms[n] += performance.now() - t0;
        const c = process.cpuUsage(c0);
        cpu[n] += c.user + c.system;
      }
    }
    for (const n of names) {
      rate[n].push((work[n] * 1000) / ms[n]);
      cpuPerUnit[n].push(cpu[n] / work[n]);
    }
    log?.(`round ${r + 1}/${rounds}`);
  }
  return { rate, cpu: cpuPerUnit };
}

/** Runs `total` calls of `fn` with at most `concurrency` in flight. */
export async function pool(fn, total, concurrency) {
  let next = 0;
  const worker = async () => {
    while (next < total) {
      next++;
      await fn();
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, total) }, worker));
  return total;
}
