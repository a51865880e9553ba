import { lruCache } from "../lazy.js";
import type { CacheEntry, CacheStore } from "./cache-store.js";

/** Options of {@link memoryStore}. */
export interface MemoryStoreOptions {
  /** Most entries kept; the least recently used are evicted first. Default `1000`. */
  readonly max?: number;
  /** Default time to live in ms when `set` gets none. Default: no expiry. */
  readonly ttlMs?: number;
}

/** A {@link CacheStore} with a `clear()` method, as {@link memoryStore} returns. */
export interface MemoryStore extends CacheStore {
  /** Removes every entry. */
  clear(): Promise<void>;
  /** Number of entries held. */
  readonly size: number;
}

/**
 * An in-process LRU cache store (on `lru-cache`): bounded by entry count, with per-entry TTL.
 * Like every other store it keeps a copy: changing an entry after `set`, or one that `get`
 * returned, never changes what later hits return.
 *
 * @example
 * ```ts
 * const client = new LLMClient({ provider: "openai", cache: memoryStore({ max: 100, ttlMs: 60_000 }) });
 * ```
 */
export function memoryStore(options: MemoryStoreOptions = {}): MemoryStore {
  const max = options.max ?? 1000;
  if (!Number.isInteger(max) || max < 1)
    throw new TypeError(`memoryStore: max must be a positive integer, got ${max}.`);
  // Entries are kept as their JSON text, the way the disk and Redis stores keep them: a value
  // handed in or out can never alias what the store holds, and each operation copies once
  // (stringify on set, parse on get), which is cheaper than structuredClone on both sides and
  // gives the same values as the other stores (CacheEntry is plain JSON by contract).
  const lru = new (lruCache().LRUCache)<string, string>({
    max,
    ...(options.ttlMs ? { ttl: options.ttlMs } : {}),
    ttlAutopurge: false,
  });
  return {
    async get(key) {
      const text = lru.get(key);
      return text === undefined ? undefined : (JSON.parse(text) as CacheEntry);
    },
    async set(key, value, ttlMs) {
      lru.set(key, JSON.stringify(value), ttlMs ? { ttl: ttlMs } : undefined);
    },
    async delete(key) {
      return lru.delete(key);
    },
    async clear() {
      lru.clear();
    },
    get size() {
      return lru.size;
    },
  };
}
