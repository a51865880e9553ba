// Scenario 1: non-streaming request overhead at concurrency 1 and 64.
import { alternate, pool } from "../lib/alternate.mjs";
import { ROUNDS, size } from "../lib/config.mjs";
import { geminiContenders, openaiContenders } from "../lib/contenders.mjs";
import { log } from "../lib/log.mjs";
import { startServer } from "../lib/server-process.mjs";
import { ratioSummary, summarize } from "../lib/stats.mjs";

/**
 * Per-contender summaries: wall-clock requests/s and µs per request with their ratio to `raw`,
 * and client CPU µs per request with its ratio (raw CPU / contender CPU: above 1 is cheaper).
 */
function report({ rate, cpu }, total, concurrency) {
  const out = {};
  for (const name of Object.keys(rate)) {
    out[name] = {
      rps: summarize(rate[name]),
      // Per-request time at concurrency c is c / throughput (Little's law).
      usPerRequest: summarize(rate[name].map((v) => (1e6 * concurrency) / v)),
      ratio: ratioSummary(rate[name], rate.raw, true),
      cpuUsPerRequest: summarize(cpu[name]),
      cpuRatio: ratioSummary(cpu[name], cpu.raw, false),
    };
  }
  return { concurrency, requestsPerRound: total, contenders: out };
}

async function measure(contenders, { batch, slices, concurrency }, label) {
  const measured = await alternate(contenders, {
    rounds: ROUNDS,
    slices,
    batch: (c) => pool(c.generate, batch, concurrency),
    log: (m) => log(`overhead ${label}: ${m}`),
  });
  return report(measured, batch * slices, concurrency);
}

export async function run() {
  const server = await startServer();
  try {
    const openai = openaiContenders(`${server.url}/v1`);
    const c1 = await measure(openai, { batch: 50, slices: size(8, 4), concurrency: 1 }, "c=1");
    const c64 = await measure(openai, { batch: 512, slices: size(3, 1), concurrency: 64 }, "c=64");
    const gemini = await geminiContenders(server.url);
    const geminiC1 = gemini.rephysco
      ? await measure(gemini, { batch: 50, slices: size(8, 4), concurrency: 1 }, "gemini c=1")
      : undefined;
    return { c1, c64, ...(geminiC1 && { geminiC1 }) };
  } finally {
    await server.close();
  }
}
