import { randomBytes } from "node:crypto";
import type { Cost, Usage } from "@rephysco/core";
import { type LimitStore, memoryLimitStore, periodOf } from "@rephysco/limits";
import { HttpError } from "./errors.js";
import type { KeyIdentity } from "./keys.js";

/** What a request asks of its key's limits before it is served. */
export interface KeyDemand {
  /** Prompt tokens, estimated from the messages. */
  readonly promptTokens: number;
  /** The request's `max_tokens`, when it set one. */
  readonly maxTokens?: number;
  /** Whether the route's primary model has a price (a USD budget needs one). */
  readonly priced: boolean;
  /** The model, for messages. */
  readonly model: string;
}

/** What a request spent, counted when its response ends. */
export interface KeySpend {
  readonly usage?: Usage;
  readonly cost?: Cost;
  /** The answer came from the cache (nothing spent upstream). */
  readonly cached: boolean;
}

/** An admitted request: settle it once, with what it spent. */
export interface Admission {
  settle(spend: KeySpend): void;
}

const NANO = 1e9;
const NOTHING: Admission = { settle: () => undefined };

/**
 * The limits of virtual keys, enforced per client request, before the cache and before
 * identical requests are merged (so a key's limits hold whatever other keys do): requests and
 * tokens per sliding window, and a spending cap per UTC period. Counts live in the limit store
 * (Redis: shared by every instance). Tokens reserve the prompt estimate plus `max_tokens` and are
 * settled to what the answer used; a budget admits a request while the key's spend is below the
 * cap and counts the actual cost (tokens, or USD from the answer's cost) when it ends.
 */
export class KeyLimiter {
  readonly #store: LimitStore;
  /** Rate windows go on here while a remote store fails (budgets refuse instead). */
  readonly #local: LimitStore | undefined;
  readonly #onError: (error: unknown) => void;

  constructor(store: LimitStore, onError: (error: unknown) => void) {
    this.#store = store;
    this.#local = store.remote ? memoryLimitStore() : undefined;
    this.#onError = onError;
  }

  /**
   * Admits a request of `identity`, or throws the 429 (rate limit, budget) that says why.
   *
   * @throws {HttpError} 429 `rate_limit_exceeded` (with Retry-After) or `budget_exceeded`; 503
   *   `limits_unavailable` when the shared store fails and the key has a budget; 500 when a USD
   *   budget meets a model without a price.
   */
  async admit(identity: KeyIdentity, demand: KeyDemand): Promise<Admission> {
    const { record } = identity;
    const rate = record.rateLimit;
    const budget = record.budget;
    if (!rate && !budget) return NOTHING;
    const base = `gwkey:${identity.record.hash.slice(7, 39)}`;
    const id = randomBytes(9).toString("base64url");
    const windowMs = rate?.windowMs ?? 60_000;
    const reserve = demand.promptTokens + (demand.maxTokens ?? 0);
    const windows = [];
    if (rate?.requests !== undefined)
      windows.push({ key: `${base}:req`, limit: rate.requests, windowMs, amount: 1, id });
    const tokenWindow = rate?.tokens !== undefined ? windows.length : -1;
    if (rate?.tokens !== undefined)
      windows.push({ key: `${base}:tok`, limit: rate.tokens, windowMs, amount: reserve, id });
    let budgetKey: string | undefined;
    let budgetTtl = 0;
    const budgets = [];
    if (budget) {
      if (budget.usd !== undefined && !demand.priced)
        throw new HttpError(
          500,
          `The key "${identity.name}" has a USD budget, but the model ${JSON.stringify(demand.model)} has no price: add it to the gateway config's prices.`,
          "server_error",
          null,
          "missing_price",
        );
      const now = Date.now();
      const period = periodOf(budget.period ?? "total", now);
      budgetKey = `${base}:budget:${budget.period ?? "total"}:${period.start}`;
      // Kept a day past the period's end (clock skew between instances), forever for "total".
      budgetTtl = period.end === undefined ? 0 : period.end - now + 86_400_000;
      const limit = budget.usd !== undefined ? Math.round(budget.usd * NANO) : budget.tokens!;
      // One unit reserved: a key whose spend has reached the cap is refused.
      budgets.push({ key: budgetKey, limit, amount: 1, ttlMs: budgetTtl });
    }
    const request = { cooldowns: [], windows, budgets };
    let store = this.#store;
    let result: Awaited<ReturnType<LimitStore["acquire"]>>;
    try {
      result = await store.acquire(request);
    } catch (error) {
      this.#onError(error);
      if (budgets.length > 0 || !this.#local)
        throw new HttpError(
          503,
          "The gateway cannot reach its limit store, and this key has a budget: try again shortly.",
          "server_error",
          null,
          "limits_unavailable",
          { "x-should-retry": "true" },
        );
      store = this.#local;
      result = await store.acquire(request);
    }
    if (!result.ok) {
      if (result.kind === "budget") {
        const b = budget!;
        throw new HttpError(
          429,
          `The key "${identity.name}" has reached its budget (${b.usd !== undefined ? `$${b.usd}` : `${b.tokens} tokens`} per ${b.period ?? "total"}).`,
          "insufficient_quota",
          null,
          "budget_exceeded",
        );
      }
      const w = windows[result.index]!;
      const what = result.index === tokenWindow ? `${w.limit} tokens` : `${w.limit} requests`;
      if (result.retryAfterMs === undefined)
        throw new HttpError(
          429,
          `This request needs about ${reserve} tokens (prompt estimate + max_tokens), more than the key "${identity.name}" may use in ${windowMs / 1000} s (${what}): send a smaller request or a lower max_tokens.`,
          "rate_limit_error",
          null,
          "rate_limit_exceeded",
        );
      const seconds = Math.max(1, Math.ceil(result.retryAfterMs / 1000));
      throw new HttpError(
        429,
        `Rate limit of the key "${identity.name}" reached (${what} per ${windowMs / 1000} s). Try again in ${seconds} s.`,
        "rate_limit_error",
        null,
        "rate_limit_exceeded",
        {
          "retry-after": String(seconds),
          "retry-after-ms": String(Math.max(1, Math.round(result.retryAfterMs))),
        },
      );
    }
    let settled = false;
    const tokenKey = tokenWindow >= 0 ? windows[tokenWindow]!.key : undefined;
    return {
      settle: (spend) => {
        if (settled) return;
        settled = true;
        const used = spend.cached ? 0 : (spend.usage?.totalTokens ?? 0);
        let spent = 0;
        if (budget && !spend.cached)
          spent = budget.usd !== undefined ? Math.round((spend.cost?.total ?? 0) * NANO) : used;
        const settlement = {
          windows:
            tokenKey !== undefined && used !== reserve
              ? [{ key: tokenKey, windowMs, id, reserved: reserve, amount: used }]
              : [],
          budgets:
            budgetKey !== undefined && spent !== 1
              ? [{ key: budgetKey, delta: spent - 1, ttlMs: budgetTtl }]
              : [],
        };
        if (settlement.windows.length === 0 && settlement.budgets.length === 0) return;
        store.settle(settlement).catch(this.#onError);
      },
    };
  }
}
