// The memory soak of the gateway (issue #18, step 3): sustained load on one gateway process at a
// time, its memory sampled every 5 s, least-squares slopes after the warm-up. The gate:
// "over a sustained 10-minute load, RSS after warm-up grows by less than 1 MB per minute (fit a
// slope)".
//
// What is gated: the slope of RSS right after a full GC. Before each sample the harness reads the
// process's RSS as it is (/proc/<pid>/status VmRSS) and its process.memoryUsage(), then asks it over
// IPC to run global.gc() (one major, synchronous mark-compact; the gateway and Portkey both run
// with --expose-gc) and to answer with process.memoryUsage() right after. RSS as it is swings by
// tens of MB as V8 grows and shrinks its heap with the allocation rate (two 10-minute runs of the
// same gateway fitted +1.48 and -1.00 MB/min), so its slope says more about where the heap stood at
// the two ends than about growth. A leak is memory that stays reachable, or native memory that is
// never freed: it survives a full GC, so it shows in the post-GC RSS (which still holds every
// native allocation, buffers and malloc arenas included), while the heap the next GC would have
// freed does not. The raw RSS slope and the post-GC heapUsed slope (the live JS heap alone, the
// steadiest figure, blind to native memory) are reported beside it, not gated. What the GC does
// not remove: a full GC returns little memory to the system (V8 keeps its committed pages, malloc
// keeps its arenas), so post-GC RSS still swings by tens of MB, and in two 10-minute runs its
// slope moved about as much as the raw one (gateway -1.30 then -0.07 MB/min; BENCHMARKS.md, step
// 3): it measures the right thing, to about +-1 MB/min per run on a shared 2-core machine.
//
// Length: the gateway-memory scenario runs the 10 minutes per product (GATEWAY_SOAK_MS to
// change it). The gateway scenario runs a short soak, 120 s per product (60 s under BENCH_QUICK=1,
// GATEWAY_SOAK_MS if set), marked "indication only", and none when BENCH_ONLY also names
// gateway-memory (which soaks). Warm-up dropped: GATEWAY_SOAK_WARMUP_MS, default the first 60 s (a
// third of a shorter soak). GATEWAY_SOAK_GC=0 samples without forcing a GC (the step-3 method of
// b31b316; the gate then falls back to raw RSS). Each product is soaked on its own, one after the
// other.
import { QUICK } from "./config.mjs";
import { plain, stream } from "./gateway-paths.mjs";
import { log } from "./log.mjs";

export const SOAK_GATE_MB_PER_MIN = 1;
/** The soak: 10 minutes. */
const FULL_MS = 600_000;

/** The scenarios named by BENCH_ONLY (empty: every default scenario). */
function benchOnly() {
  return process.env.BENCH_ONLY?.split(",").map((s) => s.trim()) ?? [];
}

/**
 * The soak's settings for `scenario` ("gateway-memory": the 10 minutes; "gateway": a short
 * soak), or undefined when the gateway scenario should not soak (gateway-memory runs too).
 */
export function soakSettings(scenario) {
  if (scenario === "gateway" && benchOnly().includes("gateway-memory")) return undefined;
  const fallback = scenario === "gateway-memory" ? FULL_MS : QUICK ? 60_000 : 120_000;
  const ms = Number(process.env.GATEWAY_SOAK_MS ?? fallback);
  const warmupMs = Number(
    process.env.GATEWAY_SOAK_WARMUP_MS ?? Math.min(60_000, Math.round(ms / 3)),
  );
  return {
    ms,
    warmupMs,
    intervalMs: Number(process.env.GATEWAY_SOAK_INTERVAL_MS ?? 5000),
    concurrency: 16,
    // 12 workers send non-streamed requests back to back, 4 read paced streams back to back.
    streamWorkers: 4,
    // A full GC before every sample; the gate is on post-GC RSS (see the top of this file).
    gc: process.env.GATEWAY_SOAK_GC !== "0",
    full: ms >= FULL_MS,
  };
}

