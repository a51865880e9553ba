import { createHash, randomBytes } from "node:crypto";
import {
  type AttemptInfo,
  BudgetExceededError,
  type CallParams,
  ConfigurationError,
  type Cost,
  computeCost,
  type Middleware,
  type ModelPrice,
  type ModelResponse,
  QuotaExceededError,
  RateLimitError,
  type RephyscoEvent,
  ServiceUnavailableError,
  type StreamPart,
  type Usage,
} from "@rephysco/core";
import { abortReason } from "@rephysco/core/http";
import { estimateTokens as defaultEstimate } from "./estimate.js";
import { memoryLimitStore } from "./memory-store.js";
import {
  type BudgetRule,
  duplicateName,
  type InternalLimitsOptions,
  type LimitContext,
  type LimitScope,
  type LimitsOptions,
  type RateLimitRule,
  validateOptions,
} from "./options.js";
import { periodOf } from "./periods.js";
import type {
  AcquireResult,
  BudgetRequest,
  BudgetSettlement,
  LimitStore,
  WindowRequest,
  WindowSettlement,
} from "./store.js";

/** The middleware {@link limits} returns. */
export type LimitsMiddleware = Middleware & {
  readonly level: "attempt";
  /** Waits for the settlements and cool-down writes still running (it leaves the store open). */
  close(): Promise<void>;
};

type Emit = (event: RephyscoEvent) => void;

interface RateRule {
  readonly name: string;
  readonly per: LimitScope;
  readonly requests: number | undefined;
  readonly tokens: number | undefined;
  readonly windowMs: number;
  readonly provider: string | undefined;
  readonly model: string | undefined;
  readonly onLimit: "wait" | "fail" | undefined;
}

interface Budget {
  readonly name: string;
  readonly per: LimitScope;
  readonly unit: "usd" | "tokens";
  /** Integer cap: tokens, or nano-dollars. */
  readonly limit: number;
  readonly period: NonNullable<BudgetRule["period"]>;
  readonly provider: string | undefined;
  readonly model: string | undefined;
}

/** What one attempt reserved, and how to settle it. */
interface Plan {
  readonly cooldowns: string[];
  readonly windows: WindowRequest[];
  /** For each window: its rule, and whether it counts tokens. */
  readonly windowRules: { rule: RateRule; tokens: boolean }[];
  readonly budgets: BudgetRequest[];
  readonly budgetInfo: { budget: Budget; scope: string; resetsAt: number | undefined }[];
  promptTokens: number;
  outputTokens: number;
  readonly price: ModelPrice | undefined;
}

/** What an attempt used, as far as it is known. */
interface Outcome {
  readonly usage?: Usage | undefined;
  readonly cost?: Cost | undefined;
  /** Characters of output received (text, reasoning, refusal, tool calls). */
  readonly chars: number;
  /** Failed before any output: give back everything but the request count. */
  readonly failed?: boolean;
}

const NANO = 1e9;
/** A cool-down ending within this many ms is waited for even with onLimit "fail". */
const COOLDOWN_GRACE_MS = 250;
const HASH_CACHE_MAX = 10_000;
const PROCESS_ID = randomBytes(6).toString("base64url");
let sequence = 0;
const nextId = (): string => `${PROCESS_ID}.${(++sequence).toString(36)}`;

const hashes = new Map<string, string>();

/** A store key for `raw` (hashed: never a model name, tag or anything a scope function returns). */
function keyOf(kind: string, raw: string): string {
  const memo = `${kind}\n${raw}`;
  let key = hashes.get(memo);
  if (key === undefined) {
    if (hashes.size >= HASH_CACHE_MAX) hashes.clear();
    key = `${kind}:${createHash("sha256").update(memo).digest("base64url").slice(0, 22)}`;
    hashes.set(memo, key);
  }
  return key;
}

