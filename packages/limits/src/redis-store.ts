import { createHash } from "node:crypto";
import { createClient } from "redis";
import type { AcquireRequest, AcquireResult, LimitStore, SettleRequest } from "./store.js";

/** What a script call takes, as node-redis (v5 and later) names it. */
export interface RedisScriptOptions {
  keys: string[];
  arguments: string[];
}

/**
 * The part of a node-redis client (`createClient()` from `redis` or `@redis/client`, v5 and later)
 * that {@link redisLimitStore} uses: `EVALSHA` and `EVAL`.
 */
export interface RedisLimitClient {
  evalSha(sha1: string, options: RedisScriptOptions): Promise<unknown>;
  eval(script: string, options: RedisScriptOptions): Promise<unknown>;
}

/**
 * Where the store's Redis is: a URL (the store creates, connects and closes its own client), or
 * a client you own (used as is: connect it, handle its `error` events and close it yourself).
 */
export type RedisLimitConnection = { readonly url: string } | { readonly client: RedisLimitClient };

/** Options of {@link redisLimitStore}. */
export interface RedisLimitStoreOptions {
  /** Prefix of every key the store writes. Default `"rephysco:limits:"`. */
  readonly prefix?: string;
  /**
   * How long one command (or a connection attempt) may take before the call fails, ms. Default
   * `250`: a slow Redis costs a request at most this much before the middleware falls back.
   */
  readonly commandTimeoutMs?: number;
  /**
   * Refuse requests (a `ServiceUnavailableError` with reason `limits_unavailable`) while Redis
   * fails, instead of going on under this process's local limits. Default `false`.
   */
  readonly failClosed?: boolean;
  /** Own client only: reconnection attempts before a command fails. Default `2`. */
  readonly reconnectAttempts?: number;
}

/** A {@link LimitStore} on Redis, as {@link redisLimitStore} returns. */
export interface RedisLimitStore extends LimitStore {
  /** The key prefix. */
  readonly prefix: string;
  readonly remote: true;
  readonly failClosed: boolean;
  /** Closes the client the store created from a URL; leaves a client you passed alone. */
  close(): Promise<void>;
}

/** Reads the amount from a window member `"<id>:<amount>"`. */
const LUA_HELPERS = `
local function amountOf(m) return tonumber(string.match(m, ':(%d+)$')) or 0 end
local function clock()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local function recompute(zk, sk, ttl)
  local all = redis.call('ZRANGE', zk, 0, -1)
  local s = 0
  for _, m in ipairs(all) do s = s + amountOf(m) end
  if #all == 0 then redis.call('DEL', sk) else redis.call('SET', sk, s, 'PX', ttl) end
  return s
end
`;

/**
 * KEYS: cool-downs, then per window its log (zset) and sum, then budgets.
 * ARGV: nc, nw, nb, then per window limit, windowMs, amount, id; then per budget limit, amount, ttlMs.
 * Returns {1, now} or {0, kind, index, retryAfterMs (-1: none), spent, now}.
 */
const ACQUIRE = `${LUA_HELPERS}
local nc, nw, nb = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local now = clock()
local k = 1
for i = 1, nc do
  local u = tonumber(redis.call('GET', KEYS[k]) or '0') or 0
  if u > now then return {0, 'cooldown', i - 1, u - now, 0, now} end
  k = k + 1
end
local wk, a = k, 4
for i = 1, nw do
  local zk, sk = KEYS[k], KEYS[k + 1]
  local limit, win, amount = tonumber(ARGV[a]), tonumber(ARGV[a + 1]), tonumber(ARGV[a + 2])
  if amount > limit then return {0, 'window', i - 1, -1, 0, now} end
  local cutoff = now - win
  local expired = redis.call('ZRANGEBYSCORE', zk, '-inf', cutoff)
  local sum
  if #expired > 0 then
    local freed = 0
    for _, m in ipairs(expired) do freed = freed + amountOf(m) end
    redis.call('ZREMRANGEBYSCORE', zk, '-inf', cutoff)
    if redis.call('EXISTS', sk) == 1 then sum = redis.call('DECRBY', sk, freed) else sum = -1 end
  else
    sum = tonumber(redis.call('GET', sk) or '-1')
  end
  if sum < 0 then sum = recompute(zk, sk, win) end
  if sum + amount > limit then
    local need = sum + amount - limit
    local entries = redis.call('ZRANGE', zk, 0, -1, 'WITHSCORES')
    local freed, retry = 0, win
    for j = 1, #entries, 2 do
      freed = freed + amountOf(entries[j])
      if freed >= need then
        retry = math.max(1, tonumber(entries[j + 1]) + win - now)
        break
      end
    end
    return {0, 'window', i - 1, retry, 0, now}
  end
  k, a = k + 2, a + 4
end
local bk, ba = k, a
for i = 1, nb do
  local limit, amount = tonumber(ARGV[a]), tonumber(ARGV[a + 1])
  local spent = tonumber(redis.call('GET', KEYS[k]) or '0') or 0
  if spent + amount > limit then return {0, 'budget', i - 1, -1, spent, now} end
  k, a = k + 1, a + 3
end
k, a = wk, 4
for i = 1, nw do
  local zk, sk = KEYS[k], KEYS[k + 1]
  local win, amount, id = ARGV[a + 1], ARGV[a + 2], ARGV[a + 3]
  redis.call('ZADD', zk, now, id .. ':' .. amount)
  redis.call('INCRBY', sk, amount)
  redis.call('PEXPIRE', zk, win)
  redis.call('PEXPIRE', sk, win)
  k, a = k + 2, a + 4
end
k, a = bk, ba
for i = 1, nb do
  local amount, ttl = ARGV[a + 1], tonumber(ARGV[a + 2])
  redis.call('INCRBY', KEYS[k], amount)
  if ttl > 0 then redis.call('PEXPIRE', KEYS[k], ttl) end
  k, a = k + 1, a + 3
end
return {1, now}
`;

