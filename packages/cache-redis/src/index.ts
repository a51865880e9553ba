export {
  type RedisStore,
  type RedisStoreClient,
  type RedisStoreConnection,
  type RedisStoreOptions,
  redisStore,
} from "./redis-store.js";
