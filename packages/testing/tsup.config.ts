import { defineConfig } from "tsup";
import { base } from "../../tsup.base.js";

export default defineConfig({
  ...base,
  entry: { index: "src/index.ts", bin: "src/bin.ts" },
  dts: { entry: { index: "src/index.ts" } },
  // The conformance kit runs inside the caller's vitest; never bundle a second copy.
  external: ["vitest"],
});
