import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileStore } from "@rephysco/core";
import { describeStoreConformance } from "@rephysco/testing";

describeStoreConformance({
  name: "fileStore",
  create: async () => fileStore({ dir: await mkdtemp(join(tmpdir(), "rephysco-store-")) }),
  cleanup: (store) => rm(store.dir, { recursive: true, force: true }),
  capabilities: { ttl: true, clear: true },
});
