// Loads an internal module of @rephysco/core (not exported by the package, on purpose) for a
// micro-benchmark: bundled from core's source with esbuild, imported from memory.
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

/** Imports `packages/core/src/<path>` (a .ts file), bundled as Node ESM. */
export async function importCoreInternal(path) {
  const entry = fileURLToPath(new URL(`../../../core/src/${path}`, import.meta.url));
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    format: "esm",
    platform: "node",
    target: "node20",
    write: false,
    logLevel: "silent",
  });
  const code = result.outputFiles[0].text;
  return import(`data:text/javascript;base64,${Buffer.from(code).toString("base64")}`);
}
