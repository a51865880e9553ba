import type { CacheStore } from "./cache-store.js";
import { memoryStore } from "./memory-store.js";

/** The store behind `cache: true`. */
export function defaultStore(): CacheStore {
  return memoryStore();
}
