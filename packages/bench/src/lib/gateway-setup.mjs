// Starts the processes of the gateway scenarios (src/scenarios/gateway.mjs and
// gateway-memory.mjs): the mock upstream, the bare proxy (when asked), @rephysco/gateway and
// Portkey's gateway when it is installed, each in its own process, then warms every path up.
import { pool } from "./alternate.mjs";
import { plain, startChild, stream } from "./gateway-paths.mjs";
import { log } from "./log.mjs";
import { findPortkey, startPortkey } from "./portkey.mjs";

/**
 * `{found, paths, procs, close}`: `found` is findPortkey()'s answer, `paths` the targets by name
 * (direct, proxy when `withProxy`, gateway, portkey when installed), `procs` their processes' IPC
 * probes (undefined for direct: the mock is not measured), `close()` ends them all.
 */
export async function startPaths({ withProxy }) {
  const found = await findPortkey();
  if (!found.installed) log(`gateway: Portkey not installed in ${found.dir}; run ${found.install}`);
  const started = [];
  const close = async () => {
    for (const p of started.reverse()) await p.close();
  };
  try {
    const mock = await startChild("mock");
    started.push(mock);
    const proxy = withProxy ? await startChild("proxy", mock.url) : undefined;
    if (proxy) started.push(proxy);
    const gateway = await startChild("gateway", mock.url);
    started.push(gateway);
    const portkey = found.installed ? await startPortkey(found, mock.url) : undefined;
    if (portkey) started.push(portkey);
    const direct = { url: mock.url, headers: {} };
    const paths = { direct, ...(proxy && { proxy }), gateway, ...(portkey && { portkey }) };
    const procs = {
      direct: undefined,
      ...(proxy && { proxy }),
      gateway,
      ...(portkey && { portkey }),
    };
    // Warm-up: connections, JIT of every process on the path.
    for (const path of Object.values(paths)) {
      await pool(() => plain(path), 300, 8);
      await stream(path);
    }
    return { found, paths, procs, close };
  } catch (error) {
    await close();
    throw error;
  }
}
