// Markdown for the gateway scenarios' step-3 figures (issue #18): every figure side by side with
// Portkey's gateway, the gates for both, and the memory soak (of the gateway scenario, or the
// 10-minute one of the gateway-memory scenario). The scenarios log it at their end, report.mjs
// puts it in results/latest.md, and `node src/gateway-report.mjs [results/latest.json]` prints it
// from a saved run.
import { f, int, table } from "./markdown.mjs";

const PATHS = {
  direct: "direct to the mock",
  proxy: "bare node:http proxy",
  gateway: "@rephysco/gateway",
  portkey: "Portkey gateway (OSS)",
};

/** Published figures of gateways that cannot be run here, quoted, not measured. */
export const QUOTED = [
  "LiteLLM (Python) cannot be installed on this machine (of the package registries only npm's is reachable), so it is quoted, not measured: LiteLLM documents about 3 ms added per request; independent same-machine measurements put Portkey OSS 1.15.2 at ~2.4 ms and LiteLLM at ~4.3 ms added; TensorZero publishes a p50 of 0.35 ms added. Those are other machines and other methods: compare them with each other, not with the absolute figures here.",
];

const spread = (s, d = 2) => (s ? `${f(s.median, d)} [${f(s.min, d)}–${f(s.max, d)}]` : "–");
const secs = (ms) => `${Number((ms / 1000).toFixed(1))} s`;
/** "slope ± standard error" (the error left out when the run did not record it). */
const plusMinus = (slope, stdErr, d = 3) =>
  Number.isFinite(stdErr) ? `${f(slope, d)} ± ${f(stdErr, d)}` : f(slope, d);
const pf = (pass) => (pass === undefined ? "–" : pass ? "PASS" : "**FAIL**");

/** Rows for every path, with a "not installed" row for Portkey when it is missing. */
function rows(block, portkey, cells) {
  const out = Object.entries(block.contenders).map(([n, c]) => [PATHS[n] ?? n, ...cells(c, n)]);
  if (!portkey?.installed) {
    const width = cells({}, "portkey").length;
    out.push([PATHS.portkey, "not installed", ...Array(width - 1).fill("–")]);
  }
  return out;
}

function soakVerdict(c) {
  if (!c) return "–";
  const v = pf(c.gate.pass);
  return c.gate.conclusive ? v : `${v.replace(/\*/g, "")} (short soak: indication only)`;
}

/** What is gated: post-GC RSS when the soak forced a GC before each sample, else raw RSS. */
const gatedMeasure = (c) => c.gate.measure ?? "rss";
const gatedSlope = (c) => c.gate.slopeMBPerMin ?? c.rssSlopeMBPerMin;
const gatedStdErr = (c) => c.gate.slopeStdErr ?? c.rssSlopeStdErr;
const MEASURE_NAMES = {
  rssAfterGc: "RSS after a full GC",
  heapUsedAfterGc: "heapUsed after a full GC",
  rss: "RSS as it is",
  heapUsed: "heapUsed as it is",
};

/** The series of one soak, by measure: the sample key and the stored fit. */
function series(c) {
  return [
    ["rssAfterGc", "rssAfterGcMB", c.afterGc?.rss],
    ["heapUsedAfterGc", "heapUsedAfterGcMB", c.afterGc?.heapUsed],
    [
      "rss",
      "rssMB",
      { slopeMBPerMin: c.rssSlopeMBPerMin, slopeStdErr: c.rssSlopeStdErr, r2: c.rssFitR2 },
    ],
    [
      "heapUsed",
      "heapUsedMB",
      { slopeMBPerMin: c.heapUsedSlopeMBPerMin, slopeStdErr: c.heapUsedSlopeStdErr },
    ],
  ].filter(([, , fit]) => fit);
}