/** The scope an attempt counts under for `per`, readable (it goes into errors, hashed into keys). */
function scopeOf(per: LimitScope, ctx: LimitContext): string | undefined {
  switch (per) {
    case "global":
      return "global";
    case "account":
      return `account:${ctx.account}`;
    case "provider":
      return `provider:${ctx.provider}`;
    case "model":
      return `model:${ctx.account}:${ctx.model}`;
  }
  if (typeof per === "function") {
    const key = per(ctx);
    if (key === undefined) return undefined;
    if (typeof key !== "string")
      throw new ConfigurationError(
        `limits: a scope function must return a string key or undefined; got ${typeof key}.`,
        { provider: "client", reason: "invalid_option" },
      );
    return `custom:${key}`;
  }
  return ctx.tags.includes(per.tag) ? `tag:${per.tag}` : undefined;
}

function perLabel(per: LimitScope): string {
  if (typeof per === "string") return per;
  if (typeof per === "function") return "custom";
  return `tag=${per.tag}`;
}

function defaultName(r: RateLimitRule): string {
  const kinds = [r.requests !== undefined && "rpm", r.tokens !== undefined && "tpm"]
    .filter(Boolean)
    .join("+");
  const window = r.windowMs !== undefined && r.windowMs !== 60_000 ? `/${r.windowMs}ms` : "";
  const only = r.provider || r.model ? `@${r.provider ?? "*"}/${r.model ?? "*"}` : "";
  return `${kinds}${window}:${perLabel(r.per ?? "model")}${only}`;
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  if (signal?.aborted) return Promise.reject(abortReason(signal));
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortReason(signal));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

const applies = (
  rule: { provider: string | undefined; model: string | undefined },
  a: AttemptInfo,
): boolean =>
  (rule.provider === undefined || rule.provider === a.provider) &&
  (rule.model === undefined || rule.model === a.model);

const toNano = (usd: number): number => Math.ceil(usd * NANO - 1e-6);

/**
 * Rate limits, shared cool-downs and budgets, as an attempt-level middleware: every try of every
 * provider (retries and fallbacks included) is counted, waits for capacity or fails fast, and is
 * settled to its actual usage afterwards.
 *
 * - **Rate limits** (`rateLimits`): requests and/or tokens per sliding window (an exact log: no
 *   span of `windowMs` ever admits more than the limit). When full, a call waits (bounded by
 *   `maxWaitMs`, the attempt's timeout and the call's signal) or fails fast with a
 *   `RateLimitError` (`reason: "local_rate_limit"`, `retryAfterMs`, not retried, may fall back).
 * - **Cool-downs** (on by default): a 429 with Retry-After cools the account (and model) down
 *   until the time the provider named; a quota error cools the account for `quotaCooldownMs`.
 *   Every process on the same store honours it (`reason: "cooldown"` when failing fast).
 * - **Budgets** (`budgets`): USD or token caps per scope and UTC period, reserved before the
 *   request (prompt estimate + `maxTokens`) and settled to the actual usage; exceeding one is a
 *   `BudgetExceededError` (never retried, no fallback).
 *
 * Counts live in `store`: this process's memory by default, or Redis ({@link redisLimitStore})
 * to share them across processes and machines. A failing Redis never fails a request unless
 * the store is fail-closed: the call goes on under local limits, with a `limit_error` event.
 *
 * @example
 * ```ts
 * const guard = limits({
 *   rateLimits: [{ requests: 500, tokens: 200_000 }],           // per account and model, per minute
 *   budgets: [{ name: "team-a", per: { tag: "team-a" }, usd: 50, period: "day" }],
 *   store: redisLimitStore({ url: process.env.REDIS_URL! }),
 * });
 * const client = new LLMClient({ provider: "openai", middleware: [guard], tags: ["team-a"] });
 * ```
 */
