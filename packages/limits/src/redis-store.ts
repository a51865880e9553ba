import { createHash, randomBytes } from "node:crypto";
import { type EventEmitter, once } from "node:events";
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
  /**
   * node-redis: the same client with an abort signal on its commands (a command not yet written,
   * or waiting in the offline queue, is dropped when the store gives up on it). Used when present.
   */
  withAbortSignal?(signal: AbortSignal): RedisLimitClient;
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
   * How long one command may take before the call fails, ms (waiting for a connection included).
   * Default `250`: a slow Redis costs a request at most this much before the middleware falls
   * back. An acquire given up on that may still run in Redis is given back once Redis answers.
   */
  readonly commandTimeoutMs?: number;
  /**
   * Own client only: how long connecting (TCP, TLS, authentication and loading the scripts) may
   * take, ms. Default `2000`. A connection slower than `commandTimeoutMs` goes on in the
   * background: requests meanwhile go on without the store (as when it fails), later ones use it.
   */
  readonly connectTimeoutMs?: number;
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
local function recompute(zk, sk, win)
  local all = redis.call('ZRANGE', zk, 0, -1)
  local s = 0
  for _, m in ipairs(all) do s = s + amountOf(m) end
  if #all == 0 then redis.call('DEL', sk) return 0 end
  -- The sum lives exactly as long as its log (never longer: it would count entries that are gone).
  local ttl = redis.call('PTTL', zk)
  if ttl <= 0 then ttl = win end
  redis.call('SET', sk, s, 'PX', ttl)
  return s
