// The three paths of the gateway scenario, each a forked process (src/gateway-child.mjs):
// the mock upstream, a bare node:http pass-through proxy to it, and @rephysco/gateway to it.
import { fork } from "node:child_process";
import { fileURLToPath } from "node:url";

const CHILD = fileURLToPath(new URL("../gateway-child.mjs", import.meta.url));

/** The model the mock answers with a paced stream (every other model: a short JSON answer). */
export const STREAM_MODEL = "paced-stream";
/** Content chunks of the paced stream. */
export const STREAM_CHUNKS = 100;
/** Milliseconds the mock waits before each chunk after the first (its `chunkDelayMs`). */
export const CHUNK_DELAY_MS = 2;

/**
 * Forks one child and resolves once it listens. `cpuUs()` asks it over IPC for its CPU time so
 * far (user + system, µs); `close()` ends it.
 */
export async function startChild(kind, upstream) {
  const child = fork(CHILD, upstream ? [kind, upstream] : [kind], {
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const url = await new Promise((resolve, reject) => {
    child.once("exit", (code) => reject(new Error(`${kind} process exited early (${code})`)));
    child.on("message", function ready(m) {
      if (m?.type !== "ready") return;
      child.off("message", ready);
      resolve(m.url);
    });
  });
  let waiting;
  child.on("message", (m) => {
    if (m?.type === "cpu" && waiting) {
      const resolve = waiting;
      waiting = undefined;
      resolve(m.cpu.user + m.cpu.system);
    }
  });
  return {
    kind,
    url,
    cpuUs() {
      return new Promise((resolve) => {
        waiting = resolve;
        child.send({ type: "cpu" });
      });
    },
    async close() {
      const exited = new Promise((r) => child.once("exit", r));
      child.disconnect();
      await exited;
    },
  };
}
