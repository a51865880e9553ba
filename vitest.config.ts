import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    projects: ["packages/*", "examples/*"],
    // Tests talk to local servers over real sockets; generous per-test time, never timed assertions.
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
