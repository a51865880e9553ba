// Portkey's open-source gateway (@portkey-ai/gateway) as a path of the gateway scenario. It is not
// a dependency of the workspace: scripts/ensure-portkey.sh installs it with npm in its own folder
// ($PORTKEY_DIR, else ${XDG_CACHE_HOME:-~/.cache}/rephysco-bench/portkey), and the benchmark runs
// without it (its rows say "not installed"). Started as
//   node --expose-gc --import fetch-mutable-headers.mjs --import portkey-probe.mjs \
//        node_modules/@portkey-ai/gateway/build/start-server.js --port=<free port> --headless
// and routed to the mock with the x-portkey-provider / x-portkey-custom-host headers. It runs with
// --expose-gc as the gateway does, so the memory soak can ask both for a full GC before a sample.
import { spawn } from "node:child_process";
import { readFile } from "node:fs/promises";
import { createServer } from "node:net";
import { homedir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { ipcProbe, rssOf } from "./gateway-paths.mjs";

/** The version the figures in BENCHMARKS.md were taken with (scripts/ensure-portkey.sh pins it). */
export const PORTKEY_VERSION = "1.15.2";
export const INSTALL_HINT =
  "scripts/ensure-portkey.sh (npm i @portkey-ai/gateway@1.15.2 in its own folder outside the workspace; PORTKEY_DIR to choose it)";

const SHIM = fileURLToPath(new URL("./fetch-mutable-headers.mjs", import.meta.url));
const PROBE = fileURLToPath(new URL("./portkey-probe.mjs", import.meta.url));

export function portkeyDir() {
  if (process.env.PORTKEY_DIR) return process.env.PORTKEY_DIR;
  const cache = process.env.XDG_CACHE_HOME || join(homedir(), ".cache");
  return join(cache, "rephysco-bench", "portkey");
}

async function versionOf(dir, pkg) {
  try {
    return JSON.parse(await readFile(join(dir, "node_modules", pkg, "package.json"), "utf8"))
      .version;
  } catch {
    return undefined;
  }
}

/**
 * Where Portkey is installed: `{installed: true, dir, version, hono, entry}`, or
 * `{installed: false, dir, install}` with the command that installs it.
 */
export async function findPortkey() {
  const dir = portkeyDir();
  const version = await versionOf(dir, "@portkey-ai/gateway");
  if (!version) return { installed: false, dir, install: INSTALL_HINT };
  return {
    installed: true,
    dir,
    version,
    hono: await versionOf(dir, "hono"),
    honoNodeServer: await versionOf(dir, "@hono/node-server"),
    entry: join(dir, "node_modules/@portkey-ai/gateway/build/start-server.js"),
  };
}

/** A TCP port free on every interface right now (Portkey takes only --port; it binds them all). */
function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Resolves once GET / answers (Portkey's "AI Gateway says hey!"), or throws after `ms`. */
async function waitUntilUp(url, child, ms) {
  const deadline = performance.now() + ms;
  while (performance.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`Portkey exited early (${child.exitCode})`);
    try {
      const res = await fetch(url);
      await res.text();
      if (res.ok) return;
    } catch {}
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`Portkey did not answer on ${url} within ${ms} ms`);
}

/**
 * Starts Portkey against the mock at `upstream` (http://127.0.0.1:PORT). Same shape as
 * startChild() in gateway-paths.mjs, plus `headers`: the routing headers every request to it
 * carries.
 */
export async function startPortkey(found, upstream) {
  const port = await freePort();
  const child = spawn(
    process.execPath,
    [
      "--expose-gc",
      "--import",
      SHIM,
      "--import",
      PROBE,
      found.entry,
      `--port=${port}`,
      "--headless",
    ],
    // stdout: its banner (the scenario's stdout carries the JSON result); stderr: its errors.
    { cwd: found.dir, stdio: ["ignore", "ignore", "inherit", "ipc"] },
  );
  const kill = () => child.kill("SIGKILL");
  process.once("exit", kill);
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitUntilUp(url, child, 30_000);
  } catch (error) {
    kill();
    throw error;
  }
  return {
    kind: "portkey",
    url,
    pid: child.pid,
    headers: {
      "x-portkey-provider": "openai",
      "x-portkey-custom-host": `${upstream}/v1`,
    },
    ...ipcProbe(child),
    rss: () => rssOf(child.pid),
    async close() {
      process.off("exit", kill);
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once("exit", r));
      child.disconnect();
      await exited;
    },
  };
}
