export { type MemoryLimitStoreOptions, memoryLimitStore } from "./memory-store.js";
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
