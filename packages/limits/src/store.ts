/**
 * The contract between the limits middleware and where counts live. A store answers one atomic
 * `acquire` per attempt (one round trip for a remote store), settles reservations afterwards and
 * records cool-downs. Implement it to keep limits somewhere else than memory or Redis; run the
 * same checks as this package's store contract tests.
 */

/** One sliding window a request must fit in, as the store sees it. */
export interface WindowRequest {
  /** Store key of the window (already hashed and prefixed by the middleware, minus the store's own prefix). */
  readonly key: string;
  /** Most units admitted in any window of `windowMs` (a positive integer). */
  readonly limit: number;
  /** Window length, ms. */
  readonly windowMs: number;
  /** Units this request takes (1 for a request count; estimated tokens for a token window). */
  readonly amount: number;
  /** Id of this request's entry, unique across processes, so that `settle` can find it. */
  readonly id: string;
}

/** One budget a request must fit in. */
export interface BudgetRequest {
  /** Store key of the budget (one per budget, scope and period). */
  readonly key: string;
  /** The cap: an integer (tokens, or USD in nano-dollars). */
  readonly limit: number;
  /** What this request reserves (an integer in the same unit). */
  readonly amount: number;
  /** How long the counter lives after a write, ms (the rest of its period); `0` for no expiry. */
  readonly ttlMs: number;
}

/** What {@link LimitStore.acquire} checks and records, all or nothing. */
export interface AcquireRequest {
  /** Cool-down keys: while any of them is active, the request is refused (`kind: "cooldown"`). */
  readonly cooldowns: readonly string[];
  /** Sliding windows (exact logs): each must admit `amount` more. */
  readonly windows: readonly WindowRequest[];
  /** Budgets: each must have `amount` left. */
  readonly budgets: readonly BudgetRequest[];
}

/**
 * The answer of {@link LimitStore.acquire}. `now` is the store's clock (ms since the epoch);
 * a refusal names which check refused (`kind` and `index` into that list) and, for a cool-down
 * or a window, how long until the request could pass (`retryAfterMs`; absent when it never can:
 * an amount above the window's limit). A budget refusal carries what was `spent`.
 */
export type AcquireResult =
  | { readonly ok: true; readonly now: number }
  | {
      readonly ok: false;
      readonly kind: "cooldown" | "window" | "budget";
      readonly index: number;
      readonly retryAfterMs?: number;
      readonly spent?: number;
      readonly now: number;
    };

/** One window entry to settle: its amount becomes `amount` (same time, same id). */
export interface WindowSettlement {
  /** The window's key, as at `acquire`. */
  readonly key: string;
  /** The window's length, ms. */
  readonly windowMs: number;
  /** The entry's id, as at `acquire`. */
  readonly id: string;
  /** The amount the entry was recorded with at `acquire` (how a store finds it). */
  readonly reserved: number;
  /** The amount it should count for now (the actual tokens). */
  readonly amount: number;
}

/** One budget to adjust by `delta` (negative to give back). */
export interface BudgetSettlement {
  /** The budget's key, as at `acquire`. */
  readonly key: string;
  /** Integer change of the counter; nothing happens when the counter has expired. */
  readonly delta: number;
  /** As in {@link BudgetRequest.ttlMs}. */
  readonly ttlMs: number;
}

/** What {@link LimitStore.settle} changes once an attempt's actual usage is known. */
export interface SettleRequest {
  /** Token-window entries whose amount changes. */
  readonly windows: readonly WindowSettlement[];
  /** Budget counters to adjust. */
  readonly budgets: readonly BudgetSettlement[];
}

/**
 * Where rate-limit windows, budgets and cool-downs are counted: {@link memoryLimitStore} (this
 * process) or {@link redisLimitStore} (every process sharing a Redis).
 *
 * Semantics every store keeps:
 * - `acquire` is atomic and all-or-nothing: when refused, nothing is recorded. A window admits a
 *   request when the sum of the amounts recorded in `(now - windowMs, now]` plus its own amount
 *   is at most `limit` (an exact sliding log: no span of `windowMs` ever holds more than the
 *   limit). A budget admits when `spent + amount <= limit`.
 * - `retryAfterMs` of a window is when enough of its oldest entries expire for the request to fit.
 * - `settle` changes a recorded window entry's amount (keeping its time) and adds `delta` to a
 *   live budget counter.
 * - `cooldown` starts a cool-down of `durationMs` on the store's own clock (so that machines whose
 *   clocks disagree agree on its end), keeps the later of the existing and the new end, and
 *   returns the end in force, ms since the epoch on the store's clock.
 */
export interface LimitStore {
  /** Checks cool-downs, windows and budgets and, only when all pass, records the request. */
  acquire(request: AcquireRequest): Promise<AcquireResult>;
  /** Settles reservations to actual usage. */
  settle(request: SettleRequest): Promise<void>;
  /**
   * Puts `key` into a cool-down for `durationMs` from now on the store's clock, unless a later
   * one is set; resolves to the end in force (ms since the epoch, the store's clock).
   */
  cooldown(key: string, durationMs: number): Promise<number>;
  /**
   * `true` for a store that may fail (a remote one): when it fails the middleware goes on under
   * local limits, or refuses when `failClosed` is set.
   */
  readonly remote?: boolean;
  /** With `remote`: refuse requests while the store fails, instead of falling back to local limits. */
  readonly failClosed?: boolean;
}
