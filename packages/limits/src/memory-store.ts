import { LRUCache } from "lru-cache";
import type {
  AcquireRequest,
  AcquireResult,
  LimitStore,
  SettleRequest,
  WindowRequest,
} from "./store.js";

/** Options of {@link memoryLimitStore}. */
export interface MemoryLimitStoreOptions {
  /**
   * Most keys kept of each kind (windows, cool-downs and budgets are kept apart, so that many
   * short-lived windows never push out a budget); the least recently used go first. Default
   * `10_000`. A key pushed out forgets its counts, so keep it above the number of scopes in use.
   */
  readonly maxKeys?: number;
}

/** An exact sliding log: parallel arrays, oldest first, consumed from `head`. */
interface WindowLog {
  times: number[];
  amounts: number[];
  ids: string[];
  head: number;
  sum: number;
}

interface Counter {
  value: number;
  /** ms since the epoch; `Infinity` for no expiry. */
  expiresAt: number;
}

interface Cooldown {
  until: number;
}

/** Drops the entries of `log` at or before `cutoff` (linear from the front, compacting rarely). */
function prune(log: WindowLog, cutoff: number): void {
  const { times, amounts } = log;
  let head = log.head;
  while (head < times.length && times[head]! <= cutoff) {
    log.sum -= amounts[head]!;
    head++;
  }
  if (head === times.length) {
    if (head > 0) {
      log.times = [];
      log.amounts = [];
      log.ids = [];
    }
    log.head = 0;
    log.sum = 0;
    return;
  }
  if (head > 64 && head * 2 > times.length) {
    log.times = times.slice(head);
    log.amounts = amounts.slice(head);
    log.ids = log.ids.slice(head);
    head = 0;
  }
  log.head = head;
}

/** When enough of the oldest entries expire for `amount` more to fit. */
function windowRetryAfter(log: WindowLog, w: WindowRequest, now: number): number {
  const need = log.sum + w.amount - w.limit;
  let freed = 0;
  for (let j = log.head; j < log.times.length; j++) {
    freed += log.amounts[j]!;
    if (freed >= need) return Math.max(1, log.times[j]! + w.windowMs - now);
  }
  return w.windowMs;
}

/**
 * A {@link LimitStore} in this process's memory: exact sliding logs, budget counters and
 * cool-downs, each kind in its own bounded LRU (10,000 keys each by default). Limits hold for this process only; use
 * {@link redisLimitStore} to share them.
 *
 * @example
 * ```ts
 * const mw = limits({ store: memoryLimitStore(), rateLimits: [{ requests: 60 }] });
 * ```
 */
export function memoryLimitStore(
  options: MemoryLimitStoreOptions & {
    /** @internal tests: the clock. */ readonly now?: () => number;
  } = {},
): LimitStore {
  const maxKeys = options.maxKeys ?? 10_000;
  if (!Number.isInteger(maxKeys) || maxKeys < 1)
    throw new TypeError(`memoryLimitStore: maxKeys must be a positive integer; got ${maxKeys}.`);
  const clock = options.now ?? Date.now;
  // Apart, so that churn in one kind (many short-lived windows) never evicts another (budgets).
  const logs = new LRUCache<string, WindowLog>({ max: maxKeys });
  const cooldowns = new LRUCache<string, Cooldown>({ max: maxKeys });
  const counters = new LRUCache<string, Counter>({ max: maxKeys });

  const log = (key: string): WindowLog | undefined => logs.get(key);

  function counter(key: string, now: number): Counter | undefined {
    const e = counters.get(key);
    if (e === undefined) return undefined;
    if (e.expiresAt <= now) {
      counters.delete(key);
      return undefined;
    }
    return e;
  }

  return {
    async acquire(req: AcquireRequest): Promise<AcquireResult> {
      const now = clock();
      const { windows, budgets } = req;
      for (let i = 0; i < req.cooldowns.length; i++) {
        const e = cooldowns.get(req.cooldowns[i]!);
        if (e !== undefined && e.until > now)
          return { ok: false, kind: "cooldown", index: i, retryAfterMs: e.until - now, now };
      }
      for (let i = 0; i < windows.length; i++) {
        const w = windows[i]!;
        if (w.amount > w.limit) return { ok: false, kind: "window", index: i, now };
        const l = log(w.key);
        if (!l) continue;
        prune(l, now - w.windowMs);
        if (l.sum + w.amount > w.limit)
          return {
            ok: false,
            kind: "window",
            index: i,
            retryAfterMs: windowRetryAfter(l, w, now),
            now,
          };
      }
      for (let i = 0; i < budgets.length; i++) {
        const b = budgets[i]!;
        const spent = counter(b.key, now)?.value ?? 0;
        if (spent + b.amount > b.limit) return { ok: false, kind: "budget", index: i, spent, now };
      }
      for (const w of windows) {
        let l = log(w.key);
        if (!l) {
          l = { times: [], amounts: [], ids: [], head: 0, sum: 0 };
          logs.set(w.key, l);
        }
        l.times.push(now);
        l.amounts.push(w.amount);
        l.ids.push(w.id);
        l.sum += w.amount;
      }
      for (const b of budgets) {
        const expiresAt = b.ttlMs > 0 ? now + b.ttlMs : Number.POSITIVE_INFINITY;
        const c = counter(b.key, now);
        if (c) {
          c.value += b.amount;
          c.expiresAt = expiresAt;
        } else counters.set(b.key, { value: b.amount, expiresAt });
      }
      return { ok: true, now };
    },

    async settle(req: SettleRequest): Promise<void> {
      const now = clock();
      for (const w of req.windows) {
        const l = log(w.key);
        if (!l) continue;
        // The entry settled is nearly always among the newest: search from the end.
        const j = l.ids.lastIndexOf(w.id);
        if (j < l.head) continue;
        l.sum += w.amount - l.amounts[j]!;
        l.amounts[j] = w.amount;
      }
      for (const b of req.budgets) {
        const c = counter(b.key, now);
        if (c) c.value += b.delta;
      }
    },

    async cooldown(key: string, durationMs: number): Promise<number> {
      const now = clock();
      const untilMs = now + durationMs;
      const e = cooldowns.get(key);
      if (e !== undefined && e.until > now) {
        e.until = Math.max(e.until, untilMs);
        return e.until;
      }
      // A duration of 0 or less starts nothing: the end in force is now.
      if (durationMs <= 0) return now;
      cooldowns.set(key, { until: untilMs });
      return untilMs;
    },
  };
}