export function limits(options: LimitsOptions): LimitsMiddleware {
  validateOptions(options);
  const o = options as InternalLimitsOptions;
  const clock = o.now ?? Date.now;
  const store = o.store ?? memoryLimitStore();
  const local = store.remote ? memoryLimitStore() : store;
  const onLimit = o.onLimit ?? "wait";
  const maxWaitMs = o.maxWaitMs ?? 60_000;
  const estimate = o.estimateTokens ?? defaultEstimate;
  const defaultMaxTokens = o.defaultMaxTokens ?? 1024;
  const budgetsOnStoreFailure = o.budgetsOnStoreFailure ?? "refuse";
  // Field by field: an explicit `undefined` (`{ maxCooldownMs: undefined }`) keeps the default.
  const cdOptions = typeof o.cooldowns === "object" ? o.cooldowns : {};
  const cd =
    o.cooldowns === false
      ? undefined
      : {
          quotaCooldownMs: cdOptions.quotaCooldownMs ?? 60_000,
          scope: cdOptions.scope ?? "model",
          maxCooldownMs: cdOptions.maxCooldownMs ?? 600_000,
        };
  /** The store's clock minus this machine's, as last seen (remote stores): budget periods follow it. */
  let storeOffset = 0;

  const names = new Map<string, string>();
  const rateRules: RateRule[] = (o.rateLimits ?? []).map((r, i) => {
    const name = r.name ?? defaultName(r);
    const first = names.get(name);
    if (first) duplicateName(`rateLimits[${i}]`, first, name);
    names.set(name, `rateLimits[${i}]`);
    return {
      name,
      per: r.per ?? "model",
      requests: r.requests,
      tokens: r.tokens,
      windowMs: r.windowMs ?? 60_000,
      provider: r.provider,
      model: r.model,
      onLimit: r.onLimit,
    };
  });
  const budgetNames = new Map<string, string>();
  const budgetRules: Budget[] = (o.budgets ?? []).map((b, i) => {
    const first = budgetNames.get(b.name);
    if (first) duplicateName(`budgets[${i}]`, first, b.name);
    budgetNames.set(b.name, `budgets[${i}]`);
    return {
      name: b.name,
      per: b.per ?? "global",
      unit: b.usd !== undefined ? "usd" : "tokens",
      // Rounded, not floored: $0.30 is 300,000,000 nano-dollars, not 299,999,999.
      limit: b.usd !== undefined ? Math.round(b.usd * NANO) : b.tokens!,
      period: b.period ?? "total",
      provider: b.provider,
      model: b.model,
    };
  });

  const pending = new Set<Promise<unknown>>();
  const track = (work: Promise<unknown>): void => {
    pending.add(work);
    work.finally(() => pending.delete(work));
  };

  function planFor(params: CallParams, a: AttemptInfo): Plan | undefined {
    const ctx: LimitContext = {
      provider: a.provider,
      model: a.model,
      account: a.account,
      tags: params.tags ?? [],
    };
    let windows: WindowRequest[] | undefined;
    let windowRules: Plan["windowRules"] | undefined;
    let budgets: BudgetRequest[] | undefined;
    let budgetInfo: Plan["budgetInfo"] | undefined;
    let prompt = -1;
    let output = 0;
    const tokens = () => {
      if (prompt < 0) {
        const estimated = estimate(params);
        // NaN or Infinity would pass every comparison in a store and poison its counters.
        if (typeof estimated !== "number" || !Number.isFinite(estimated) || estimated < 0)
          throw new ConfigurationError(
            `limits: estimateTokens must return a finite number of tokens >= 0; got ${String(estimated)}.`,
            { provider: a.provider, reason: "invalid_option" },
          );
        prompt = Math.ceil(estimated);
        output = params.maxTokens ?? defaultMaxTokens;
      }
      return prompt + output;
    };
    for (const rule of rateRules) {
      if (!applies(rule, a)) continue;
      const scope = scopeOf(rule.per, ctx);
      if (scope === undefined) continue;
      windows ??= [];
      windowRules ??= [];
      const id = nextId();
      if (rule.requests !== undefined) {
        windows.push({
          key: keyOf("w", `${rule.name}\nrequests\n${rule.windowMs}\n${scope}`),
          limit: rule.requests,
          windowMs: rule.windowMs,
          amount: 1,
          id,
        });
        windowRules.push({ rule, tokens: false });
      }
      if (rule.tokens !== undefined) {
        windows.push({
          key: keyOf("w", `${rule.name}\ntokens\n${rule.windowMs}\n${scope}`),
          limit: rule.tokens,
          windowMs: rule.windowMs,
          amount: tokens(),
          id,
        });
        windowRules.push({ rule, tokens: true });
      }
    }
    let now = 0;
    for (const budget of budgetRules) {
      if (!applies(budget, a)) continue;
      const scope = scopeOf(budget.per, ctx);
      if (scope === undefined) continue;
      if (budget.unit === "usd" && !a.price)
        throw new ConfigurationError(
          `limits: budget "${budget.name}" counts US dollars, but ${a.provider}/${a.model} has no price; add it with the client's prices option ({ prices: { ${JSON.stringify(a.provider)}: { ${JSON.stringify(a.model)}: { input, output } } } }, USD per million tokens).`,
          { provider: a.provider, reason: "invalid_option" },
        );
      // On the store's clock (as last seen), as its windows and cool-downs are.
      if (now === 0) now = clock() + storeOffset;
      const period = periodOf(budget.period, now);
      const amount = tokens();
      budgets ??= [];
      budgetInfo ??= [];
      budgets.push({
        key: keyOf(
          "b",
          `${budget.name}\n${budget.unit}\n${budget.period}:${period.start}\n${scope}`,
        ),
        limit: budget.limit,
        amount:
          budget.unit === "tokens"
            ? amount
            : toNano(
                computeCost(
                  { promptTokens: prompt, completionTokens: output, totalTokens: amount },
                  a.price!,
                ).total,
              ),
        ttlMs: period.end === undefined ? 0 : Math.max(1, period.end - now),
      });
      budgetInfo.push({ budget, scope, resetsAt: period.end });
    }
    if (!cd && !windows && !budgets) return undefined;
    return {
      cooldowns: cd ? [keyOf("c", a.account), keyOf("c", `${a.account}\n${a.model}`)] : [],
      windows: windows ?? [],
      windowRules: windowRules ?? [],
      budgets: budgets ?? [],
      budgetInfo: budgetInfo ?? [],
      promptTokens: Math.max(prompt, 0),
      outputTokens: output,
      price: a.price,
    };
  }

  /** One acquire on the store, or on the local one while the store fails. */
  async function acquireOnce(
    plan: Plan,
    a: AttemptInfo,
    emit: Emit,
  ): Promise<{ result: AcquireResult; used: LimitStore }> {
    const request = { cooldowns: plan.cooldowns, windows: plan.windows, budgets: plan.budgets };
    if (!store.remote) return { result: await store.acquire(request), used: store };
    try {
      const result = await store.acquire(request);
      if (o.now === undefined && Number.isFinite(result.now)) storeOffset = result.now - Date.now();
      return { result, used: store };
    } catch (error) {
      if (store.failClosed) {
        emit({ type: "limit_error", operation: "acquire", error, fallback: "refused" });
        throw new ServiceUnavailableError(
          "limits: the shared limit store (Redis) is unavailable and the store is fail-closed, so the request was not sent. Restore Redis, or set failClosed: false to go on under local limits.",
          { provider: a.provider, reason: "limits_unavailable", retryable: false, cause: error },
        );
      }
      if (plan.budgets.length > 0 && budgetsOnStoreFailure === "refuse") {
        // A budget counted locally starts at 0 in every process: no cap at all across the fleet.
        emit({ type: "limit_error", operation: "acquire", error, fallback: "refused" });
        const names = [...new Set(plan.budgetInfo.map((b) => b.budget.name))].join('", "');
        throw new ServiceUnavailableError(
          `limits: the shared limit store (Redis) is unavailable, and this request counts against budget "${names}", which cannot be enforced without it, so the request was not sent. Restore Redis, or set budgetsOnStoreFailure: "local" to count budgets in this process meanwhile (each process then has its own budget).`,
          { provider: a.provider, reason: "limits_unavailable", retryable: false, cause: error },
        );
      }
      emit({ type: "limit_error", operation: "acquire", error, fallback: "local" });
      return { result: await local.acquire(request), used: local };
    }
  }

  function budgetError(plan: Plan, index: number, spent: number, a: AttemptInfo): Error {
    const info = plan.budgetInfo[index]!;
    const { budget } = info;
    const usd = budget.unit === "usd";
    const show = (n: number) => (usd ? n / NANO : n);
    const limit = show(budget.limit);
    const requested = show(plan.budgets[index]!.amount);
    const spentShown = show(spent);
    const unit = usd ? "USD" : "tokens";
    const resets =
      info.resetsAt === undefined
        ? "it never resets (period total)"
        : `it resets at ${new Date(info.resetsAt).toISOString()}`;
    return new BudgetExceededError(
      `Budget "${budget.name}" (${limit} ${unit}, per ${info.scope}, period ${budget.period}) would be exceeded: ${spentShown} ${unit} spent, this request reserves ${requested} ${unit}; ${resets}. Raise the budget, or lower the request's maxTokens (${plan.outputTokens} tokens reserved for the answer).`,
      {
        provider: a.provider,
        reason: "budget_exceeded",
        retryable: false,
        data: {
          budget: budget.name,
          scope: info.scope,
          limit,
          spent: spentShown,
          requested,
          unit: usd ? "usd" : "tokens",
          resetsAt: info.resetsAt,
        },
      },
    );
  }

  /** Acquires, waiting for capacity when allowed; the store that recorded the request. */
  async function admit(
    plan: Plan,
    a: AttemptInfo,
    params: CallParams,
    emit: Emit,
  ): Promise<LimitStore> {
    const start = Date.now();
    const bound = Math.min(maxWaitMs, a.timeoutMs ?? Number.POSITIVE_INFINITY);
    let waitedFor: string | undefined;
    for (;;) {
      const { result, used } = await acquireOnce(plan, a, emit);
      if (result.ok) {
        if (waitedFor !== undefined)
          emit({
            type: "limit_wait",
            provider: a.provider,
            model: a.model,
            limit: waitedFor,
            waitMs: Date.now() - start,
          });
        return used;
      }
      if (result.kind === "budget") throw budgetError(plan, result.index, result.spent ?? 0, a);
      const isCooldown = result.kind === "cooldown";
      const w = isCooldown ? undefined : plan.windowRules[result.index];
      const name = w ? w.rule.name : "cooldown";
      const mode = w?.rule.onLimit ?? onLimit;
      const retry = result.retryAfterMs;
      if (retry === undefined && w) {
        const win = plan.windows[result.index]!;
        throw new RateLimitError(
          `Rate limit "${name}" allows ${win.limit} tokens per ${win.windowMs} ms, and this request alone reserves ${win.amount} (prompt estimate ${plan.promptTokens} + ${plan.outputTokens} for the answer), so it can never pass. Lower the call's maxTokens (or defaultMaxTokens) or raise the rule's tokens.`,
          { provider: a.provider, reason: "local_rate_limit", retryable: false },
        );
      }
      const retryAfterMs = Math.max(1, Math.ceil(retry ?? 1));
      const elapsed = Date.now() - start;
      // A cool-down about to end is waited out even when failing fast: the shared store stamps
      // its end a moment after this process's retry stage started its Retry-After sleep, so the
      // retry of a 429 arrives a few ms early and would otherwise fail for good.
      const graceWait = isCooldown && retryAfterMs <= COOLDOWN_GRACE_MS;
      if ((mode === "fail" && !graceWait) || elapsed + retryAfterMs > bound) {
        const why =
          mode === "fail"
            ? 'onLimit is "fail"'
            : `waiting would take ${elapsed + retryAfterMs} ms, more than the ${bound} ms allowed (maxWaitMs${a.timeoutMs !== undefined ? " or the attempt's timeout" : ""})`;
        if (isCooldown)
          throw new RateLimitError(
            `${a.provider}/${a.model} is cooling down after a rate-limit or quota error (shared by every process on the limit store); it ends in ${retryAfterMs} ms, and ${why}. Wait, use a fallback provider, or raise maxWaitMs.`,
            { provider: a.provider, reason: "cooldown", retryAfterMs, retryable: false },
          );
        const win = plan.windows[result.index]!;
        throw new RateLimitError(
          `Local rate limit "${name}" (${win.limit} ${w!.tokens ? "tokens" : "requests"} per ${win.windowMs} ms, per ${perLabel(w!.rule.per)}) is full for ${a.provider}/${a.model}; capacity returns in ${retryAfterMs} ms, and ${why}. Raise the rule's ${w!.tokens ? "tokens" : "requests"}, or let calls wait (onLimit "wait", a larger maxWaitMs).`,
          { provider: a.provider, reason: "local_rate_limit", retryAfterMs, retryable: false },
        );
      }
      waitedFor = name;
      await sleep(retryAfterMs, params.signal);
    }
  }

  /** Settles an attempt's reservations off the caller's path; never throws. */
  function settle(used: LimitStore, plan: Plan, out: Outcome, emit: Emit): void {
    try {
      settleNow(used, plan, out, emit);
    } catch (error) {
      emit({ type: "limit_error", operation: "settle", error, fallback: "none" });
    }
  }

  function settleNow(used: LimitStore, plan: Plan, out: Outcome, emit: Emit): void {
    const windows: WindowSettlement[] = [];
    const budgets: BudgetSettlement[] = [];
    const needsTokens = plan.windowRules.some((w) => w.tokens) || plan.budgets.length > 0;
    if (!needsTokens) return;
    const outTokens = Math.ceil(out.chars / 4);
    const actualTokens = out.failed ? 0 : (out.usage?.totalTokens ?? plan.promptTokens + outTokens);
    for (let i = 0; i < plan.windows.length; i++) {
      if (!plan.windowRules[i]!.tokens) continue;
      const w = plan.windows[i]!;
      if (w.amount === actualTokens) continue;
      windows.push({
        key: w.key,
        windowMs: w.windowMs,
        id: w.id,
        reserved: w.amount,
        amount: actualTokens,
      });
    }
    let actualNano: number | undefined;
    for (let i = 0; i < plan.budgets.length; i++) {
      const b = plan.budgets[i]!;
      const unit = plan.budgetInfo[i]!.budget.unit;
      let actual: number;
      if (unit === "tokens") actual = actualTokens;
      else {
        if (actualNano === undefined) {
          if (out.failed) actualNano = 0;
          else if (out.cost) actualNano = toNano(out.cost.total);
          else {
            const usage: Usage = out.usage ?? {
              promptTokens: plan.promptTokens,
              completionTokens: outTokens,
              totalTokens: plan.promptTokens + outTokens,
            };
            actualNano = plan.price ? toNano(computeCost(usage, plan.price).total) : b.amount;
          }
        }
        actual = actualNano;
      }
      const delta = actual - b.amount;
      if (delta !== 0) budgets.push({ key: b.key, delta, ttlMs: b.ttlMs });
    }
    if (windows.length === 0 && budgets.length === 0) return;
    // Async, so that a store whose settle throws synchronously cannot fail the call (nor make a
    // stream settle twice).
    const work = (async () => used.settle({ windows, budgets }))().catch((error) => {
      emit({ type: "limit_error", operation: "settle", error, fallback: "none" });
    });
    track(work);
  }

  /** After a provider error: a 429 with Retry-After or a quota error cools the account down. */
  async function coolDown(error: unknown, a: AttemptInfo, emit: Emit): Promise<void> {
    if (!cd) return;
    let scope: "account" | "model";
    let durationMs: number;
    if (
      error instanceof RateLimitError &&
      error.reason !== "local_rate_limit" &&
      error.reason !== "cooldown" &&
      error.retryAfterMs !== undefined
    ) {
      scope = cd.scope;
      durationMs = Math.min(error.retryAfterMs, cd.maxCooldownMs);
    } else if (error instanceof QuotaExceededError) {
      scope = "account";
      durationMs = cd.quotaCooldownMs;
    } else return;
    // Retry-After: 0 (or a past date) asks for no wait: nothing to cool down.
    if (!(durationMs > 0)) return;
    const key = scope === "model" ? keyOf("c", `${a.account}\n${a.model}`) : keyOf("c", a.account);
    if (store.remote) {
      // Here at once (this process honours it, also should the store fail on the next acquire);
      // in the shared store off the caller's path.
      // The event follows the shared write: once reported, every process honours it.
      // The end is counted on the shared store's clock, so that machines agree on it.
      await local.cooldown(key, durationMs);
      track(
        store.cooldown(key, durationMs).then(
          (until) => {
            emit({ type: "cooldown", provider: a.provider, model: a.model, scope, until, error });
          },
          (e) => {
            emit({ type: "limit_error", operation: "cooldown", error: e, fallback: "local" });
          },
        ),
      );
      return;
    }
    const until = await store.cooldown(key, durationMs);
    emit({ type: "cooldown", provider: a.provider, model: a.model, scope, until, error });
  }

  /** Runs `coolDown` without letting its own failure replace the provider's error. */
  async function afterError(error: unknown, a: AttemptInfo, emit: Emit): Promise<void> {
    try {
      await coolDown(error, a, emit);
    } catch (e) {
      emit({ type: "limit_error", operation: "cooldown", error: e, fallback: "local" });
    }
  }

  async function* guardedStream(
    plan: Plan,
    a: AttemptInfo,
    params: CallParams,
    doStream: (params?: CallParams) => AsyncIterable<StreamPart>,
    emit: Emit,
  ): AsyncGenerator<StreamPart> {
    const used = await admit(plan, a, params, emit);
    let chars = 0;
    let usage: Usage | undefined;
    let cost: Cost | undefined;
    let settled = false;
    try {
      for await (const part of doStream(params)) {
        switch (part.type) {
          case "text":
          case "reasoning":
          case "refusal":
            chars += part.text.length;
            break;
          case "tool-call-start":
            chars += part.name.length;
            break;
          case "tool-call-delta":
            chars += part.argumentsDelta.length;
            break;
          case "finish":
            usage = part.usage;
            cost = part.cost;
            break;
        }
        yield part;
      }
      settled = true;
      settle(used, plan, { usage, cost, chars }, emit);
    } catch (error) {
      settled = true;
      settle(
        used,
        plan,
        chars === 0 && !usage ? { chars, failed: true } : { usage, cost, chars },
        emit,
      );
      await afterError(error, a, emit);
      throw error;
    } finally {
      // The consumer left early (an abort, a break): settle from what it received.
      if (!settled) settle(used, plan, { usage, cost, chars }, emit);
    }
  }

  /** A stream that fails on its first read. */
  const failing = (error: unknown): AsyncIterable<StreamPart> => ({
    [Symbol.asyncIterator]: () => ({ next: () => Promise.reject(error) }),
  });

  return {
    level: "attempt",

    async wrapGenerate({ doGenerate, params, attempt, emit }): Promise<ModelResponse> {
      if (!attempt) return doGenerate(params);
      const plan = planFor(params, attempt);
      if (!plan) return doGenerate(params);
      const used = await admit(plan, attempt, params, emit);
      let response: ModelResponse;
      try {
        response = await doGenerate(params);
      } catch (error) {
        const partial =
          ((error as { partialContent?: string }).partialContent?.length ?? 0) +
          ((error as { partialReasoning?: string }).partialReasoning?.length ?? 0);
        settle(used, plan, partial > 0 ? { chars: partial } : { chars: 0, failed: true }, emit);
        await afterError(error, attempt, emit);
        throw error;
      }
      let chars = response.content.length + (response.reasoning?.length ?? 0);
      if (response.toolCalls)
        for (const c of response.toolCalls) chars += c.name.length + c.rawArguments.length;
      settle(used, plan, { usage: response.usage, cost: response.cost, chars }, emit);
      return response;
    },

    wrapStream({ doStream, params, attempt, emit }): AsyncIterable<StreamPart> {
      if (!attempt) return doStream(params);
      let plan: Plan | undefined;
      try {
        plan = planFor(params, attempt);
      } catch (error) {
        return failing(error);
      }
      if (!plan) return doStream(params);
      return guardedStream(plan, attempt, params, doStream, emit);
    },

    async close(): Promise<void> {
      while (pending.size > 0) await Promise.allSettled([...pending]);
    },
  };
}
