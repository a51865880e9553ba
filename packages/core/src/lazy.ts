import { createRequire } from "node:module";

/**
 * Modules loaded when first used rather than at import: `import "@rephysco/core"` must stay
 * cheap (lru-cache alone costs about 20 ms to load, node:crypto about 10 ms), and most programs
 * need neither until they cache. Synchronous (`require` of an ESM-free build or a built-in), so
 * the APIs that use them stay synchronous.
 */
const load = createRequire(import.meta.url);

let crypto: typeof import("node:crypto") | undefined;

/** `node:crypto`, loaded on first use. */
export function nodeCrypto(): typeof import("node:crypto") {
  crypto ??= load("node:crypto") as typeof import("node:crypto");
  return crypto;
}

let lru: typeof import("lru-cache") | undefined;

/** `lru-cache`, loaded on first use (its CommonJS build). */
export function lruCache(): typeof import("lru-cache") {
  lru ??= load("lru-cache") as typeof import("lru-cache");
  return lru;
}
