import { describeStoreConformance, type RedisServer, startRedisServer } from "@rephysco/testing";
import { afterAll, beforeAll } from "vitest";
import { type RedisStore, redisStore } from "../src/index.js";

let server: RedisServer;
let stores = 0;

beforeAll(async () => {
  server = await startRedisServer();
});

afterAll(async () => {
  await server?.stop();
});

describeStoreConformance<RedisStore>({
  name: "redisStore",
  // A prefix per store: each test starts empty, and cleanup clears only its own keys.
  create: () => redisStore({ url: server.url }, { prefix: `conformance:${++stores}:` }),
  cleanup: async (store) => {
    await store.clear();
    await store.close();
  },
  capabilities: { ttl: true, clear: true },
});
