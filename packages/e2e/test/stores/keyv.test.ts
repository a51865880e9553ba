import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";
import type { CacheStore } from "@rephysco/core";
import { describeStoreConformance } from "@rephysco/testing";

// Keyv is a dev dependency of @rephysco/core (whose own test checks that the types fit); it is
// loaded from there rather than installed a second time for this package.
const fromCore = createRequire(
  createRequire(import.meta.url).resolve("@rephysco/core/package.json"),
);
const { default: Keyv } = (await import(pathToFileURL(fromCore.resolve("keyv")).href)) as {
  default: new () => CacheStore & { clear(): Promise<void> };
};

describeStoreConformance({
  name: "Keyv (default in-memory map)",
  create: () => new Keyv(),
  capabilities: { ttl: true, clear: true },
});
