// A cool-down is counted on the shared store's clock (Redis TIME), never this machine's:
// a machine whose clock is behind Redis's must still cool the fleet down for the Retry-After.

import { RateLimitError } from "@rephysco/core";
import { caught, createFakeProvider, type RedisServer, startRedisServer } from "@rephysco/testing";
import { afterAll, beforeAll, expect, it, vi } from "vitest";
import { limits, redisLimitStore } from "../src/index.js";
import { clientWith } from "./helpers.js";

let server: RedisServer;
beforeAll(async () => {
  server = await startRedisServer();
});
afterAll(async () => {
  vi.restoreAllMocks();
  await server?.stop();
});

it("a 429 with Retry-After 2 s from a machine whose clock is 5 s behind Redis's still cools the account down for the fleet", async () => {
  const prefix = "skew:";
  const rateLimited = new RateLimitError("429", { provider: "fake", retryAfterMs: 2000 });
  const slowLimits = limits({ store: redisLimitStore({ url: server.url }, { prefix }) });
  const slowMachine = clientWith(
    createFakeProvider({ replies: [{ error: rateLimited }] }),
    slowLimits,
  );
  const realNow = Date.now.bind(Date);
  const spy = vi.spyOn(Date, "now").mockImplementation(() => realNow() - 5000);
  await caught(() => slowMachine.client.generate("hi"));
  // The shared write (and its event) is off the caller's path: wait for it.
  await slowLimits.close();
  spy.mockRestore();
  expect(slowMachine.events.some((e) => e.type === "cooldown")).toBe(true);

  // Another process (its clock right), same account: should be held back for about 2 s.
  const other = clientWith(
    createFakeProvider(),
    limits({ store: redisLimitStore({ url: server.url }, { prefix }), onLimit: "fail" }),
  );
  const error = await caught(() => other.client.generate("hi"));
  expect(error.reason).toBe("cooldown");
  // About the 2 s the provider named, counted from Redis's clock (not 2 s - 5 s skew).
  expect(error.retryAfterMs).toBeGreaterThan(1_000);
  expect(error.retryAfterMs).toBeLessThanOrEqual(2_000);
  const event = slowMachine.events.find((e) => e.type === "cooldown");
  expect(event?.type === "cooldown" && Math.abs(event.until - (Date.now() + 2_000))).toBeLessThan(
    1_000,
  );
});
