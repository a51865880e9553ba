import type { CacheEntry, CacheStore } from "@rephysco/core";
import { isCacheEntry } from "@rephysco/core/http";
import { createClient } from "redis";

/**
 * The part of a node-redis client (`createClient()` from `redis` or `@redis/client`, v5 and later)
 * that {@link redisStore} uses.
 */
export interface RedisStoreClient {
  get(key: string): Promise<unknown>;
  set(
    key: string,
    value: string,
    options?: { expiration: { type: "PX"; value: number } },
  ): Promise<unknown>;
  del(keys: string[]): Promise<unknown>;
  scanIterator(options: { MATCH: string; COUNT: number }): AsyncIterable<readonly unknown[]>;
}

/**
 * Where the store's Redis is: a URL (the store creates, connects and closes its own client), or
 * a client you own (used as is: connect it, handle its `error` events and close it yourself).
 */
export type RedisStoreConnection = { readonly url: string } | { readonly client: RedisStoreClient };

/** Options of {@link redisStore}. */
export interface RedisStoreOptions {
  /** Prefix of every key the store writes, and of what `clear()` removes. Default `"rephysco:"`. */
  readonly prefix?: string;
  /** Time to live in ms when `set` gets none. Default: no expiry. */
  readonly ttlMs?: number;
  /** Own client only: how long one connection attempt may take, in ms. Default `2000`. */
  readonly connectTimeoutMs?: number;
  /**
   * How long one command (or a connection attempt with its handshake) may wait for its reply, in
   * ms; the call then rejects. On the store's own client the connection is also dropped, so
   * that a Redis that stopped answering does not hold later calls. Default `2000`.
   */
  readonly commandTimeoutMs?: number;
  /**
   * Own client only: reconnection attempts after the connection fails or drops before the client
   * gives up (commands then reject; the next command tries to connect again). Default `2`.
   */
  readonly reconnectAttempts?: number;
}

/** A {@link CacheStore} in Redis, as {@link redisStore} returns. */
export interface RedisStore extends CacheStore {
  /** The key prefix. */
  readonly prefix: string;
  /** The entry for `key`; `undefined` when missing, expired or not a valid entry. */
  get(key: string): Promise<CacheEntry | undefined>;
  /** Stores `value` under `key` as JSON, with `PX` when a ttl applies. */
  set(key: string, value: CacheEntry, ttlMs?: number): Promise<void>;
  /** Removes `key`; `true` when it was there. */
  delete(key: string): Promise<boolean>;
  /** Removes every key under the prefix (`SCAN` + `DEL`, never `FLUSHDB`); the number removed. */
  clear(): Promise<number>;
  /** Closes the client the store created from a URL; leaves a client you passed alone. */
  close(): Promise<void>;
}

const SCAN_COUNT = 500;

function checkMs(name: string, value: number | undefined, min: number): void {
  if (value !== undefined && !(Number.isFinite(value) && value >= min)) {
    throw new TypeError(`redisStore: ${name} must be a number >= ${min}, got ${value}.`);
  }
}

/** Escapes the glob characters of SCAN's MATCH pattern, so that the prefix matches literally. */
function globEscape(text: string): string {
  return text.replace(/[*?[\]\\]/g, "\\$&");
}

function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : undefined;
}

/**
 * A {@link CacheStore} on Redis, with the official `redis` client: values are JSON, expiry is
 * Redis's own (`SET ... PX`), keys carry a prefix. Processes and machines pointing at the same
 * Redis share hits.
 *
 * A store made from a URL fails fast when Redis is unreachable: bounded connect and command
 * timeouts, a few quick reconnection attempts, no offline queue. Its calls then reject, which
 * `LLMClient` reports as `cache_error` before going upstream; the next call tries to connect
 * again.
 *
 * @example
 * ```ts
 * const cache = redisStore({ url: "redis://localhost:6379" }, { prefix: "myapp:llm:" });
 * const client = new LLMClient({ provider: "openai", cache });
 * // ...
 * await cache.close();
 * ```
 */
