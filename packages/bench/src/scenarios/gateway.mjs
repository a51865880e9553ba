// Scenario: what @rephysco/gateway adds over the network hop (issue #18, step 1).
// One client (fetch), one run, three paths to the same upstream (the @rephysco/testing mock
// server), measured in alternating rounds: `direct` to the mock, `proxy` through a bare node:http
// pass-through proxy (the floor any Node gateway pays), `gateway` through @rephysco/gateway. The
// mock, the proxy and the gateway each run in their own process; the gateway's and the proxy's
// CPU time is read from those processes over IPC.
//   c1      non-streamed requests one at a time: p50 and p99 per path and round; the gate is
//           the median over rounds of gateway p50 - proxy p50 <= 0.3 ms (p99 reported only)
//   c64     non-streamed requests 64 at a time: throughput (gate: gateway >= 0.8 x proxy) and
//           CPU µs per request of the gateway and the proxy processes
//   stream  a paced stream (mock chunkDelayMs): time to the last chunk (gate: gateway within
//           5 % of direct)
import { pool } from "../lib/alternate.mjs";
import { ROUNDS, size } from "../lib/config.mjs";
import { CHUNK_DELAY_MS, STREAM_CHUNKS, STREAM_MODEL, startChild } from "../lib/gateway-paths.mjs";
import { log } from "../lib/log.mjs";
import { quantile, rotate, summarize } from "../lib/stats.mjs";

/** The issue asks for the median of at least 9 alternating rounds, quick run or not. */
const GATE_ROUNDS = Math.max(ROUNDS, 9);
const P50_LIMIT_MS = 0.3;
const THROUGHPUT_FLOOR = 0.8;
const STREAM_LIMIT = 1.05;

const PLAIN_BODY = JSON.stringify({
  model: "gpt-4o-mini",
  messages: [{ role: "user", content: "Say hello." }],
});
const STREAM_BODY = JSON.stringify({
  model: STREAM_MODEL,
  stream: true,
  stream_options: { include_usage: true },
  messages: [{ role: "user", content: "Count." }],
});
const HEADERS = { "content-type": "application/json", authorization: "Bearer bench" };

async function post(base, body) {
  const res = await fetch(`${base}/v1/chat/completions`, {
    method: "POST",
    headers: HEADERS,
    body,
  });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`${base}: HTTP ${res.status}: ${text.slice(0, 300)}`);
  return text;
}

async function plain(base) {
  const text = await post(base, PLAIN_BODY);
  if (!text.includes("Hello from the mock server.")) throw new Error(`unexpected answer ${text}`);
}

async function stream(base) {
  const text = await post(base, STREAM_BODY);
  if (!text.includes(`t${STREAM_CHUNKS - 1} `) || !text.trimEnd().endsWith("data: [DONE]")) {
    throw new Error(`incomplete stream from ${base}: ${text.slice(-300)}`);
  }
}

/** CPU µs of the processes that have a CPU counter (the proxy and the gateway). */
async function cpuOf(procs) {
  const out = {};
  for (const [name, p] of Object.entries(procs)) if (p) out[name] = await p.cpuUs();
  return out;
}

/** Sequential requests in alternating slices: per round and path, p50 and p99 of the latencies. */
async function latency(paths, procs, { rounds, slices, perSlice }) {
  const names = Object.keys(paths);
  const p50 = Object.fromEntries(names.map((n) => [n, []]));
  const p99 = Object.fromEntries(names.map((n) => [n, []]));
  const cpu = Object.fromEntries(names.map((n) => [n, []]));
  let turn = 0;
  for (let r = 0; r < rounds; r++) {
    const samples = Object.fromEntries(names.map((n) => [n, []]));
    const used = Object.fromEntries(names.map((n) => [n, 0]));
    for (let s = 0; s < slices; s++) {
      for (const n of rotate(names, turn++)) {
        const before = procs[n] ? await procs[n].cpuUs() : 0;
        for (let i = 0; i < perSlice; i++) {
          const t0 = performance.now();
          await plain(paths[n]);
          samples[n].push(performance.now() - t0);
        }
        if (procs[n]) used[n] += (await procs[n].cpuUs()) - before;
      }
    }
    for (const n of names) {
      p50[n].push(quantile(samples[n], 0.5));
      p99[n].push(quantile(samples[n], 0.99));
      if (procs[n]) cpu[n].push(used[n] / samples[n].length);
    }
    log(`gateway c=1: round ${r + 1}/${rounds}`);
  }
  const diffP50 = p50.gateway.map((v, i) => v - p50.proxy[i]);
  const diffP99 = p99.gateway.map((v, i) => v - p99.proxy[i]);
  const contenders = {};
  for (const n of names) {
    contenders[n] = {
      p50Ms: summarize(p50[n]),
      p99Ms: summarize(p99[n]),
      ...(procs[n] && { processCpuUsPerRequest: summarize(cpu[n]) }),
    };
  }
  const gatewayMinusProxyP50Ms = summarize(diffP50);
  return {
    requestsPerRound: slices * perSlice,
    contenders,
    gatewayMinusProxyP50Ms,
    gatewayMinusProxyP99Ms: summarize(diffP99),
    gate: {
      limitMs: P50_LIMIT_MS,
      pass: gatewayMinusProxyP50Ms.median <= P50_LIMIT_MS,
    },
  };
}

