// Scenario: the gateway's memory soak on its own (issue #18, step 3), the 10 minutes per
// product: `BENCH_ONLY=gateway-memory node src/run.mjs`. Not in the default `pnpm bench` (which
// runs the gateway scenario's short soak, marked "indication only"); when BENCH_ONLY names both
// gateway and gateway-memory, only this one soaks.
// Load: c=16 (12 workers sending non-streamed requests, 4 reading paced streams, back to back) on
// @rephysco/gateway for 10 minutes, then on Portkey's gateway (when installed) for 10 minutes.
// Every 5 s: RSS and process.memoryUsage() as they are, then the same right after a full GC in
// the process (asked over IPC); the gate is the least-squares slope of post-GC RSS after a 60-s
// warm-up, < 1 MB/min (src/lib/soak.mjs says why). GATEWAY_SOAK_MS, GATEWAY_SOAK_WARMUP_MS,
// GATEWAY_SOAK_INTERVAL_MS and GATEWAY_SOAK_GC=0 change it.

import { renderGatewayMemory } from "../lib/gateway-report.mjs";
import { startPaths } from "../lib/gateway-setup.mjs";
import { log } from "../lib/log.mjs";
import { memorySoak, soakSettings } from "../lib/soak.mjs";

export async function run() {
  const { found, paths, procs, close } = await startPaths({ withProxy: false });
  try {
    const memory = await memorySoak(paths, procs, soakSettings("gateway-memory"));
    const { entry: _entry, ...portkey } = found;
    const result = { portkey, memory };
    log(renderGatewayMemory(result));
    return result;
  } finally {
    await close();
  }
}
