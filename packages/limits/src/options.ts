import { type CallParams, ConfigurationError } from "@rephysco/core";
import type { LimitStore } from "./store.js";

/** What a scope function learns about an attempt. */
export interface LimitContext {
  /** Registry id of the provider tried. */
  readonly provider: string;
  /** The model asked of it. */
  readonly model: string;
  /** Whose quota the attempt spends: a hash of provider, base URL and key fingerprint (never the key). */
  readonly account: string;
  /** The call's tags (the client's, then the call's). */
  readonly tags: readonly string[];
}

/**
 * What one limit or budget counts under:
 * - `"global"`: one counter for everything;
 * - `"account"`: per account (provider + base URL + API key fingerprint);
 * - `"provider"`: per provider id (every account of it together);
 * - `"model"`: per account and model;
 * - `{ tag: "x" }`: calls carrying tag `x` (calls without it are not counted);
 * - a function returning the key, or `undefined` when the rule does not apply to the attempt.
 */
export type LimitScope =
  | "global"
  | "account"
  | "provider"
  | "model"
  | { readonly tag: string }
  | ((info: LimitContext) => string | undefined);

/** A rate limit: requests and/or tokens per sliding window. */
export interface RateLimitRule {
  /** Name in errors and events; default derived from what it counts (`"rpm:model"`). Unique. */
  readonly name?: string;
  /** What one limit counts (see {@link LimitScope}). Default `"model"`. */
  readonly per?: LimitScope;
  /** Most requests per window (a positive integer). */
  readonly requests?: number;
  /**
   * Most tokens per window (a positive integer): each request reserves its prompt estimate plus
   * its `maxTokens` (or `defaultMaxTokens`), settled to the actual total afterwards.
   */
  readonly tokens?: number;
  /** Window length in ms. Default `60_000`. */
  readonly windowMs?: number;
  /** Only for this provider id. */
  readonly provider?: string;
  /** Only for this model. */
  readonly model?: string;
  /** What a call does when this limit is full; default the middleware's `onLimit`. */
  readonly onLimit?: "wait" | "fail";
}

/** A spending cap, in USD or tokens, per scope and period. */
export interface BudgetRule {
  /** Name in errors (and part of the counter's identity). Unique. */
  readonly name: string;
  /** What one budget counts under (see {@link LimitScope}). Default `"global"`. */
  readonly per?: LimitScope;
  /** Cap in US dollars (exactly one of `usd` and `tokens`). Needs prices for the models it covers. */
  readonly usd?: number;
  /** Cap in tokens (exactly one of `usd` and `tokens`). */
  readonly tokens?: number;
  /** The period the cap applies to, as UTC calendar periods (weeks start Monday). Default `"total"`. */
  readonly period?: "minute" | "hour" | "day" | "week" | "month" | "total";
  /** Only for this provider id. */
  readonly provider?: string;
  /** Only for this model. */
  readonly model?: string;
}

/** How 429s and quota errors cool an account down. */
export interface CooldownOptions {
  /** How long a quota error (QuotaExceededError, which names no end) cools the account down, ms. Default 60_000. */
  readonly quotaCooldownMs?: number;
  /** Whether a 429 cools the model of the account ("model", default) or the whole account. */
  readonly scope?: "model" | "account";
  /** Longest cool-down honoured from a Retry-After, ms. Default 600_000. */
  readonly maxCooldownMs?: number;
}

/** Options of {@link limits}. */
export interface LimitsOptions {
  /** Rate limits (requests and tokens per sliding window). */
  readonly rateLimits?: readonly RateLimitRule[];
  /** Spending caps. */
  readonly budgets?: readonly BudgetRule[];
  /** Shared cool-downs after a 429 / quota error; default on (`true`). */
  readonly cooldowns?: boolean | CooldownOptions;
  /** Where counts live: memory (default, this process) or Redis (every process). */
  readonly store?: LimitStore;
  /** What a call does when a rate limit or cool-down is full: wait (default) or fail fast. */
  readonly onLimit?: "wait" | "fail";
  /** Longest wait for capacity, ms (also bounded by the attempt's timeoutMs and the call's signal). Default 60_000. */
  readonly maxWaitMs?: number;
  /** Prompt token estimator; default {@link estimateTokens}. */
  readonly estimateTokens?: (params: CallParams) => number;
  /** Output tokens assumed when a call sets no maxTokens (for reservations). Default 1024. */
  readonly defaultMaxTokens?: number;
  /**
   * What a request that counts against a budget does while a remote store (Redis) fails and the
   * store is not fail-closed: `"refuse"` (default: a `ServiceUnavailableError` with reason
   * `limits_unavailable`, since no process can know what the fleet spent) or `"local"` (count the
   * budget in this process meanwhile; each process then starts its own budget from 0, so a fleet
   * of N may spend up to N times the cap). Rate limits fall back to local limits either way.
   */
  readonly budgetsOnStoreFailure?: "refuse" | "local";
}

