// Scenario 6: heap held by 100 concurrent streams. Every sample is a fresh process
// (memory-child.mjs) so that no contender inherits another's heap; contenders alternate.
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { ROUNDS, size } from "../lib/config.mjs";
import { log } from "../lib/log.mjs";
import { startServer } from "../lib/server-process.mjs";
import { ratioSummary, rotate, summarize } from "../lib/stats.mjs";

const CHILD = fileURLToPath(new URL("../memory-child.mjs", import.meta.url));
const STREAMS = 100;
const run_ = promisify(execFile);

export async function run() {
  const server = await startServer();
  try {
    const names = ["raw", "rephysco", "aisdk", "fetch"];
    const rounds = Math.min(ROUNDS, size(6, 3));
    const heap = Object.fromEntries(names.map((n) => [n, []]));
    const external = Object.fromEntries(names.map((n) => [n, []]));
    for (let r = 0; r < rounds; r++) {
      for (const n of rotate(names, r)) {
        const { stdout } = await run_(process.execPath, [
          "--expose-gc",
          CHILD,
          n,
          server.url,
          String(STREAMS),
        ]);
        const m = JSON.parse(stdout);
        heap[n].push(m.heapUsed);
        external[n].push(m.external);
      }
      log(`memory: round ${r + 1}/${rounds}`);
    }
    const out = {};
    for (const n of names) {
      out[n] = {
        heapBytes: summarize(heap[n]),
        externalBytes: summarize(external[n]),
        // raw heap / contender heap: above 1 holds less.
        ratio: ratioSummary(heap[n], heap.raw, false),
      };
    }
    return { streams: STREAMS, rounds, contenders: out };
  } finally {
    await server.close();
  }
}
