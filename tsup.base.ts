import type { Options } from "tsup";

/**
 * Build settings shared by every published package: ESM only, declarations, source maps,
 * Node 20 syntax, and shared chunks so that an entry's side effects stay in that entry.
 */
export const base: Options = {
  format: ["esm"],
  dts: true,
  sourcemap: true,
  clean: true,
  target: "node20",
  splitting: true,
  treeshake: true,
};
