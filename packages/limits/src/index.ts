/**
 * `@rephysco/limits`: rate limits, shared cool-downs and budgets for Rephysco, as an
 * attempt-level middleware, counted in this process's memory or shared through Redis.
 *
 * @packageDocumentation
 */
export { estimateTokens, TOKENS_PER_IMAGE, TOKENS_PER_MESSAGE } from "./estimate.js";
export { type LimitsMiddleware, limits } from "./limits.js";
export { type MemoryLimitStoreOptions, memoryLimitStore } from "./memory-store.js";
export type {
  BudgetRule,
  CooldownOptions,
  LimitContext,
  LimitScope,
  LimitsOptions,
  RateLimitRule,
} from "./options.js";
export { type Period, periodOf } from "./periods.js";
export {
  type RedisLimitClient,
  type RedisLimitConnection,
  type RedisLimitStore,
  type RedisLimitStoreOptions,
  type RedisScriptOptions,
  redisLimitStore,
} from "./redis-store.js";
export type {
  AcquireRequest,
  AcquireResult,
  BudgetRequest,
  BudgetSettlement,
  LimitStore,
  SettleRequest,
  WindowRequest,
  WindowSettlement,
} from "./store.js";
