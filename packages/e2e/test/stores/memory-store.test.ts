import { memoryStore } from "@rephysco/core";
import { describeStoreConformance } from "@rephysco/testing";

describeStoreConformance({
  name: "memoryStore",
  create: () => memoryStore(),
  capabilities: { ttl: true, clear: true },
});
