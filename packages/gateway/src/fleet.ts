import { redisStore } from "@rephysco/cache-redis";
import { type CacheEntry, type CacheStore, fileStore, type Middleware } from "@rephysco/core";
import {
  type LimitStore,
  type LimitsMiddleware,
  limits,
  memoryLimitStore,
  redisLimitStore,
} from "@rephysco/limits";
import { type GatewayConfig, GatewayConfigError } from "./config.js";
import type { KeyIdentity } from "./keys.js";

/**
 * A view of a cache store under a namespace: answers cached for a key that does not share its
 * cache are seen by that key only. Each namespace gets its own clients (and so its own
 * in-flight write map in core), so nothing crosses between namespaces.
 */
function namespaced(store: CacheStore, namespace: string): CacheStore {
  const prefix = `${namespace}:`;
  return {
    get: (key) => store.get(prefix + key),
    set: (key, value: CacheEntry, ttlMs) => store.set(prefix + key, value, ttlMs),
    delete: (key) => store.delete(prefix + key),
  };
}

/**
 * The namespace of a key's private cache entries: from the key's hash, so a revoked name made
 * again (a new key) starts with an empty cache.
 */
export function cacheNamespaceOf(identity: KeyIdentity): string {
  return `k${identity.record.hash.slice(7, 31)}`;
}

/** What makes instances share: the cache store, the limit store and the limits middleware. */
export interface Fleet {
  /** Cache store of routes with `cache: true` (Redis when configured, else the disk cache). */
  readonly cache: CacheStore;
  /** The same store, private to one key (see {@link cacheNamespaceOf}). */
  cacheFor(namespace: string): CacheStore;
  /** The gateway-wide limits, as an attempt-level middleware (none: no limits configured and no Redis). */
  readonly middleware: Middleware | undefined;
  /** Whether the requests of a key share cached answers with other keys. */
  sharesCache(identity: KeyIdentity): boolean;
  /** Where counts live: virtual keys' limits count here too. */
  readonly limitStore: LimitStore;
  /** Waits for pending limit settlements and closes the Redis connections. */
  close(): Promise<void>;
}

/**
 * Builds the shared parts of a gateway. With `config.redis`, the cache and every counter live in
 * Redis and each instance is stateless; without it they live in this process.
 *
 * @throws {GatewayConfigError} when the `limits` section is invalid.
 */
export function createFleet(config: GatewayConfig): Fleet {
  const redis = config.redis;
  const prefix = redis?.prefix ?? "rephysco:";
  const cacheStore = redis
    ? redisStore({ url: redis.url }, { prefix: `${prefix}cache:` })
    : undefined;
  const redisLimits = redis
    ? redisLimitStore({ url: redis.url }, { prefix: `${prefix}limits:` })
    : undefined;
  const limitStore = redisLimits ?? memoryLimitStore();
  const cache = cacheStore ?? fileStore();
  const shareByDefault = config.keys?.shareCache ?? true;
  const base = config.limits ?? {};

  // Gateway-wide rules; with Redis, cool-downs are shared even without rules.
  let middleware: LimitsMiddleware | undefined;
  const rateLimits = base.rateLimits ?? [];
  const budgets = base.budgets ?? [];
  if (rateLimits.length > 0 || budgets.length > 0 || base.cooldowns !== undefined || redis) {
    try {
      middleware = limits({
        rateLimits,
        budgets,
        store: limitStore,
        onLimit: base.onLimit ?? "fail",
        ...(base.cooldowns !== undefined && { cooldowns: base.cooldowns }),
        ...(base.maxWaitMs !== undefined && { maxWaitMs: base.maxWaitMs }),
      });
    } catch (error) {
      void cacheStore?.close();
      void redisLimits?.close();
      throw new GatewayConfigError((error as Error).message.replace(/^limits: /, ""), {
        field: "limits",
      });
    }
  }
  return {
    cache,
    cacheFor: (namespace) => namespaced(cache, namespace),
    middleware,
    limitStore,
    sharesCache: (identity) => identity.record.shareCache ?? shareByDefault,
    async close() {
      await middleware?.close();
      await Promise.allSettled([cacheStore?.close(), redisLimits?.close()]);
    },
  };
}
