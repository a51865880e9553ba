import type { CacheStore } from "./cache-store.js";
import { fileStore } from "./file-store.js";

const stores = new Map<string, CacheStore>();

/**
 * The store behind `cache: true`: the disk cache under `REPHYSCO_CACHE_DIR`, else the user's
 * cache directory. One instance per directory, shared by every client in the process.
 */
export function defaultStore(): CacheStore {
  const store = fileStore();
  const existing = stores.get(store.dir);
  if (existing) return existing;
  stores.set(store.dir, store);
  return store;
}
