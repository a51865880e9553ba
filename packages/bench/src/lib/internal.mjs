// Loads an internal module of @rephysco/core (not exported by the package, on purpose) for a
// micro-benchmark: bundled from core's source with esbuild, imported from memory.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
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
  // A file, not a data: URL: the module resolves built-ins through `import.meta.url`.
  const file = join(mkdtempSync(join(tmpdir(), "rephysco-bench-")), "internal.mjs");
  writeFileSync(file, result.outputFiles[0].text);
  return import(pathToFileURL(file).href);
}