/** Requests 64 at a time in alternating batches: requests/s and process CPU µs per request. */
async function throughput(paths, procs, { rounds, batch, concurrency }) {
  const names = Object.keys(paths);
  const rps = Object.fromEntries(names.map((n) => [n, []]));
  const cpu = Object.fromEntries(names.map((n) => [n, []]));
  let turn = 0;
  for (let r = 0; r < rounds; r++) {
    for (const n of rotate(names, turn++)) {
      const before = await cpuOf({ [n]: procs[n] });
      const t0 = performance.now();
      await pool(() => plain(paths[n]), batch, concurrency);
      const ms = performance.now() - t0;
      const after = await cpuOf({ [n]: procs[n] });
      rps[n].push((batch * 1000) / ms);
      if (procs[n]) cpu[n].push((after[n] - before[n]) / batch);
    }
    log(`gateway c=${concurrency}: round ${r + 1}/${rounds}`);
  }
  const ratio = summarize(rps.gateway.map((v, i) => v / rps.proxy[i]));
  const contenders = {};
  for (const n of names) {
    contenders[n] = {
      rps: summarize(rps[n]),
      ...(procs[n] && { processCpuUsPerRequest: summarize(cpu[n]) }),
    };
  }
  return {
    concurrency,
    requestsPerRound: batch,
    contenders,
    gatewayOverProxy: ratio,
    gate: { floor: THROUGHPUT_FLOOR, pass: ratio.median >= THROUGHPUT_FLOOR },
  };
}

/** Paced streams one at a time in alternating slices: ms to the last chunk. */
async function streams(paths, procs, { rounds, perSlice }) {
  const names = Object.keys(paths);
  const ms = Object.fromEntries(names.map((n) => [n, []]));
  const cpu = Object.fromEntries(names.map((n) => [n, []]));
  let turn = 0;
  for (let r = 0; r < rounds; r++) {
    for (const n of rotate(names, turn++)) {
      const before = procs[n] ? await procs[n].cpuUs() : 0;
      const t0 = performance.now();
      for (let i = 0; i < perSlice; i++) await stream(paths[n]);
      ms[n].push((performance.now() - t0) / perSlice);
      if (procs[n]) cpu[n].push(((await procs[n].cpuUs()) - before) / perSlice / 1000);
    }
    log(`gateway stream: round ${r + 1}/${rounds}`);
  }
  const ratio = summarize(ms.gateway.map((v, i) => v / ms.direct[i]));
  const contenders = {};
  for (const n of names) {
    contenders[n] = {
      msToLastChunk: summarize(ms[n]),
      ratioToDirect: summarize(ms[n].map((v, i) => v / ms.direct[i])),
      ...(procs[n] && { processCpuMsPerStream: summarize(cpu[n]) }),
    };
  }
  return {
    chunks: STREAM_CHUNKS,
    chunkDelayMs: CHUNK_DELAY_MS,
    streamsPerRound: perSlice,
    contenders,
    gatewayOverDirect: ratio,
    gate: { limit: STREAM_LIMIT, pass: ratio.median <= STREAM_LIMIT },
  };
}

export async function run() {
  const mock = await startChild("mock");
  const proxy = await startChild("proxy", mock.url);
  const gateway = await startChild("gateway", mock.url);
  try {
    const paths = { direct: mock.url, proxy: proxy.url, gateway: gateway.url };
    const procs = { direct: undefined, proxy, gateway };
    // Warm-up: connections, JIT of every process on the path.
    for (const base of Object.values(paths)) {
      await pool(() => plain(base), 300, 8);
      await stream(base);
    }
    const c1 = await latency(paths, procs, {
      rounds: GATE_ROUNDS,
      slices: size(8, 4),
      perSlice: 50,
    });
    const c64 = await throughput(paths, procs, {
      rounds: GATE_ROUNDS,
      batch: size(2048, 1024),
      concurrency: 64,
    });
    const paced = await streams(paths, procs, { rounds: GATE_ROUNDS, perSlice: size(3, 1) });
    return { rounds: GATE_ROUNDS, c1, c64, stream: paced };
  } finally {
    await gateway.close();
    await proxy.close();
    await mock.close();
  }
}
