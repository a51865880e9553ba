// The memory part of the gateway scenario (issue #18, step 3): sustained load on one gateway
// process, its RSS sampled every 5 s, a least-squares slope after the warm-up. The gate:
// RSS grows by less than 1 MB per minute over 10 minutes of load after warm-up.
//
// Length: GATEWAY_SOAK_MS (default 600000, the 10 minutes, whenever BENCH_ONLY names
// gateway-memory or GATEWAY_SOAK_MS is set; otherwise a short soak of 120 s, 60 s under
// BENCH_QUICK=1, so that `pnpm bench` stays within a few extra minutes; the output says when the
// soak was short). Warm-up dropped: GATEWAY_SOAK_WARMUP_MS, default the first 60 s (a third of
// a shorter soak). Each product is soaked on its own, one after the other.
import { QUICK } from "./config.mjs";
import { plain, stream } from "./gateway-paths.mjs";
import { log } from "./log.mjs";

export const SOAK_GATE_MB_PER_MIN = 1;
/** The soak: 10 minutes. */
const FULL_MS = 600_000;

export function soakSettings() {
  const only = process.env.BENCH_ONLY?.split(",").map((s) => s.trim()) ?? [];
  const asked = only.includes("gateway-memory") || process.env.GATEWAY_SOAK_MS !== undefined;
  const ms = Number(process.env.GATEWAY_SOAK_MS ?? (asked ? FULL_MS : QUICK ? 60_000 : 120_000));
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

/**
 * Soaks one path (`target`: url + headers) served by process `proc` (rss(), memory(), cpuUs()):
 * `concurrency` workers for `ms`, RSS and heap sampled every `intervalMs` from t = 0.
 */
export async function soak(name, target, proc, settings) {
  const { ms, warmupMs, intervalMs, concurrency, streamWorkers } = settings;
  const counts = { plain: 0, stream: 0, errors: 0 };
  let firstError;
  const samples = [];
  const t0 = performance.now();
  const stopAt = t0 + ms;
  const cpu0 = await proc.cpuUs();

  const sample = async () => {
    const t = (performance.now() - t0) / 1000;
    const [rss, mem] = await Promise.all([proc.rss(), proc.memory()]);
    samples.push({
      t: round(t, 2),
      rssMB: round(rss / MB),
      heapUsedMB: round(mem.heapUsed / MB),
      heapTotalMB: round(mem.heapTotal / MB),
      externalMB: round(mem.external / MB),
      requests: counts.plain + counts.stream,
    });
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
        log(`gateway soak ${name}: ${Math.round(last.t)} s, RSS ${last.rssMB} MB`);
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
  const rssFit = fitLine(
    minutes,
    fitted.map((s) => s.rssMB),
  );
  const heapFit = fitLine(
    minutes,
    fitted.map((s) => s.heapUsedMB),
  );
  const rssAfter = fitted.map((s) => s.rssMB);
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
    rssAtWarmupEndMB: rssAfter[0],
    rssAtEndMB: rssAfter.at(-1),
    rssMinMB: Math.min(...rssAfter),
    rssMaxMB: Math.max(...rssAfter),
    rssSlopeMBPerMin: round(rssFit.slope, 4),
    rssSlopeStdErr: round(rssFit.stdErr, 4),
    rssFitR2: round(rssFit.r2),
    heapUsedSlopeMBPerMin: round(heapFit.slope, 4),
    heapUsedSlopeStdErr: round(heapFit.stdErr, 4),
    samplesFitted: fitted.length,
    gate: {
      limitMBPerMin: SOAK_GATE_MB_PER_MIN,
      pass: rssFit.slope < SOAK_GATE_MB_PER_MIN,
      // Only the 10 minutes count; a shorter soak is an indication.
      conclusive: settings.full,
    },
    samples,
  };
}