/** Options only tests use. */
export interface InternalLimitsOptions extends LimitsOptions {
  /** The clock of budget periods (ms since the epoch). */
  readonly now?: () => number;
}

const fail = (message: string): never => {
  throw new ConfigurationError(`limits: ${message}`, {
    provider: "client",
    reason: "invalid_option",
  });
};

const show = (v: unknown): string =>
  typeof v === "function"
    ? "a function"
    : typeof v === "string"
      ? JSON.stringify(v)
      : v !== null && typeof v === "object"
        ? Array.isArray(v)
          ? "an array"
          : "an object"
        : String(v);

const isPositiveInt = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) > 0;

function checkPositiveInt(where: string, v: unknown, required = false): void {
  if (v === undefined && !required) return;
  if (!isPositiveInt(v)) fail(`${where} must be a positive integer; got ${show(v)}.`);
}

function checkName(where: string, v: unknown, required: boolean): void {
  if (v === undefined && !required) return;
  if (typeof v !== "string" || v.trim() === "")
    fail(`${where} must be a non-empty string; got ${show(v)}.`);
}

function checkEnum(where: string, v: unknown, values: readonly string[]): void {
  if (v === undefined) return;
  if (typeof v !== "string" || !values.includes(v))
    fail(`${where} must be one of ${values.map((x) => `"${x}"`).join(", ")}; got ${show(v)}.`);
}

function checkScope(where: string, v: unknown): void {
  if (v === undefined || typeof v === "function") return;
  if (v === "global" || v === "account" || v === "provider" || v === "model") return;
  if (v !== null && typeof v === "object" && !Array.isArray(v)) {
    const tag = (v as { tag?: unknown }).tag;
    if (typeof tag === "string" && tag !== "") return;
    fail(`${where}.tag must be a non-empty string; got ${show(tag)}.`);
  }
  fail(
    `${where} must be "global", "account", "provider", "model", { tag: "name" } or a function returning a key; got ${show(v)}.`,
  );
}

function checkObject(where: string, v: unknown): asserts v is Record<string, unknown> {
  if (v === null || typeof v !== "object" || Array.isArray(v))
    fail(`${where} must be an object; got ${show(v)}.`);
}

function checkKeys(where: string, v: Record<string, unknown>, known: readonly string[]): void {
  for (const key of Object.keys(v))
    if (!known.includes(key))
      fail(`${where} has an unknown option "${key}"; the options are ${known.join(", ")}.`);
}

const RATE_KEYS = ["name", "per", "requests", "tokens", "windowMs", "provider", "model", "onLimit"];
const BUDGET_KEYS = ["name", "per", "usd", "tokens", "period", "provider", "model"];
const COOLDOWN_KEYS = ["quotaCooldownMs", "scope", "maxCooldownMs"];
const OPTION_KEYS = [
  "rateLimits",
  "budgets",
  "cooldowns",
  "store",
  "onLimit",
  "maxWaitMs",
  "estimateTokens",
  "defaultMaxTokens",
  "budgetsOnStoreFailure",
  "now",
];
/** The longest timer Node.js keeps (a longer one fires at once). */
export const MAX_TIMER_MS = 2 ** 31 - 1;
export const PERIODS = ["minute", "hour", "day", "week", "month", "total"] as const;

