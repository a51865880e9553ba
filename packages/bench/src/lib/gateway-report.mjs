// Markdown for the gateway scenario's step-3 figures (issue #18): every figure side by side with
// Portkey's gateway, the gates for both, and the memory soak. The scenario logs it at its end;
// `node src/gateway-report.mjs [results/latest.json]` prints it from a saved run.

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

const f = (x, d = 2) => (Number.isFinite(x) ? x.toFixed(d) : "–");
const int = (x) => (Number.isFinite(x) ? Math.round(x).toLocaleString("en-US") : "–");
const spread = (s, d = 2) => (s ? `${f(s.median, d)} [${f(s.min, d)}–${f(s.max, d)}]` : "–");
const secs = (ms) => `${Number((ms / 1000).toFixed(1))} s`;
const pf = (pass) => (pass === undefined ? "–" : pass ? "PASS" : "**FAIL**");

function table(head, rows) {
  return [
    `| ${head.join(" | ")} |`,
    `|${head.map(() => "---").join("|")}|`,
    ...rows.map((row) => `| ${row.join(" | ")} |`),
    "",
  ].join("\n");
}

/** Rows for every path, with a "not installed" row for Portkey when it is missing. */
function rows(block, portkey, cells) {
  const out = Object.entries(block.contenders).map(([n, c]) => [PATHS[n] ?? n, ...cells(c, n)]);
  if (!portkey?.installed) {
    const width = cells({}, "portkey").length;
    out.push([PATHS.portkey, "not installed", ...Array(width - 1).fill("–")]);
  }
  return out;
}

function soakVerdict(m) {
  if (!m) return "–";
  const v = pf(m.gate.pass);
  return m.gate.conclusive ? v : `${v.replace(/\*/g, "")} (short soak: indication only)`;
}

export function renderGatewayStep3(g) {
  const pk = g.portkey;
  const out = [
    "### Gateway (step 3): side by side with Portkey, and memory",
    "",
    pk?.installed
      ? `Portkey: @portkey-ai/gateway ${pk.version} (hono ${pk.hono}, @hono/node-server ${pk.honoNodeServer}) from ${pk.dir}, started with \`--headless\` and preloaded with \`fetch-mutable-headers.mjs\` (its streams fail on Node 20 without it) and the harness's IPC probe.`
      : `Portkey: **not installed** (looked in ${pk?.dir}); install it with ${pk?.install}.`,
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
  const m = g.memory;
  if (m) {
    out.push(
      `Memory: ${secs(m.ms)} of load per product at c=${m.concurrency} (${m.concurrency - m.streamWorkers} workers sending non-streamed requests, ${m.streamWorkers} reading paced streams, back to back), RSS from /proc every ${secs(m.intervalMs)}, the first ${secs(m.warmupMs)} dropped, least-squares slope over the rest (± its standard error; the gate is on the slope itself).${m.note ? ` **${m.note}.**` : ""}`,
      "",
      table(
        [
          "Product",
          "requests (errors)",
          "req/s",
          "CPU µs/req",
          "RSS after warm-up → end, MB",
          "RSS min–max, MB",
          "RSS slope, MB/min",
          "heapUsed slope, MB/min",
          "gate < 1 MB/min",
        ],
        ["gateway", "portkey"].map((n) => {
          const c = m.contenders[n];
          if (!c) return [PATHS[n], "not installed", "–", "–", "–", "–", "–", "–", "–"];
          return [
            PATHS[n],
            `${int(c.requests)} (${int(c.errors)})`,
            int(c.requestsPerSecond),
            int(c.processCpuUsPerRequest),
            `${f(c.rssAtWarmupEndMB, 1)} → ${f(c.rssAtEndMB, 1)}`,
            `${f(c.rssMinMB, 1)}–${f(c.rssMaxMB, 1)}`,
            `${f(c.rssSlopeMBPerMin, 3)} ± ${f(c.rssSlopeStdErr, 3)} (r² ${f(c.rssFitR2)}, ${c.samplesFitted} samples)`,
            `${f(c.heapUsedSlopeMBPerMin, 3)} ± ${f(c.heapUsedSlopeStdErr, 3)}`,
            soakVerdict(c),
          ];
        }),
      ),
    );
  }
  const gate = (name, bar, ours, theirs, oursPass, theirsPass) => [
    name,
    bar,
    `${ours} ${pf(oursPass)}`,
    pk?.installed ? `${theirs} ${pf(theirsPass)}` : "not installed",
  ];
  const gm = m?.contenders.gateway;
  const pm = m?.contenders.portkey;
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
        ...(m
          ? [
              [
                `memory: RSS slope after warm-up (${secs(m.ms)} soak)`,
                "< 1 MB/min",
                gm ? `${f(gm.rssSlopeMBPerMin, 3)} MB/min ${soakVerdict(gm)}` : "–",
                pm ? `${f(pm.rssSlopeMBPerMin, 3)} MB/min ${soakVerdict(pm)}` : "not installed",
              ],
            ]
          : []),
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
