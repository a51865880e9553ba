// Scenario 2: a 2,000-chunk streamed answer: time to the last chunk and chunks/s.
import { alternate } from "../lib/alternate.mjs";
import { ROUNDS, size } from "../lib/config.mjs";
import { geminiContenders, openaiContenders } from "../lib/contenders.mjs";
import { log } from "../lib/log.mjs";
import { startServer } from "../lib/server-process.mjs";
import { ratioSummary, summarize } from "../lib/stats.mjs";

const CHUNKS = 2000;
const PACE = 20;

async function measure(contenders, streams, label, pace = label.includes("paced")) {
  const { rate, cpu } = await alternate(contenders, {
    rounds: ROUNDS,
    slices: streams,
    batch: async (c, name) => {
      const n = await c.stream();
      if (n !== CHUNKS) throw new Error(`${name} saw ${n} text chunks, expected ${CHUNKS}`);
      return 1;
    },
    log: (m) => log(`streaming ${label}: ${m}`),
  });
  // Streams per second -> ms per stream (one stream at a time, so this is time to last chunk).
  const ms = Object.fromEntries(Object.entries(rate).map(([n, v]) => [n, v.map((x) => 1000 / x)]));
  const out = {};
  for (const [name, values] of Object.entries(ms)) {
    out[name] = {
      msToLastChunk: summarize(values),
      chunksPerSecond: summarize(values.map((v) => (CHUNKS * 1000) / v)),
      ratio: ratioSummary(values, ms.raw, false),
      cpuMsPerStream: summarize(cpu[name].map((us) => us / 1000)),
      cpuRatio: ratioSummary(cpu[name], cpu.raw, false),
    };
  }
  return {
    chunks: CHUNKS,
    streamsPerRound: streams,
    ...(pace && { eventsPerWrite: PACE }),
    contenders: out,
  };
}

export async function run() {
  const server = await startServer();
  try {
    // Burst: the whole answer written at once, read as fast as the client can (its throughput).
    const burst = await measure(
      openaiContenders(`${server.url}/c${CHUNKS}/v1`),
      size(8, 4),
      "burst",
    );
    // Paced: 20 events per write, one write per ms (about 20,000 chunks/s, far above any model,
    // but every read holds a few events, as on a real connection).
    const paced = await measure(
      openaiContenders(`${server.url}/c${CHUNKS}/pace${PACE}/v1`),
      size(4, 2),
      "paced",
    );
    const gemini = await geminiContenders(`${server.url}/c${CHUNKS}/pace${PACE}`);
    const geminiResult = gemini.rephysco
      ? await measure(gemini, size(4, 2), "gemini paced")
      : undefined;
    return { burst, paced, ...(geminiResult && { geminiPaced: geminiResult }) };
  } finally {
    await server.close();
  }
}
