import { defineConfig } from "tsup";

export default defineConfig({
  entry: {"index":"src/index.ts","http":"src/http.ts"},
  format: ["esm"],
  dts: true,
  sourcemap: true,
  clean: true,
  target: "node20",
  splitting: true,
  treeshake: true,
});