/** The memory soak: how it ran, its load, and every slope (the gated one first). */
function memoryBlock(m) {
  const gc = Object.values(m.contenders).some((c) => c.afterGc);
  const products = ["gateway", "portkey"];
  const slopeRows = [];
  for (const n of products) {
    const c = m.contenders[n];
    if (!c) {
      slopeRows.push([PATHS[n], "not installed", "–", "–", "–", "–"]);
      continue;
    }
    const fitted = (c.samples ?? []).filter((s) => s.t * 1000 >= m.warmupMs);
    for (const [measure, key, fit] of series(c)) {
      const ys = fitted.map((s) => s[key]).filter(Number.isFinite);
      const gated = measure === gatedMeasure(c);
      slopeRows.push([
        PATHS[n],
        gated ? `**${MEASURE_NAMES[measure]}** (gated)` : MEASURE_NAMES[measure],
        ys.length ? `${f(ys[0], 1)} → ${f(ys.at(-1), 1)}` : "–",
        ys.length ? `${f(Math.min(...ys), 1)}–${f(Math.max(...ys), 1)}` : "–",
        `${plusMinus(fit.slopeMBPerMin, fit.slopeStdErr)}${Number.isFinite(fit.r2) ? ` (r² ${f(fit.r2)})` : ""}`,
        gated ? soakVerdict(c) : "not gated",
      ]);
    }
  }
  const sampled = gc
    ? `every ${secs(m.intervalMs)}: RSS (/proc VmRSS) and \`process.memoryUsage()\` as they are, then, asked over IPC, one full GC in the process (\`global.gc()\`, both products run with \`--expose-gc\`) and \`process.memoryUsage()\` right after it`
    : `RSS from /proc every ${secs(m.intervalMs)}, no GC forced`;
  const why = gc
    ? "The gate is on the slope of **RSS after a full GC**: a leak is memory that survives a full GC (reachable objects, or native memory never freed), and post-GC RSS still counts native memory, while RSS as it is also moves with how much garbage V8 lets pile up before it collects (tens of MB either way), which is not growth. A full GC returns little memory to the system, though: post-GC RSS still moves with the pages V8 keeps committed and with native memory, so its 10-minute slope is good to about ±1 MB/min from run to run on a shared machine. RSS as it is and heapUsed after a GC (the live JS heap: the steady figure, but blind to native memory) are reported, not gated."
    : "The gate is on the slope of RSS as it is (no GC was forced in this run).";
  return [
    `Memory: ${secs(m.ms)} of load per product at c=${m.concurrency} (${m.concurrency - m.streamWorkers} workers sending non-streamed requests, ${m.streamWorkers} reading paced streams, back to back), one product after the other; sampled ${sampled}; the first ${secs(m.warmupMs)} dropped, least-squares slope over the rest (± its standard error; the gate is on the slope itself, < ${m.contenders.gateway?.gate.limitMBPerMin ?? 1} MB/min). ${why}${m.note ? ` **${m.note}.**` : ""}`,
    "",
    table(
      [
        "Product",
        "requests (errors)",
        "req/s",
        "CPU µs/req",
        ...(gc ? ["forced GC pause, ms: median (max)"] : []),
        "samples fitted",
      ],
      products.map((n) => {
        const c = m.contenders[n];
        if (!c) return [PATHS[n], "not installed", "–", "–", ...(gc ? ["–"] : []), "–"];
        return [
          PATHS[n],
          `${int(c.requests)} (${int(c.errors)})`,
          int(c.requestsPerSecond),
          int(c.processCpuUsPerRequest),
          ...(gc
            ? [
                c.afterGc
                  ? `${f(c.afterGc.gcPauseMsMedian, 1)} (${f(c.afterGc.gcPauseMsMax, 1)})`
                  : "–",
              ]
            : []),
          int(c.samplesFitted),
        ];
      }),
    ),
    table(
      ["Product", "Measure", "after warm-up → end, MB", "min–max, MB", "slope, MB/min", "gate"],
      slopeRows,
    ),
  ];
}

/** Gate rows of the memory soak: the gated slope, and the raw RSS slope for information. */
function memoryGateRows(m, pk) {
  const gm = m.contenders.gateway;
  const pm = m.contenders.portkey;
  const theirs = (c, v) => (c ? v(c) : pk?.installed ? "–" : "not installed");
  const gcGated = gm && gatedMeasure(gm) === "rssAfterGc";
  const gated = (c) => `${plusMinus(gatedSlope(c), gatedStdErr(c))} MB/min ${soakVerdict(c)}`;
  const raw = (c) => `${plusMinus(c.rssSlopeMBPerMin, c.rssSlopeStdErr)} MB/min`;
  const rows = [
    [
      `memory: slope of ${gcGated ? "post-GC RSS" : "RSS"} after warm-up (${secs(m.ms)} soak)`,
      "< 1 MB/min",
      gm ? gated(gm) : "–",
      theirs(pm, gated),
    ],
  ];
  if (gcGated)
    rows.push(["memory: slope of RSS as it is (not gated)", "–", raw(gm), theirs(pm, raw)]);
  return rows;
}

function portkeyLine(pk) {
  return pk?.installed
    ? `Portkey: @portkey-ai/gateway ${pk.version} (hono ${pk.hono}, @hono/node-server ${pk.honoNodeServer}) from ${pk.dir}, started with \`--headless\` and preloaded with \`fetch-mutable-headers.mjs\` (its streams fail on Node 20 without it) and the harness's IPC probe.`
    : `Portkey: **not installed** (looked in ${pk?.dir}); install it with ${pk?.install}.`;
}

