import { readdirSync, readFileSync } from "node:fs";
import { defineConfig } from "vitest/config";

// Every workspace package with a test folder is a project; `extends: true` gives each the root
// settings below (plain globs would fall back to vitest's defaults).
const projects = ["packages", "examples"].flatMap((dir) =>
  readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .flatMap((d) => {
      const root = `${dir}/${d.name}`;
      try {
        const { name } = JSON.parse(readFileSync(`${root}/package.json`, "utf8")) as {
          name: string;
        };
        return [{ extends: true as const, test: { name, root } }];
      } catch {
        return [];
      }
    }),
);

export default defineConfig({
  test: {
    projects,
    // Tests talk to local servers over real sockets; generous per-test time, never timed assertions.
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // The JSON report lets CI print a plain "N passed, N failed" line.
    reporters: ["default", "json"],
    outputFile: { json: ".vitest/report.json" },
  },
});