/** Checks every option of `limits()`, naming the first bad value and what to write instead. */
export function validateOptions(options: unknown): asserts options is InternalLimitsOptions {
  checkObject("options", options);
  checkKeys("options", options, OPTION_KEYS);
  const o = options as InternalLimitsOptions;
  checkEnum("onLimit", o.onLimit, ["wait", "fail"]);
  if (
    o.maxWaitMs !== undefined &&
    !(typeof o.maxWaitMs === "number" && o.maxWaitMs >= 0 && o.maxWaitMs <= MAX_TIMER_MS)
  )
    fail(`maxWaitMs must be a number of ms from 0 to ${MAX_TIMER_MS}; got ${show(o.maxWaitMs)}.`);
  checkEnum("budgetsOnStoreFailure", o.budgetsOnStoreFailure, ["refuse", "local"]);
  checkPositiveInt("defaultMaxTokens", o.defaultMaxTokens);
  if (o.estimateTokens !== undefined && typeof o.estimateTokens !== "function")
    fail(`estimateTokens must be a function (params) => number; got ${show(o.estimateTokens)}.`);
  if (o.now !== undefined && typeof o.now !== "function") fail("now must be a function.");
  if (o.store !== undefined) {
    checkObject("store", o.store);
    for (const method of ["acquire", "settle", "cooldown"] as const)
      if (typeof o.store[method] !== "function")
        fail(
          `store.${method} must be a function: pass memoryLimitStore(), redisLimitStore(...) or another LimitStore.`,
        );
  }
  if (o.cooldowns !== undefined && typeof o.cooldowns !== "boolean") {
    checkObject("cooldowns", o.cooldowns);
    checkKeys("cooldowns", o.cooldowns as Record<string, unknown>, COOLDOWN_KEYS);
    checkPositiveInt("cooldowns.quotaCooldownMs", o.cooldowns.quotaCooldownMs);
    checkPositiveInt("cooldowns.maxCooldownMs", o.cooldowns.maxCooldownMs);
    checkEnum("cooldowns.scope", o.cooldowns.scope, ["model", "account"]);
  }
  if (o.rateLimits !== undefined) {
    if (!Array.isArray(o.rateLimits))
      fail(`rateLimits must be an array of rules; got ${show(o.rateLimits)}.`);
    o.rateLimits.forEach((rule: unknown, i) => {
      const at = `rateLimits[${i}]`;
      checkObject(at, rule);
      checkKeys(at, rule, RATE_KEYS);
      const r = rule as RateLimitRule;
      checkName(`${at}.name`, r.name, false);
      checkScope(`${at}.per`, r.per);
      checkPositiveInt(`${at}.requests`, r.requests);
      checkPositiveInt(`${at}.tokens`, r.tokens);
      if (r.requests === undefined && r.tokens === undefined)
        fail(`${at} must set requests or tokens (or both), per window.`);
      checkPositiveInt(`${at}.windowMs`, r.windowMs);
      if (r.windowMs !== undefined && r.windowMs > MAX_TIMER_MS)
        fail(
          `${at}.windowMs must be at most ${MAX_TIMER_MS} (about 24.8 days); got ${r.windowMs}.`,
        );
      checkName(`${at}.provider`, r.provider, false);
      checkName(`${at}.model`, r.model, false);
      checkEnum(`${at}.onLimit`, r.onLimit, ["wait", "fail"]);
    });
  }
  if (o.budgets !== undefined) {
    if (!Array.isArray(o.budgets))
      fail(`budgets must be an array of rules; got ${show(o.budgets)}.`);
    o.budgets.forEach((rule: unknown, i) => {
      const at = `budgets[${i}]`;
      checkObject(at, rule);
      checkKeys(at, rule, BUDGET_KEYS);
      const b = rule as unknown as BudgetRule;
      checkName(`${at}.name`, b.name, true);
      checkScope(`${at}.per`, b.per);
      if ((b.usd === undefined) === (b.tokens === undefined))
        fail(`${at} must set exactly one of usd and tokens.`);
      if (
        b.usd !== undefined &&
        !(typeof b.usd === "number" && Number.isFinite(b.usd) && b.usd > 0)
      )
        fail(`${at}.usd must be a positive number of US dollars; got ${show(b.usd)}.`);
      if (b.usd !== undefined && b.usd * 1e9 > Number.MAX_SAFE_INTEGER)
        fail(`${at}.usd must be at most ${Math.floor(Number.MAX_SAFE_INTEGER / 1e9)}.`);
      checkPositiveInt(`${at}.tokens`, b.tokens);
      checkEnum(`${at}.period`, b.period, PERIODS);
      checkName(`${at}.provider`, b.provider, false);
      checkName(`${at}.model`, b.model, false);
    });
  }
}

/** Throws a configuration error for a duplicate rule name. */
export function duplicateName(where: string, first: string, name: string): never {
  return fail(
    `${where} is named "${name}" like ${first}; give each rule a distinct name (the name identifies its counters).`,
  );
}