/** The gateway-memory scenario's result (`{portkey, memory}`) on its own. */
export function renderGatewayMemory(run) {
  return [
    "### Gateway (step 3): memory soak",
    "",
    portkeyLine(run.portkey),
    "",
    ...memoryBlock(run.memory),
    "Gate (the gateway's; Portkey held to the same bar for information):",
    "",
    table(["Gate", "Bar", "@rephysco/gateway", "Portkey"], memoryGateRows(run.memory, run.portkey)),
  ].join("\n");
}

/**
 * The gateway scenario's result `g`, with the memory soak of `memory` (the gateway-memory
 * scenario's, when it ran) or else its own short one.
 */
export function renderGatewayStep3(g, memory = g.memory) {
  const pk = g.portkey;
  const out = [
    "### Gateway (step 3): side by side with Portkey, and memory",
    "",
    portkeyLine(pk),
    "",
    `Same client (fetch), same run, ${g.rounds} alternating rounds; every path in its own process. Median over rounds [min–max].`,
    "",
    `Concurrency 1 (${g.c1.requestsPerRound} requests per path per round):`,
    "",
    table(
      ["Path", "p50 ms", "p99 ms", "p50 − proxy p50, ms", "process CPU µs/req"],
      rows(g.c1, pk, (c, n) => [
        spread(c.p50Ms, 3),
        spread(c.p99Ms, 3),
        n === "proxy" || n === "direct" ? "–" : spread(c.minusProxyP50Ms, 3),
        c.processCpuUsPerRequest ? int(c.processCpuUsPerRequest.median) : "–",
      ]),
    ),
    `Concurrency ${g.c64.concurrency} (${g.c64.requestsPerRound} requests per path per round):`,
    "",
    table(
      ["Path", "req/s", "ratio to proxy", "process CPU µs/req"],
      rows(g.c64, pk, (c) => [
        int(c.rps?.median),
        spread(c.ratioToProxy),
        c.processCpuUsPerRequest ? spread(c.processCpuUsPerRequest, 0) : "–",
      ]),
    ),
    `Paced stream (${g.stream.chunks} chunks, mock chunkDelayMs ${g.stream.chunkDelayMs}, ${g.stream.streamsPerRound} per path per round):`,
    "",
    table(
      ["Path", "ms to last chunk", "ratio to direct", "process CPU ms/stream"],
      rows(g.stream, pk, (c) => [
        spread(c.msToLastChunk, 1),
        spread(c.ratioToDirect, 3),
        c.processCpuMsPerStream ? f(c.processCpuMsPerStream.median) : "–",
      ]),
    ),
  ];
  const m = memory;
  if (m) out.push(...memoryBlock(m));
  else out.push("Memory: no soak in this run.", "");
  const gate = (name, bar, ours, theirs, oursPass, theirsPass) => [
    name,
    bar,
    `${ours} ${pf(oursPass)}`,
    pk?.installed ? `${theirs} ${pf(theirsPass)}` : "not installed",
  ];
  out.push(
    "Gates (the gateway's; Portkey held to the same bars for information):",
    "",
    table(
      ["Gate", "Bar", "@rephysco/gateway", "Portkey"],
      [
        gate(
          "c=1: p50 added over a bare proxy",
          `<= ${g.c1.gate.limitMs} ms`,
          `${f(g.c1.gatewayMinusProxyP50Ms.median, 3)} ms`,
          `${f(g.c1.portkeyMinusProxyP50Ms?.median, 3)} ms`,
          g.c1.gate.pass,
          g.c1.portkeyGate?.pass,
        ),
        gate(
          "c=64: throughput over a bare proxy",
          `>= ${g.c64.gate.floor}`,
          f(g.c64.gatewayOverProxy.median),
          f(g.c64.portkeyOverProxy?.median),
          g.c64.gate.pass,
          g.c64.portkeyGate?.pass,
        ),
        gate(
          "paced stream: time to last chunk over direct",
          `<= ${g.stream.gate.limit}`,
          f(g.stream.gatewayOverDirect.median, 3),
          f(g.stream.portkeyOverDirect?.median, 3),
          g.stream.gate.pass,
          g.stream.portkeyGate?.pass,
        ),
        ...(m ? memoryGateRows(m, pk) : []),
      ],
    ),
  );
  if (pk?.installed) {
    out.push(
      `Gateway against Portkey, per round: c=1 p50 difference ${spread(g.c1.gatewayMinusPortkeyP50Ms, 3)} ms (negative: the gateway is faster); c=64 throughput ratio ${spread(g.c64.gatewayOverPortkey)} (above 1: the gateway is faster).`,
      "",
    );
  }
  out.push(...QUOTED, "");
  return out.join("\n");
}
