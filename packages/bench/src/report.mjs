// Renders the results of a run as Markdown tables, with the issue's targets checked.
import { renderGatewayMemory, renderGatewayStep3 } from "./lib/gateway-report.mjs";
import { f, int, table } from "./lib/markdown.mjs";

const LABELS = {
  raw: "openai SDK (raw)",
  rephysco: "Rephysco",
  aisdk: "Vercel AI SDK",
  fetch: "fetch floor",
  baseline: "node, no import",
  core: "@rephysco/core alone",
  rephyscoGemini: "Rephysco core + gemini",
  rawGemini: "@google/genai (raw)",
  local: "Rephysco + limits() (memory)",
  redis: "Rephysco + limits() (Redis)",
};

/** "median [min–max]" of a ratio summary. */
const r = (s) => (s ? `**${f(s.median)}** [${f(s.min)}–${f(s.max)}]` : "–");
const kb = (b) => `${(b / 1024).toFixed(1)} KB`;
const mb = (b) => `${(b / 2 ** 20).toFixed(2)} MB`;
const verdict = (ok) => (ok ? "met" : "**missed**");

function label(name, gemini) {
  if (gemini && name === "raw") return LABELS.rawGemini;
  return LABELS[name] ?? name;
}

function overheadTable(block, gemini = false) {
  return table(
    ["Contender", "req/s *", "µs/req *", "ratio, wall", "client CPU µs/req *", "ratio, CPU"],
    Object.entries(block.contenders).map(([n, c]) => [
      label(n, gemini),
      int(c.rps.median),
      int(c.usPerRequest.median),
      r(c.ratio),
      int(c.cpuUsPerRequest.median),
      r(c.cpuRatio),
    ]),
  );
}

function streamTable(block, gemini = false) {
  return table(
    [
      "Contender",
      "ms to last chunk *",
      "chunks/s *",
      "ratio, wall",
      "client CPU ms/stream *",
      "ratio, CPU",
    ],
    Object.entries(block.contenders).map(([n, c]) => [
      label(n, gemini),
      f(c.msToLastChunk.median, 1),
      int(c.chunksPerSecond.median),
      r(c.ratio),
      f(c.cpuMsPerStream.median, 1),
      r(c.cpuRatio),
    ]),
  );
}

/** Target checks: the median ratio, and whether the whole spread clears the bar. */
function target(name, ratio, bar, other) {
  if (!ratio) return [];
  const ahead = other ? ratio.median > other.median : true;
  const ok = ratio.median >= bar && ahead;
  return [
    [
      name,
      `>= ${bar}${other ? ", ahead of AI SDK" : ""}`,
      `${f(ratio.median)}${other ? ` vs ${f(other.median)}` : ""}`,
      verdict(ok),
    ],
  ];
}

/**
 * The gateway scenarios (issue #18): the step-3 tables (every path side by side with Portkey, the
 * memory soak: the gateway-memory scenario's 10-minute one when it ran, else the gateway
 * scenario's short one) from src/lib/gateway-report.mjs, and their gates in the Targets table.
 */
