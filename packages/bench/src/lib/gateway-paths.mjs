// The paths of the gateway scenario, each its own process: the mock upstream, a bare node:http
// pass-through proxy to it and @rephysco/gateway to it (forked, src/gateway-child.mjs), and
// Portkey's open-source gateway when it is installed (spawned, src/lib/portkey.mjs).
import { fork } from "node:child_process";
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";

const CHILD = fileURLToPath(new URL("../gateway-child.mjs", import.meta.url));

/** The model the mock answers with a paced stream (every other model: a short JSON answer). */
export const STREAM_MODEL = "paced-stream";
/** Content chunks of the paced stream. */
export const STREAM_CHUNKS = 100;
/** Milliseconds the mock waits before each chunk after the first (its `chunkDelayMs`). */
export const CHUNK_DELAY_MS = 2;

/**
 * The harness's side of a child's IPC channel (the child's side: src/lib/probe-answers.mjs):
 * `{type: "cpu"}` is answered with the child's `process.cpuUsage()`, `{type: "mem"}` with its
 * `process.memoryUsage()`, `{type: "gc"}` with its `process.memoryUsage()` right after a full GC.
 * Answers come in order, so one FIFO of waiting callers per type pairs them up.
 */
export function ipcProbe(child) {
  const waiting = { cpu: [], mem: [], gc: [] };
  child.on("message", (m) => {
    const queue = waiting[m?.type];
    if (queue?.length) queue.shift()(m[m.type]);
  });
  const ask = (type) =>
    new Promise((resolve) => {
      waiting[type].push(resolve);
      child.send({ type });
    });
  return {
    /** CPU time of the child so far, user + system, µs (all its threads). */
    async cpuUs() {
      const cpu = await ask("cpu");
      return cpu.user + cpu.system;
    },
    /** The child's `process.memoryUsage()` (rss, heapTotal, heapUsed, external, arrayBuffers). */
    memory() {
      return ask("mem");
    },
    /**
     * One full GC in the child (`global.gc()`; it runs with --expose-gc), then its
     * `process.memoryUsage()`, plus `pauseMs` (the GC's duration) and `forced` (false when the
     * child has no `gc`: the figures are then those of an ordinary `mem` answer).
     */
    memoryAfterGc() {
      return ask("gc");
    },
  };
}

/** Resident set size of a process in bytes, from /proc/<pid>/status (VmRSS), or NaN. */
export async function rssOf(pid) {
  try {
    const status = await readFile(`/proc/${pid}/status`, "utf8");
    const kb = /^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1];
    return kb === undefined ? Number.NaN : Number(kb) * 1024;
  } catch {
    return Number.NaN;
  }
}

/**
 * Forks one child and resolves once it listens: `url`, `pid`, `headers` (extra request headers
 * the path needs: none here), `cpuUs()`, `memory()` and `memoryAfterGc()` over IPC, `rss()` from
 * /proc, `close()`. Every child runs with --expose-gc (it changes nothing until the memory soak
 * asks for a GC).
 */
export async function startChild(kind, upstream) {
  const child = fork(CHILD, upstream ? [kind, upstream] : [kind], {
    stdio: ["ignore", "inherit", "inherit", "ipc"],
    execArgv: [...new Set([...process.execArgv, "--expose-gc"])],
  });
  const url = await new Promise((resolve, reject) => {
    child.once("exit", (code) => reject(new Error(`${kind} process exited early (${code})`)));
    child.on("message", function ready(m) {
      if (m?.type !== "ready") return;
      child.off("message", ready);
      resolve(m.url);
    });
  });
  return {
    kind,
    url,
    pid: child.pid,
    headers: {},
    ...ipcProbe(child),
    rss: () => rssOf(child.pid),
    async close() {
      const exited = new Promise((r) => child.once("exit", r));
      child.disconnect();
      await exited;
    },
  };
}

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

/** POSTs a chat completion to a path (`url` and its extra `headers`); the body text, or throws. */
async function post(path, body) {
  const res = await fetch(`${path.url}/v1/chat/completions`, {
    method: "POST",
    headers: { ...HEADERS, ...path.headers },
    body,
  });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`${path.url}: HTTP ${res.status}: ${text.slice(0, 300)}`);
  return text;
}

/** One non-streamed request, its answer checked. */
export async function plain(path) {
  const text = await post(path, PLAIN_BODY);
  if (!text.includes("Hello from the mock server.")) throw new Error(`unexpected answer ${text}`);
}

/** One paced stream read to its end, checked complete (last chunk and [DONE]). */
export async function stream(path) {
  const text = await post(path, STREAM_BODY);
  if (!text.includes(`t${STREAM_CHUNKS - 1} `) || !text.trimEnd().endsWith("data: [DONE]")) {
    throw new Error(`incomplete stream from ${path.url}: ${text.slice(-300)}`);
  }
}
