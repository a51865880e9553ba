import { createHash } from "node:crypto";
import { redisStore } from "@rephysco/cache-redis";
import {
  type CacheEntry,
  type CacheStore,
  fileStore,
  type Middleware,
  type WrapGenerateOptions,
  type WrapStreamOptions,
} from "@rephysco/core";
import {
  type BudgetRule,
  type LimitsMiddleware,
  limits,
  memoryLimitStore,
  type RateLimitRule,
  redisLimitStore,
} from "@rephysco/limits";
import { type GatewayConfig, GatewayConfigError } from "./config.js";
import type { KeyIdentity, KeyRing } from "./keys.js";

/** The call tag of a key's requests: what its limits count under. */
export const keyTag = (name: string): string => `key:${name}`;

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

/** The namespace of a key's private cache entries. */
export function cacheNamespaceOf(name: string): string {
  return `k${createHash("sha256").update(name).digest("hex").slice(0, 24)}`;
}

/** What makes instances share: the cache store, the limit store and the limits middleware. */
export interface Fleet {
  /** Cache store of routes with `cache: true` (Redis when configured, else the disk cache). */
  readonly cache: CacheStore;
  /** The same store, private to one key (see {@link cacheNamespaceOf}). */
  cacheFor(namespace: string): CacheStore;
  /** The limits of the gateway and of its keys, as one attempt-level middleware (none: no limits anywhere). */
  readonly middleware: Middleware | undefined;
  /** Whether the requests of a key share cached answers with other keys. */
  sharesCache(identity: KeyIdentity): boolean;
  /** Rebuilds the key limits after the keys changed. */
  rebuild(): void;
  /** Waits for pending limit settlements and closes the Redis connections. */
  close(): Promise<void>;
}

function keyRules(identities: readonly KeyIdentity[]): {
  rateLimits: RateLimitRule[];
  budgets: BudgetRule[];
} {
  const rateLimits: RateLimitRule[] = [];
  const budgets: BudgetRule[] = [];
  for (const { name, record } of identities) {
    const per = { tag: keyTag(name) };
    const r = record.rateLimit;
    if (r)
      rateLimits.push({
        name: `key:${name}`,
        per,
        ...(r.requests !== undefined && { requests: r.requests }),
        ...(r.tokens !== undefined && { tokens: r.tokens }),
        ...(r.windowMs !== undefined && { windowMs: r.windowMs }),
        onLimit: "fail",
      });
    const b = record.budget;
    if (b)
      budgets.push({
        name: `key:${name}`,
        per,
        ...(b.usd !== undefined && { usd: b.usd }),
        ...(b.tokens !== undefined && { tokens: b.tokens }),
        ...(b.period !== undefined && { period: b.period }),
      });
  }
  return { rateLimits, budgets };
}

/**
 * Builds the shared parts of a gateway. With `config.redis`, the cache and every counter live in
 * Redis and each instance is stateless; without it they live in this process.
 *
 * @throws {GatewayConfigError} when the `limits` section is invalid.
 */
export function createFleet(config: GatewayConfig, ring: KeyRing | undefined): Fleet {
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

  const build = (): LimitsMiddleware | undefined => {
    const fromKeys = keyRules(ring?.identities() ?? []);
    const rateLimits = [...(base.rateLimits ?? []), ...fromKeys.rateLimits];
    const budgets = [...(base.budgets ?? []), ...fromKeys.budgets];
    if (rateLimits.length === 0 && budgets.length === 0 && base.cooldowns === undefined && !redis)
      return undefined;
    try {
      return limits({
        rateLimits,
        budgets,
        store: limitStore,
        onLimit: base.onLimit ?? "fail",
        ...(base.cooldowns !== undefined && { cooldowns: base.cooldowns }),
        ...(base.maxWaitMs !== undefined && { maxWaitMs: base.maxWaitMs }),
      });
    } catch (error) {
      throw new GatewayConfigError((error as Error).message.replace(/^limits: /, ""), {
        field: "limits",
      });
    }
  };

  let current = build();
  // Old middlewares still settling after a rebuild: closed at shutdown.
  const retired: LimitsMiddleware[] = [];
  // A stable middleware in every client that hands each attempt to the current limits.
  const delegate: Middleware = {
    level: "attempt",
    wrapGenerate: (o: WrapGenerateOptions) =>
      current?.wrapGenerate ? current.wrapGenerate(o) : o.doGenerate(),
    wrapStream: (o: WrapStreamOptions) =>
      current?.wrapStream ? current.wrapStream(o) : o.doStream(),
    onEvent: (event) => current?.onEvent?.(event),
  };
  const limited = current !== undefined || ring !== undefined;

  return {
    cache,
    cacheFor: (namespace) => namespaced(cache, namespace),
    middleware: limited ? delegate : undefined,
    sharesCache: (identity) => identity.record.shareCache ?? shareByDefault,
    rebuild() {
      const next = build();
      if (current) retired.push(current);
      current = next;
    },
    async close() {
      await Promise.allSettled([current?.close(), ...retired.map((m) => m.close())]);
      await Promise.allSettled([cacheStore?.close(), redisLimits?.close()]);
    },
  };
}