function gatewaySection(g, soakRun, out, checks) {
  const memory = soakRun?.memory ?? g?.memory;
  if (g) out.push(renderGatewayStep3(g, memory));
  else if (soakRun) out.push(renderGatewayMemory(soakRun));
  const pf = (pass) => (pass ? "PASS" : "**FAIL**");
  if (g)
    checks.push(
      [
        "Gateway c=1: p50 added over a bare proxy",
        `<= ${g.c1.gate.limitMs} ms`,
        `${f(g.c1.gatewayMinusProxyP50Ms.median, 3)} ms`,
        pf(g.c1.gate.pass),
      ],
      [
        "Gateway c=64: throughput over a bare proxy",
        `>= ${g.c64.gate.floor}`,
        f(g.c64.gatewayOverProxy.median),
        pf(g.c64.gate.pass),
      ],
      [
        "Gateway paced stream: time to last chunk over direct",
        `<= ${g.stream.gate.limit}`,
        f(g.stream.gatewayOverDirect.median, 3),
        pf(g.stream.gate.pass),
      ],
    );
  const c = memory?.contenders.gateway;
  if (c) {
    const measure = c.gate.measure === "rssAfterGc" ? "post-GC RSS" : "RSS";
    const stdErr = c.gate.slopeStdErr ?? c.rssSlopeStdErr;
    checks.push([
      `Gateway memory: slope of ${measure} after warm-up (${Math.round(memory.ms / 1000)} s soak)`,
      `< ${c.gate.limitMBPerMin} MB/min`,
      `${f(c.gate.slopeMBPerMin ?? c.rssSlopeMBPerMin, 3)}${Number.isFinite(stdErr) ? ` ± ${f(stdErr, 3)}` : ""} MB/min`,
      c.gate.conclusive ? pf(c.gate.pass) : "indication only (short soak)",
    ]);
  }
}