/** Least-squares line through (x, y): slope, intercept, r² and the standard error of the slope. */
export function fitLine(xs, ys) {
  const n = xs.length;
  if (n < 2) return { slope: Number.NaN, intercept: Number.NaN, r2: Number.NaN, n };
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let sxx = 0;
  let sxy = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    sxx += (xs[i] - mx) ** 2;
    sxy += (xs[i] - mx) * (ys[i] - my);
    syy += (ys[i] - my) ** 2;
  }
  const slope = sxy / sxx;
  const intercept = my - slope * mx;
  let sse = 0;
  for (let i = 0; i < n; i++) sse += (ys[i] - intercept - slope * xs[i]) ** 2;
  const stdErr = n > 2 ? Math.sqrt(sse / (n - 2) / sxx) : Number.NaN;
  return { slope, intercept, r2: syy === 0 ? 0 : (sxy * sxy) / (sxx * syy), stdErr, n };
}

const MB = 2 ** 20;
const round = (x, d = 3) => Math.round(x * 10 ** d) / 10 ** d;
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s[(s.length - 1) >> 1] + s[s.length >> 1]) / 2 : Number.NaN;
};

/** Slope (MB/min), its standard error, r², and the first, last, min and max of one series. */
function describe(minutes, ys) {
  const fit = fitLine(minutes, ys);
  return {
    slopeMBPerMin: round(fit.slope, 4),
    slopeStdErr: round(fit.stdErr, 4),
    r2: round(fit.r2),
    firstMB: ys[0],
    lastMB: ys.at(-1),
    minMB: Math.min(...ys),
    maxMB: Math.max(...ys),
  };
}

/**
 * Soaks one path (`target`: url + headers) served by process `proc` (rss(), memory(),
 * memoryAfterGc(), cpuUs()): `concurrency` workers for `ms`, memory sampled every `intervalMs`
 * from t = 0: RSS and process.memoryUsage() as they are, then (with `gc`) the same after a full GC.
 */
