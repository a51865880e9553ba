import type { CacheStore } from "@rephysco/core";
import { describeStoreConformance } from "@rephysco/testing";
import Keyv from "keyv";

describeStoreConformance({
  name: "Keyv (default in-memory map)",
  // A Keyv instance is a CacheStore as it is (packages/core/test/keyv-store.test.ts checks the types).
  create: () => new Keyv() as unknown as CacheStore & { clear(): Promise<void> },
  capabilities: { ttl: true, clear: true },
});