export function renderReport({ machine: m, scenarios: s }) {
  const out = [];
  out.push(
    `## Results (${m.quick ? "BENCH_QUICK=1" : "full run"}, ${m.date.slice(0, 10)}, commit ${m.commit})`,
    "",
  );
  out.push(
    `Machine: ${m.cpus} CPUs (${m.cpu}), ${m.memoryGiB} GiB, Node ${m.node}; ${m.rounds} rounds per comparison; run took ${m.durationS ?? "?"} s.`,
    `Versions: ${Object.entries(m.versions)
      .map(([k, v]) => `${k} ${v}`)
      .join(", ")}.`,
    "",
    "Ratios are per round against the raw SDK of the same round, then the median **and** [min–max] over rounds; above 1 is better than the raw SDK (faster, cheaper, smaller). Figures marked * are absolute and true of this machine only.",
    "",
  );
  const checks = [];
  if (s.overhead) {
    const o = s.overhead;
    out.push("### 1. Non-streaming request overhead", "");
    out.push(
      `Concurrency 1 (${o.c1.requestsPerRound} requests per contender per round):`,
      "",
      overheadTable(o.c1),
    );
    out.push(
      `Concurrency 64 (${o.c64.requestsPerRound} requests per contender per round):`,
      "",
      overheadTable(o.c64),
    );
    if (o.geminiC1)
      out.push(
        "Gemini, concurrency 1 (ratios against raw `@google/genai`):",
        "",
        overheadTable(o.geminiC1, true),
      );
    for (const [k, b] of [
      ["c=1", o.c1],
      ["c=64", o.c64],
    ]) {
      checks.push(
        ...target(
          `Overhead ${k}, wall`,
          b.contenders.rephysco?.ratio,
          0.97,
          b.contenders.aisdk?.ratio,
        ),
      );
      checks.push(
        ...target(
          `Overhead ${k}, client CPU`,
          b.contenders.rephysco?.cpuRatio,
          0.97,
          b.contenders.aisdk?.cpuRatio,
        ),
      );
    }
  }
  if (s.streaming) {
    const st = s.streaming;
    out.push(`### 2. Streaming a ${st.burst?.chunks ?? 2000}-chunk answer`, "");
    if (st.burst)
      out.push(
        "Burst (the whole answer written at once; the client reads as fast as it can):",
        "",
        streamTable(st.burst),
      );
    if (st.paced)
      out.push(
        `Paced (${st.paced.eventsPerWrite} events per write, one write per ms, as on a live connection):`,
        "",
        streamTable(st.paced),
      );
    if (st.geminiPaced)
      out.push(
        "Gemini, paced (ratios against raw `@google/genai`):",
        "",
        streamTable(st.geminiPaced, true),
      );
    for (const [k, b] of [
      ["burst", st.burst],
      ["paced", st.paced],
    ]) {
      if (!b) continue;
      checks.push(
        ...target(
          `Streaming ${k}, wall`,
          b.contenders.rephysco?.ratio,
          0.95,
          b.contenders.aisdk?.ratio,
        ),
      );
      checks.push(
        ...target(
          `Streaming ${k}, client CPU`,
          b.contenders.rephysco?.cpuRatio,
          0.95,
          b.contenders.aisdk?.cpuRatio,
        ),
      );
    }
  }
  if (s.cache) {
    const c = s.cache;
    out.push(`### 3. Cache (a ${kb(c.conversationBytes)} conversation)`, "");
    const rawUs = c.hitsUs["raw SDK request (no cache)"]?.median;
    out.push(
      table(
        ["Path", "median µs *", "[min–max] µs *", "ratio to an uncached raw SDK request"],
        Object.entries(c.hitsUs).map(([n, v]) => [
          n,
          f(v.median),
          `${f(v.min)}–${f(v.max)}`,
          f(rawUs / v.median, 1),
        ]),
      ),
    );
    if (!c.fileStore)
      out.push("(fileStore is not exported by this build of @rephysco/core: not measured.)", "");
    out.push(
      "`cacheKey()` (SHA-256 over the canonical request) versus conversation size:",
      "",
      table(
        ["Conversation", "median µs *", "[min–max] µs *", "MB/s *"],
        Object.entries(c.cacheKeyUs).map(([n, v]) => {
          const bytes = { "1 KB": 1024, "10 KB": 10240, "100 KB": 102400, "1 MB": 1048576 }[n];
          return [n, f(v.median), `${f(v.min)}–${f(v.max)}`, int(bytes / v.median)];
        }),
      ),
    );
    const hit = c.hitsUs["memory hit"];
    checks.push([
      "Memory cache hit, 1 KB conversation",
      "< 50 µs",
      `${f(hit?.median)} µs (max ${f(hit?.max)})`,
      verdict(hit?.max < 50),
    ]);
  }
  if (s["cold-start"]) {
    const cs = s["cold-start"];
    out.push(`### 4. Cold start (${cs.rounds} fresh processes each)`, "");
    out.push(
      table(
        ["Imports", "process wall ms *", "import ms *", "import time, ratio to raw openai"],
        Object.values(cs.contenders).map((c) => [
          c.imports.length ? c.imports.map((i) => `\`${i}\``).join(" + ") : LABELS.baseline,
          f(c.processMs.median, 1),
          f(c.importMs.median, 1),
          r(c.ratio),
        ]),
      ),
    );
    if (cs.firstCallMs) {
      out.push(
        "",
        "The first call in a fresh process, after the imports (a lazily loaded SDK is loaded here), against the local server:",
        "",
        table(
          ["First call", "ms (median)", "[min–max]"],
          Object.entries(cs.firstCallMs).map(([n, v]) => [
            n === "raw" ? "raw `openai` SDK" : "Rephysco (`@rephysco/openai`)",
            f(v.median, 1),
            `${f(v.min, 1)}–${f(v.max, 1)}`,
          ]),
        ),
      );
    }
    const core = cs.contenders.core?.importMs.median;
    const both = cs.contenders.rephysco?.importMs.median;
    if (core !== undefined && both !== undefined) {
      checks.push([
        "Import `@rephysco/core` + `@rephysco/openai`",
        "<= 15 ms and <= 1.5x core alone",
        `${f(both, 1)} ms, ${f(both / core)}x core (${f(core, 1)} ms)`,
        verdict(both <= 15 && both <= 1.5 * core),
      ]);
    }
  }
  if (s["bundle-size"]) {
    const b = s["bundle-size"];
    out.push("### 5. Bundle size (esbuild, minified, ESM, platform node; gzip -9)", "");
    out.push(
      table(
        ["App", "minified", "gzip", "gzip ratio to openai SDK alone", "largest parts (minified)"],
        Object.values(b.apps).map((a) => [
          a.label,
          kb(a.minified),
          kb(a.gzip),
          f(a.ratio),
          Object.entries(a.packages)
            .filter(([p]) => p !== "(app)")
            .slice(0, 3)
            .map(([p, n]) => `${p} ${kb(n)}`)
            .join(", "),
        ]),
      ),
    );
    const reph = b.apps.rephysco;
    const ai = b.apps.aisdk;
    if (reph && ai)
      checks.push([
        "Bundle, core + openai vs AI SDK app",
        "smaller",
        `${kb(reph.gzip)} vs ${kb(ai.gzip)}`,
        verdict(reph.gzip < ai.gzip),
      ]);
  }
  if (s.memory) {
    const mm = s.memory;
    out.push(
      `### 6. Memory: heap held by ${mm.streams} concurrent open streams (${mm.rounds} fresh processes each)`,
      "",
    );
    out.push(
      table(
        [
          "Contender",
          "heap *",
          "per stream *",
          "external + array buffers *",
          "ratio (raw heap / heap)",
        ],
        Object.entries(mm.contenders).map(([n, c]) => [
          label(n),
          mb(c.heapBytes.median),
          kb(c.heapBytes.median / mm.streams),
          mb(c.externalBytes.median),
          r(c.ratio),
        ]),
      ),
    );
  }
  if (s.tools) {
    const t = s.tools;
    out.push(
      `### 7. Tool calls and structured output (a ${kb(t.bytes)} JSON object, ${int(t.deltas)} deltas)`,
      "",
      `The object: ${t.items} items of ${t.schemaProperties} fields each. Wall and client CPU time per stream, to the parsed value. Ratios to raw as above (raw SDK time / contender time, above 1 is better); "Rephysco vs" rows give the AI SDK's time over Rephysco's, per round (above 1: Rephysco is faster or cheaper by that factor).`,
      "",
    );
    const blocks = [
      [
        "Tool-call stream (arguments in 2,000 fragments, read to the parsed call)",
        "Tool-call stream",
        t.toolCall,
      ],
      [
        "`streamObject` (the object as JSON text in 2,000 deltas, every partial read, then the final object)",
        "streamObject",
        t.object,
      ],
    ];
    for (const [title, short, pair] of blocks) {
      out.push(`**${title}**`, "");
      for (const mode of ["burst", "paced"]) {
        const b = pair?.[mode];
        if (!b) continue;
        out.push(
          mode === "burst"
            ? "Burst (written at once):"
            : `Paced (${b.eventsPerWrite} events per write, one write per ms):`,
          "",
          table(
            [
              "Contender",
              "deltas or partials yielded",
              "ms/stream *",
              "ratio to raw, wall",
              "client CPU ms/stream *",
              "ratio to raw, CPU",
            ],
            Object.entries(b.contenders).map(([, c]) => [
              c.label,
              int(c.deltasSeen),
              f(c.msPerStream.median, 1),
              r(c.ratio),
              f(c.cpuMsPerStream.median, 1),
              r(c.cpuRatio),
            ]),
          ),
        );
        const vs = Object.entries(b.rephyscoVersus ?? {});
        if (vs.length) {
          out.push(
            table(
              ["Rephysco vs", "wall (AI SDK / Rephysco)", "CPU (AI SDK / Rephysco)"],
              vs.map(([n, v]) => [b.contenders[n].label, r(v.wall), r(v.cpu)]),
            ),
          );
          for (const [n, v] of vs) {
            if (n !== "aisdk") continue;
            for (const [clock, ratio] of [
              ["wall", v.wall],
              ["client CPU", v.cpu],
            ])
              checks.push([
                `${short} ${mode}, ${clock}`,
                "ahead of AI SDK (AI SDK / Rephysco > 1)",
                `${f(ratio.median)} [${f(ratio.min)}–${f(ratio.max)}]`,
                verdict(ratio.median > 1),
              ]);
          }
        }
      }
    }
  }
  if (s.limits) {
    const l = s.limits;
    out.push(
      `### 8. Limits: what \`limits()\` adds to a request (${kb(l.promptBytes)} prompt, estimated at ${l.promptTokensEstimate} tokens)`,
      "",
      "Non-streaming generate at concurrency 1; the limits are one requests rule, one tokens rule (60 s windows, per account) and one USD budget per day, all too large to block. Redis: " +
        `${l.redis}. The Vercel AI SDK has no limiter: it runs plain, as in the other scenarios.`,
      "",
      overheadTable(l.c1),
    );
    const added = Object.entries(l.c1.added ?? {});
    if (added.length)
      out.push(
        "Added by limits() over the same client without it, per round (paired), µs per request:",
        "",
        table(
          ["Store", "wall µs, median [min–max] *", "client CPU µs, median [min–max] *"],
          added.map(([n, a]) => [
            label(n),
            `**${f(a.wallUs.median, 0)}** [${f(a.wallUs.min, 0)}–${f(a.wallUs.max, 0)}]`,
            `**${f(a.cpuUs.median, 0)}** [${f(a.cpuUs.min, 0)}–${f(a.cpuUs.max, 0)}]`,
          ]),
        ),
      );
    out.push(
      "The limiter alone (tinybench, median of per-round p50s; the middleware called as the pipeline calls it, around an answer that is already there):",
      "",
      table(
        ["Task", "µs/op, median *", "[min–max] *"],
        Object.entries(l.limiter).map(([n, v]) => [n, f(v.median), `${f(v.min)}–${f(v.max)}`]),
      ),
    );
    if (l.settleUsByWindowEntries)
      out.push(
        "Memory store: acquire + settle of one request against how many entries its window holds (a window holds rate x windowMs entries):",
        "",
        table(
          ["Entries in the window", "µs per acquire + settle, min of 7 batches *", "median *"],
          Object.entries(l.settleUsByWindowEntries).map(([n, v]) => [
            int(Number(n)),
            f(v.min, 1),
            f(v.median, 1),
          ]),
        ),
      );
    const rt = l.redisRoundTrips;
    if (rt)
      out.push(
        `Redis round trips, ${rt.requests} sequential requests (counted on the client's \`evalSha\`/\`eval\`, checked with MONITOR: ${rt.clientCommands} sent, ${rt.monitorCommands} seen by Redis): before the request is sent ${rt.beforeSend.min}–${rt.beforeSend.max}; in all (the settlement after the answer included) ${rt.perRequest.min}–${rt.perRequest.max}.`,
        "",
      );
    const local = l.c1.added?.local;
    const micro = l.limiter["limits(), memory: requests + tokens + USD budget (1 s windows)"];
    // End to end, a difference of two ~2 ms requests: on a shared machine its spread is often
    // far wider than the 50 µs bar, and then it can neither meet nor miss it.
    if (local) {
      const spread = local.wallUs.max - local.wallUs.min;
      checks.push([
        "Limits, local: added per request (end to end, wall)",
        "< 50 µs",
        `${f(local.wallUs.median, 0)} µs [${f(local.wallUs.min, 0)}–${f(local.wallUs.max, 0)}]`,
        spread > 100
          ? `inconclusive (spread ${f(spread, 0)} µs)`
          : verdict(local.wallUs.median < 50),
      ]);
    }
    if (micro)
      checks.push([
        "Limits, local: the limiter alone (requests + tokens + USD budget)",
        "< 50 µs",
        `${f(micro.median)} µs [${f(micro.min)}–${f(micro.max)}]`,
        verdict(micro.median < 50),
      ]);
    if (rt)
      checks.push([
        "Limits, Redis: round trips before the request",
        "1",
        `${rt.beforeSend.min}–${rt.beforeSend.max}`,
        verdict(rt.beforeSend.max === 1),
      ]);
  }
  if (s.gateway || s["gateway-memory"]) gatewaySection(s.gateway, s["gateway-memory"], out, checks);
  if (checks.length) {
    out.push("### Targets", "", table(["Target", "Bar", "Measured (median)", "Verdict"], checks));
  }
  return `${out.join("\n")}\n`;
}