export async function soak(name, target, proc, settings) {
  const { ms, warmupMs, intervalMs, concurrency, streamWorkers } = settings;
  const counts = { plain: 0, stream: 0, errors: 0 };
  let firstError;
  let gcForced = settings.gc;
  const samples = [];
  const t0 = performance.now();
  const stopAt = t0 + ms;
  const cpu0 = await proc.cpuUs();

  const sample = async () => {
    const t = (performance.now() - t0) / 1000;
    const [rss, mem] = await Promise.all([proc.rss(), proc.memory()]);
    const s = {
      t: round(t, 2),
      rssMB: round(rss / MB),
      heapUsedMB: round(mem.heapUsed / MB),
      heapTotalMB: round(mem.heapTotal / MB),
      externalMB: round(mem.external / MB),
      requests: counts.plain + counts.stream,
    };
    if (settings.gc) {
      const after = await proc.memoryAfterGc();
      gcForced &&= after.forced;
      Object.assign(s, {
        rssAfterGcMB: round(after.rss / MB),
        heapUsedAfterGcMB: round(after.heapUsed / MB),
        heapTotalAfterGcMB: round(after.heapTotal / MB),
        externalAfterGcMB: round(after.external / MB),
        gcPauseMs: round(after.pauseMs, 1),
      });
    }
    samples.push(s);
  };
  const sampler = (async () => {
    for (let k = 0; ; k++) {
      const due = t0 + k * intervalMs;
      if (due > stopAt) break;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      await sample();
      if (k % Math.max(1, Math.round(60_000 / intervalMs)) === 0 && k > 0) {
        const last = samples.at(-1);
        log(
          `gateway soak ${name}: ${Math.round(last.t)} s, RSS ${last.rssMB} MB` +
            (settings.gc
              ? `, after GC: RSS ${last.rssAfterGcMB} MB, heapUsed ${last.heapUsedAfterGcMB} MB`
              : ""),
        );
      }
    }
  })();
  const worker = async (isStream) => {
    while (performance.now() < stopAt) {
      try {
        if (isStream) {
          await stream(target);
          counts.stream++;
        } else {
          await plain(target);
          counts.plain++;
        }
      } catch (error) {
        counts.errors++;
        firstError ??= String(error?.message ?? error).slice(0, 300);
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, (_, i) => worker(i < streamWorkers)));
  await sampler;
  const elapsedS = (performance.now() - t0) / 1000;
  const cpuUs = (await proc.cpuUs()) - cpu0;

  const fitted = samples.filter((s) => s.t * 1000 >= warmupMs);
  const minutes = fitted.map((s) => s.t / 60);
  const series = (key) =>
    describe(
      minutes,
      fitted.map((s) => s[key]),
    );
  const rss = series("rssMB");
  const heapUsed = series("heapUsedMB");
  const afterGc = settings.gc && {
    rss: series("rssAfterGcMB"),
    heapUsed: series("heapUsedAfterGcMB"),
    external: series("externalAfterGcMB"),
    gcPauseMsMedian: round(median(fitted.map((s) => s.gcPauseMs)), 1),
    gcPauseMsMax: Math.max(...fitted.map((s) => s.gcPauseMs)),
    forced: gcForced,
  };
  // The gated figure: post-GC RSS when the process could be asked for a GC, raw RSS otherwise.
  const gated = afterGc?.forced ? afterGc.rss : rss;
  const requests = counts.plain + counts.stream;
  return {
    seconds: round(elapsedS, 1),
    requests,
    plain: counts.plain,
    streams: counts.stream,
    errors: counts.errors,
    ...(firstError && { firstError }),
    requestsPerSecond: round(requests / elapsedS, 1),
    processCpuUsPerRequest: round(cpuUs / requests, 1),
    // Raw RSS and heapUsed, as sampled before the forced GC (the figures of b31b316).
    rssAtWarmupEndMB: rss.firstMB,
    rssAtEndMB: rss.lastMB,
    rssMinMB: rss.minMB,
    rssMaxMB: rss.maxMB,
    rssSlopeMBPerMin: rss.slopeMBPerMin,
    rssSlopeStdErr: rss.slopeStdErr,
    rssFitR2: rss.r2,
    heapUsedSlopeMBPerMin: heapUsed.slopeMBPerMin,
    heapUsedSlopeStdErr: heapUsed.slopeStdErr,
    ...(afterGc && { afterGc }),
    samplesFitted: fitted.length,
    gate: {
      measure: afterGc?.forced ? "rssAfterGc" : "rss",
      limitMBPerMin: SOAK_GATE_MB_PER_MIN,
      slopeMBPerMin: gated.slopeMBPerMin,
      slopeStdErr: gated.slopeStdErr,
      pass: gated.slopeMBPerMin < SOAK_GATE_MB_PER_MIN,
      // Only the 10 minutes count; a shorter soak is an indication.
      conclusive: settings.full,
    },
    samples,
  };
}

/**
 * Soaks each gateway of `paths` in turn (gateway, then Portkey when it runs) with `settings` from
 * soakSettings(); `procs` holds their IPC probes.
 */
export async function memorySoak(paths, procs, settings) {
  const short = settings.full
    ? undefined
    : `short soak: ${settings.ms / 1000} s per product, not the issue's 10 minutes; the slopes are an indication only (BENCH_ONLY=gateway-memory runs 10 minutes each)`;
  if (short) log(`gateway memory: ${short}`);
  const contenders = {};
  for (const n of ["gateway", "portkey"]) {
    if (!paths[n]) continue;
    log(
      `gateway memory: ${n}, ${settings.ms / 1000} s at c=${settings.concurrency}` +
        (settings.gc ? ", a full GC before every sample" : ""),
    );
    contenders[n] = await soak(n, paths[n], procs[n], settings);
  }
  return { ...settings, ...(short && { note: short }), contenders };
}