/**
 * KEYS: per window its log and sum, then budgets. ARGV: nw, nb, then per window id, reserved,
 * amount; then per budget delta.
 */
const SETTLE = `
local nw, nb = tonumber(ARGV[1]), tonumber(ARGV[2])
local k, a = 1, 3
for i = 1, nw do
  local zk, sk = KEYS[k], KEYS[k + 1]
  local id, reserved, amount = ARGV[a], ARGV[a + 1], ARGV[a + 2]
  local old = id .. ':' .. reserved
  local score = redis.call('ZSCORE', zk, old)
  if score and reserved ~= amount then
    redis.call('ZREM', zk, old)
    redis.call('ZADD', zk, score, id .. ':' .. amount)
    if redis.call('EXISTS', sk) == 1 then
      redis.call('INCRBY', sk, tonumber(amount) - tonumber(reserved))
    end
  end
  k, a = k + 2, a + 3
end
for i = 1, nb do
  if redis.call('EXISTS', KEYS[k]) == 1 then redis.call('INCRBY', KEYS[k], ARGV[a]) end
  k, a = k + 1, a + 1
end
return 1
`;

/** KEYS[1] the cool-down; ARGV[1] its end (ms since the epoch). Keeps the later end. */
const COOLDOWN = `${LUA_HELPERS}
local now = clock()
local untilMs = now + tonumber(ARGV[1])
local cur = tonumber(redis.call('GET', KEYS[1]) or '0') or 0
if untilMs > cur then
  redis.call('SET', KEYS[1], tostring(untilMs), 'PX', math.floor(untilMs - now))
  return untilMs
end
return cur
`;

interface Script {
  readonly source: string;
  readonly sha: string;
}

const script = (source: string): Script => ({
  source,
  sha: createHash("sha1").update(source).digest("hex"),
});

const SCRIPTS = {
  acquire: script(ACQUIRE),
  settle: script(SETTLE),
  cooldown: script(COOLDOWN),
};

function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : undefined;
}

function checkNumber(name: string, value: number | undefined, min: number): void {
  if (value !== undefined && !(Number.isFinite(value) && value >= min))
    throw new TypeError(`redisLimitStore: ${name} must be a number >= ${min}; got ${value}.`);
}

const int = (n: number): string => String(Math.round(n));

/**
 * A {@link LimitStore} on Redis: every process and machine pointing at the same Redis shares
 * rate-limit windows, budgets and cool-downs. Each operation is one Lua script (one round trip,
 * atomic), timed by Redis's own clock (`TIME`), so the fleet has one clock. Keys are the
 * middleware's hashes under `prefix`; no API key, model name or tag is ever written.
 *
 * Every command has a deadline (`commandTimeoutMs`, default 250 ms). When Redis fails or is slow
 * the limits middleware goes on under local limits and reports a `limit_error` event, or refuses
 * with `failClosed: true`.
 *
 * @example
 * ```ts
 * const store = redisLimitStore({ url: process.env.REDIS_URL! });
 * const client = new LLMClient({ provider: "openai", middleware: [limits({ store, rateLimits: [{ requests: 500 }] })] });
 * // at shutdown
 * await store.close();
 * ```
 */