end
`;

/**
 * KEYS: cool-downs, then per window its log (zset) and sum, then budgets, then the request's
 * marker. ARGV: nc, nw, nb, markerTtlMs, then per window limit, windowMs, amount, id; then per
 * budget limit, amount, ttlMs.
 * Returns {1, now}, {0, kind, index, retryAfterMs (-1: none), spent, now}, or {2, now} when the
 * request was already released (it timed out at the client and was given back before it ran).
 */
const ACQUIRE = `${LUA_HELPERS}
local nc, nw, nb = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local marker, markerTtl = KEYS[#KEYS], tonumber(ARGV[4])
local now = clock()
if redis.call('EXISTS', marker) == 1 then return {2, now} end
local k = 1
for i = 1, nc do
  local u = tonumber(redis.call('GET', KEYS[k]) or '0') or 0
  if u > now then return {0, 'cooldown', i - 1, u - now, 0, now} end
  k = k + 1
end
local wk, a = k, 5
for i = 1, nw do
  local zk, sk = KEYS[k], KEYS[k + 1]
  local limit, win, amount = tonumber(ARGV[a]), tonumber(ARGV[a + 1]), tonumber(ARGV[a + 2])
  if amount > limit then return {0, 'window', i - 1, -1, 0, now} end
  local cutoff = now - win
  local expired = redis.call('ZRANGEBYSCORE', zk, '-inf', cutoff)
  local freed = 0
  if #expired > 0 then
    for _, m in ipairs(expired) do freed = freed + amountOf(m) end
    redis.call('ZREMRANGEBYSCORE', zk, '-inf', cutoff)
  end
  local sum
  if redis.call('EXISTS', zk) == 0 then
    -- No log (expired, evicted or emptied): whatever sum is left counts nothing.
    redis.call('DEL', sk)
    sum = 0
  elseif #expired > 0 then
    if redis.call('EXISTS', sk) == 1 then sum = redis.call('DECRBY', sk, freed) else sum = -1 end
  else
    sum = tonumber(redis.call('GET', sk) or '-1')
  end
  if sum < 0 then sum = recompute(zk, sk, win) end
  if sum + amount > limit then
    -- Read the oldest entries a chunk at a time, only as far as needed (usually the first one).
    local need = sum + amount - limit
    local freedNow, retry, from, found = 0, win, 0, false
    while not found do
      local entries = redis.call('ZRANGE', zk, from, from + 63, 'WITHSCORES')
      if #entries == 0 then break end
      for j = 1, #entries, 2 do
        freedNow = freedNow + amountOf(entries[j])
        if freedNow >= need then
          retry = math.max(1, tonumber(entries[j + 1]) + win - now)
          found = true
          break
        end
      end
      from = from + 64
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
k, a = wk, 5
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
redis.call('SET', marker, '1', 'PX', markerTtl)
return {1, now}
`;

/**
 * Gives back an acquire the client gave up on (it timed out), whether it ran or not: when its
 * marker says it was admitted, its window entries and budget amounts are removed; in any case the
 * marker becomes a tombstone, so that an acquire still on its way is not recorded when it lands.
 * KEYS: per window its log and sum, then budgets, then the marker. ARGV: nw, nb, markerTtlMs,
 * then per window its member; then per budget its amount.
 */
const RELEASE = `
local nw, nb, ttl = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local marker = KEYS[#KEYS]
local state = redis.call('GET', marker)
redis.call('SET', marker, '0', 'PX', ttl)
if state ~= '1' then return 0 end
local k, a = 1, 4
for i = 1, nw do
  local zk, sk, member = KEYS[k], KEYS[k + 1], ARGV[a]
  if redis.call('ZREM', zk, member) == 1 then
    if redis.call('EXISTS', zk) == 0 then
      redis.call('DEL', sk)
    elseif redis.call('EXISTS', sk) == 1 then
      local amount = tonumber(string.match(member, ':(%d+)$')) or 0
      if redis.call('DECRBY', sk, amount) < 0 then redis.call('DEL', sk) end
    end
  end
  k, a = k + 2, a + 1
end
for i = 1, nb do
  if redis.call('EXISTS', KEYS[k]) == 1 then redis.call('DECRBY', KEYS[k], ARGV[a]) end
  k, a = k + 1, a + 1
end
return 1
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

/**
 * KEYS[1] the cool-down; ARGV[1] its length, ms. Keeps the later end; returns the end in force
 * (now when there is none: a length of 0 starts nothing).
 */
const COOLDOWN = `${LUA_HELPERS}
local now = clock()
local untilMs = now + tonumber(ARGV[1])
local cur = tonumber(redis.call('GET', KEYS[1]) or '0') or 0
if untilMs > cur and untilMs > now then
  redis.call('SET', KEYS[1], tostring(untilMs), 'PX', math.floor(untilMs - now))
  return untilMs
end
if cur > now then return cur end
return now
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
  release: script(RELEASE),
  settle: script(SETTLE),
  cooldown: script(COOLDOWN),
};

function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : undefined;
}

function checkNumber(
  name: string,
  value: number | undefined,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
): void {
  if (value !== undefined && !(Number.isFinite(value) && value >= min && value <= max))
    throw new TypeError(
      `redisLimitStore: ${name} must be a number from ${min} to ${max}; got ${value}.`,
    );
}

/** The longest timer Node.js keeps. */
const MAX_TIMER_MS = 2 ** 31 - 1;
/** Timed-out acquires kept to give back; the oldest go first beyond this. */
const MAX_PENDING_RELEASES = 10_000;
const RELEASE_RETRY_MIN_MS = 100;
const RELEASE_RETRY_MAX_MS = 5_000;

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
  checkNumber("commandTimeoutMs", options.commandTimeoutMs, 1, MAX_TIMER_MS);
  checkNumber("connectTimeoutMs", options.connectTimeoutMs, 1, MAX_TIMER_MS);
  checkNumber("reconnectAttempts", options.reconnectAttempts, 0);
  const commandTimeoutMs = options.commandTimeoutMs ?? 250;
  const connectTimeoutMs = options.connectTimeoutMs ?? 2000;
  // How long an admitted request's marker lives: the window for giving it back after a timeout.
  const markerTtlMs = Math.max(60_000, 20 * commandTimeoutMs, 2 * connectTimeoutMs);
  const own = "url" in connection ? ownClient(connection.url, options) : undefined;
  const client: RedisLimitClient = own ?? (connection as { client: RedisLimitClient }).client;
  if (!own && (typeof client?.evalSha !== "function" || typeof client.eval !== "function"))
    throw new TypeError(
      "redisLimitStore: pass { url } or { client } with a node-redis client (evalSha and eval).",
    );
  const storeId = randomBytes(6).toString("base64url");
  let requests = 0;
  let connecting: Promise<void> | undefined;
  let closed = false;

  /** Acquires given up on (timed out) that may still run in Redis: each is given back. */
  const releases = new Map<string, { keys: string[]; args: string[] }>();
  let releaseTimer: ReturnType<typeof setTimeout> | undefined;
  let releaseDelay = RELEASE_RETRY_MIN_MS;
  let releasing: Promise<void> | undefined;

  /**
   * Connects the own client (connect, handshake, script preload) with its own deadline,
   * `connectTimeoutMs`. It goes on in the background when a command's deadline passes first:
   * requests meanwhile go on without the store, and later ones find it ready.
   */
  function connect(c: OwnClient): Promise<void> {
    connecting ??= (async () => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const deadline = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          if (c.isOpen) c.destroy();
          reject(
            new Error(`redisLimitStore: Redis did not connect within ${connectTimeoutMs} ms.`),
          );
        }, connectTimeoutMs);
      });
      const work = (async () => {
        if (!c.isOpen) await c.connect();
        else if (!c.isReady) await once(c as unknown as EventEmitter, "ready");
        // Loaded once per connection: the first request needs one round trip, not two.
        await Promise.all(Object.values(SCRIPTS).map((x) => c.scriptLoad(x.source)));
      })();
      work.catch(() => undefined);
      try {
        await Promise.race([work, deadline]);
      } finally {
        clearTimeout(timer);
        connecting = undefined;
      }
    })();
    connecting.catch(() => undefined);
    return connecting;
  }

  /**
   * Runs a script within `commandTimeoutMs`. Past the deadline the command is aborted (dropped
   * when not yet written), and an own client that was ready is dropped (a stuck connection);
   * `onGiveUp` learns whether the command may still run in Redis.
   */
  async function run(
    s: Script,
    keys: string[],
    args: string[],
    onGiveUp?: (maySendLater: boolean) => void,
  ): Promise<unknown> {
    if (closed) throw new Error("redisLimitStore: the store is closed.");
    const controller = new AbortController();
    let sent = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        controller.abort();
        // Only a connection that was ready and did not answer is dropped: a slow connect goes on.
        if (sent && own?.isReady) own.destroy();
        onGiveUp?.(sent);
        reject(new Error(`redisLimitStore: Redis did not answer within ${commandTimeoutMs} ms.`));
      }, commandTimeoutMs);
    });
    const work = (async () => {
      if (own && !own.isReady) await connect(own);
      if (controller.signal.aborted) throw new Error("redisLimitStore: gave up.");
      // node-redis drops a command not yet written when its signal aborts (from its offline
      // queue too, for a client you pass); one already written may still run: see releases.
      const c: RedisLimitClient =
        typeof client.withAbortSignal === "function"
          ? client.withAbortSignal(controller.signal)
          : client;
      const opts = { keys, arguments: args };
      sent = true;
      try {
        return await c.evalSha(s.sha, opts);
      } catch (error) {
        if (!String((error as Error)?.message).startsWith("NOSCRIPT")) throw error;
        if (controller.signal.aborted) throw error;
        return await c.eval(s.source, opts);
      }
    })();
    work.catch(() => undefined);
    try {
      return await Promise.race([work, deadline]);
    } finally {
      clearTimeout(timer);
    }
  }

  function scheduleReleases(delayMs: number): void {
    if (closed || releaseTimer || releases.size === 0) return;
    releaseTimer = setTimeout(() => {
      releaseTimer = undefined;
      void flushReleases();
    }, delayMs);
    releaseTimer.unref?.();
  }

  /** Gives back every acquire given up on; retried with a growing delay while Redis fails. */
  function flushReleases(): Promise<void> {
    releasing ??= (async () => {
      try {
        for (const [id, r] of [...releases]) {
          await run(SCRIPTS.release, r.keys, r.args);
          releases.delete(id);
        }
        releaseDelay = RELEASE_RETRY_MIN_MS;
      } catch {
        releaseDelay = Math.min(releaseDelay * 2, RELEASE_RETRY_MAX_MS);
      } finally {
        releasing = undefined;
        scheduleReleases(releaseDelay);
      }
    })();
    return releasing;
  }

  return {
    prefix,
    remote: true,
    failClosed: options.failClosed ?? false,

    async acquire(req: AcquireRequest): Promise<AcquireResult> {
      const rid = `${storeId}.${(++requests).toString(36)}`;
      const marker = `${prefix}r:${rid}`;
      const keys: string[] = [];
      const args: string[] = [
        String(req.cooldowns.length),
        String(req.windows.length),
        String(req.budgets.length),
        String(markerTtlMs),
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
      keys.push(marker);
      const giveUp = (maySendLater: boolean) => {
        if (!maySendLater) return;
        // The script may already be on its way (written to a socket, or run but not answered):
        // give it back once Redis answers, or make sure it records nothing when it lands.
        const rk: string[] = [];
        const ra: string[] = [
          String(req.windows.length),
          String(req.budgets.length),
          String(markerTtlMs),
        ];
        for (const w of req.windows) {
          rk.push(prefix + w.key, `${prefix}${w.key}:s`);
          ra.push(`${w.id}:${int(w.amount)}`);
        }
        for (const b of req.budgets) {
          rk.push(prefix + b.key);
          ra.push(int(b.amount));
        }
        rk.push(marker);
        if (releases.size >= MAX_PENDING_RELEASES) {
          const oldest = releases.keys().next().value;
          if (oldest !== undefined) releases.delete(oldest);
        }
        releases.set(rid, { keys: rk, args: ra });
        scheduleReleases(0);
      };
      const reply = (await run(SCRIPTS.acquire, keys, args, giveUp)) as unknown[];
      if (!Array.isArray(reply)) throw new Error("redisLimitStore: unexpected script reply.");
      if (Number(reply[0]) === 1) return { ok: true, now: Number(reply[1]) };
      if (Number(reply[0]) === 2) throw new Error("redisLimitStore: the request was released.");
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
      if (releaseTimer) clearTimeout(releaseTimer);
      releaseTimer = undefined;
      // One last try to give back what timed out (each try is bounded by the command deadline).
      await releasing;
      if (releases.size > 0) await flushReleases();
      closed = true;
      if (releaseTimer) clearTimeout(releaseTimer);
      if (!own) return;
      await connecting?.catch(() => undefined);
      if (!own.isOpen) return;
      try {
        await Promise.race([
          own.close(),
          new Promise((_, reject) =>
            setTimeout(
              () => reject(new Error("redisLimitStore: close timed out.")),
              commandTimeoutMs,
            ).unref?.(),
          ),
        ]);
      } catch (error) {
        if (own.isOpen) own.destroy();
        if (own.isOpen) throw error;
      }
    },
  };
}

type OwnClient = RedisLimitClient & {
  readonly isOpen: boolean;
  readonly isReady: boolean;
  connect(): Promise<unknown>;
  scriptLoad(script: string): Promise<unknown>;
  close(): Promise<unknown>;
  destroy(): void;
};

function ownClient(url: string, options: RedisLimitStoreOptions): OwnClient {
  const attempts = options.reconnectAttempts ?? 2;
  const timeout = options.commandTimeoutMs ?? 250;
  const connectTimeout = options.connectTimeoutMs ?? 2000;
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
      connectTimeout: connectTimeout,
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