export function redisStore(
  connection: RedisStoreConnection,
  options: RedisStoreOptions = {},
): RedisStore {
  const prefix = options.prefix ?? "rephysco:";
  checkMs("ttlMs", options.ttlMs, 0);
  checkMs("connectTimeoutMs", options.connectTimeoutMs, 1);
  checkMs("commandTimeoutMs", options.commandTimeoutMs, 1);
  checkMs("reconnectAttempts", options.reconnectAttempts, 0);
  const defaultTtl = options.ttlMs;
  const commandTimeoutMs = options.commandTimeoutMs ?? 2000;
  const own = "url" in connection ? ownClient(connection.url, options) : undefined;
  const client: RedisStoreClient = own ?? (connection as { client: RedisStoreClient }).client;
  let connecting: Promise<unknown> | undefined;
  let closed = false;

  // node-redis's command timeout stops at the moment a command is written: a Redis that accepted
  // the connection but stopped answering would hold every call forever. So each step gets a
  // deadline here, and on an own client a missed deadline drops the connection (the next call
  // reconnects), which also rejects the other commands stuck behind it.
  async function guard<T>(work: Promise<T>): Promise<T> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        if (own?.isOpen) own.destroy();
        connecting = undefined;
        reject(new Error(`redisStore: Redis did not answer within ${commandTimeoutMs} ms.`));
      }, commandTimeoutMs);
    });
    work.catch(() => undefined);
    try {
      return await Promise.race([work, deadline]);
    } finally {
      clearTimeout(timer);
    }
  }

  async function ready(): Promise<RedisStoreClient> {
    if (closed) throw new Error("redisStore: the store is closed.");
    // The socket counts as open as soon as connect() starts: calls made meanwhile wait for the
    // same connection rather than meeting a client that is not ready yet.
    if (own && (connecting || !own.isOpen)) {
      connecting ??= own.connect().finally(() => {
        connecting = undefined;
      });
      await guard(connecting);
    }
    return client;
  }

  return {
    prefix,

    async get(key) {
      const c = await ready();
      const raw = await guard(c.get(prefix + key));
      if (raw === null || raw === undefined) return undefined;
      let value: unknown;
      try {
        value = JSON.parse(typeof raw === "string" ? raw : String(raw));
      } catch {
        value = undefined;
      }
      if (isCacheEntry(value)) return value;
      // Not something this store wrote (or written by an incompatible version): a miss, removed.
      await guard(c.del([prefix + key]));
      return undefined;
    },

    async set(key, value, ttlMs) {
      checkMs("set ttlMs", ttlMs, 0);
      const c = await ready();
      const ttl = ttlMs || defaultTtl;
      const json = JSON.stringify(value);
      // PX takes a positive integer.
      await guard(
        ttl
          ? c.set(prefix + key, json, {
              expiration: { type: "PX", value: Math.max(1, Math.ceil(ttl)) },
            })
          : c.set(prefix + key, json),
      );
    },

    async delete(key) {
      const c = await ready();
      return Number(await guard(c.del([prefix + key]))) > 0;
    },

    async clear() {
      // With no prefix, SCAN + DEL would empty the whole database: refuse rather than surprise.
      if (prefix === "") throw new Error("redisStore: clear() needs a non-empty prefix.");
      const c = await ready();
      const scan = c.scanIterator({ MATCH: `${globEscape(prefix)}*`, COUNT: SCAN_COUNT });
      const batches = scan[Symbol.asyncIterator]();
      let removed = 0;
      for (let step = await guard(batches.next()); !step.done; step = await guard(batches.next())) {
        const keys = step.value.map(String);
        if (keys.length > 0) removed += Number(await guard(c.del(keys)));
      }
      return removed;
    },

    async close() {
      if (closed) return;
      closed = true;
      if (!own) return;
      await connecting?.catch(() => undefined);
      if (!own.isOpen) return;
      try {
        await guard(own.close());
      } catch (error) {
        // The connection may have dropped, or been dropped by the deadline: closed either way.
        if (own.isOpen) throw error;
      }
    },
  };
}

/** The client a store makes for itself: a node-redis client plus `destroy()`. */
type OwnClient = RedisStoreClient & {
  readonly isOpen: boolean;
  connect(): Promise<unknown>;
  close(): Promise<unknown>;
  destroy(): void;
};

function ownClient(url: string, options: RedisStoreOptions): OwnClient {
  const attempts = options.reconnectAttempts ?? 2;
  try {
    // The URL may hold a password, and a URL parse error keeps the whole input: never let it out.
    new URL(url);
  } catch {
    throw new TypeError(
      "redisStore: the Redis URL is not a valid URL (expected redis://[[user]:password@]host[:port][/db]).",
    );
  }
  const client = createClient({
    url,
    // Queued commands would wait for a Redis that may never come back; reject them at once.
    disableOfflineQueue: true,
    commandOptions: { timeout: options.commandTimeoutMs ?? 2000 },
    socket: {
      connectTimeout: options.connectTimeoutMs ?? 2000,
      reconnectStrategy: (retries, cause) =>
        retries >= attempts
          ? // The URL may hold a password: the message names neither.
            new Error(`redisStore: Redis is unreachable (${errorCode(cause) ?? cause.message}).`, {
              cause,
            })
          : Math.min(50 * 2 ** retries, 500),
    },
  });
  // Without a listener, a connection error would be an unhandled 'error' event and end the
  // process. The failure itself reaches the caller as the rejection of the command.
  client.on("error", () => {});
  return client;
}