export function redisLimitStore(
  connection: RedisLimitConnection,
  options: RedisLimitStoreOptions = {},
): RedisLimitStore {
  const prefix = options.prefix ?? "rephysco:limits:";
  if (typeof prefix !== "string") throw new TypeError("redisLimitStore: prefix must be a string.");
  checkNumber("commandTimeoutMs", options.commandTimeoutMs, 1);
  checkNumber("reconnectAttempts", options.reconnectAttempts, 0);
  const commandTimeoutMs = options.commandTimeoutMs ?? 250;
  const own = "url" in connection ? ownClient(connection.url, options) : undefined;
  const client: RedisLimitClient = own ?? (connection as { client: RedisLimitClient }).client;
  if (!own && (typeof client?.evalSha !== "function" || typeof client.eval !== "function"))
    throw new TypeError(
      "redisLimitStore: pass { url } or { client } with a node-redis client (evalSha and eval).",
    );
  let connecting: Promise<unknown> | undefined;
  let closed = false;

  // As in @rephysco/cache-redis: node-redis's own timeout stops once a command is written, so
  // each step gets a deadline here; on an own client a missed one drops the connection.
  async function guard<T>(work: Promise<T>): Promise<T> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        if (own?.isOpen) own.destroy();
        connecting = undefined;
        reject(new Error(`redisLimitStore: Redis did not answer within ${commandTimeoutMs} ms.`));
      }, commandTimeoutMs);
    });
    work.catch(() => undefined);
    try {
      return await Promise.race([work, deadline]);
    } finally {
      clearTimeout(timer);
    }
  }

  async function run(s: Script, keys: string[], args: string[]): Promise<unknown> {
    if (closed) throw new Error("redisLimitStore: the store is closed.");
    return guard(
      (async () => {
        if (own && (connecting || !own.isOpen)) {
          connecting ??= own.connect().finally(() => {
            connecting = undefined;
          });
          await connecting;
        }
        const opts = { keys, arguments: args };
        try {
          return await client.evalSha(s.sha, opts);
        } catch (error) {
          if (!String((error as Error)?.message).startsWith("NOSCRIPT")) throw error;
          return await client.eval(s.source, opts);
        }
      })(),
    );
  }

  return {
    prefix,
    remote: true,
    failClosed: options.failClosed ?? false,

    async acquire(req: AcquireRequest): Promise<AcquireResult> {
      const keys: string[] = [];
      const args: string[] = [
        String(req.cooldowns.length),
        String(req.windows.length),
        String(req.budgets.length),
      ];
      for (const c of req.cooldowns) keys.push(prefix + c);
      for (const w of req.windows) {
        keys.push(prefix + w.key, `${prefix}${w.key}:s`);
        args.push(int(w.limit), int(w.windowMs), int(w.amount), w.id);
      }
      for (const b of req.budgets) {
        keys.push(prefix + b.key);
        args.push(int(b.limit), int(b.amount), int(b.ttlMs));
      }
      const reply = (await run(SCRIPTS.acquire, keys, args)) as unknown[];
      if (!Array.isArray(reply)) throw new Error("redisLimitStore: unexpected script reply.");
      if (Number(reply[0]) === 1) return { ok: true, now: Number(reply[1]) };
      const retry = Number(reply[3]);
      const kind = String(reply[1]) as "cooldown" | "window" | "budget";
      return {
        ok: false,
        kind,
        index: Number(reply[2]),
        ...(retry >= 0 && { retryAfterMs: retry }),
        ...(kind === "budget" && { spent: Number(reply[4]) }),
        now: Number(reply[5]),
      };
    },

    async settle(req: SettleRequest): Promise<void> {
      if (req.windows.length === 0 && req.budgets.length === 0) return;
      const keys: string[] = [];
      const args: string[] = [String(req.windows.length), String(req.budgets.length)];
      for (const w of req.windows) {
        keys.push(prefix + w.key, `${prefix}${w.key}:s`);
        args.push(w.id, int(w.reserved), int(w.amount));
      }
      for (const b of req.budgets) {
        keys.push(prefix + b.key);
        args.push(int(b.delta));
      }
      await run(SCRIPTS.settle, keys, args);
    },

    async cooldown(key: string, durationMs: number): Promise<number> {
      return Number(await run(SCRIPTS.cooldown, [prefix + key], [int(durationMs)]));
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
        if (own.isOpen) throw error;
      }
    },
  };
}

type OwnClient = RedisLimitClient & {
  readonly isOpen: boolean;
  connect(): Promise<unknown>;
  close(): Promise<unknown>;
  destroy(): void;
};

function ownClient(url: string, options: RedisLimitStoreOptions): OwnClient {
  const attempts = options.reconnectAttempts ?? 2;
  const timeout = options.commandTimeoutMs ?? 250;
  try {
    // The URL may hold a password, and a URL parse error keeps the whole input: never let it out.
    new URL(url);
  } catch {
    throw new TypeError(
      "redisLimitStore: the Redis URL is not a valid URL (expected redis://[[user]:password@]host[:port][/db]).",
    );
  }
  const client = createClient({
    url,
    disableOfflineQueue: true,
    commandOptions: { timeout },
    socket: {
      connectTimeout: Math.max(timeout, 1000),
      reconnectStrategy: (retries, cause) =>
        retries >= attempts
          ? new Error(
              `redisLimitStore: Redis is unreachable (${errorCode(cause) ?? cause.message}).`,
              { cause },
            )
          : Math.min(50 * 2 ** retries, 500),
    },
  });
  client.on("error", () => {});
  return client as unknown as OwnClient;
}
