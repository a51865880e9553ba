import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

describe("CommonJS interop", () => {
  it("a CommonJS file can require('@rephysco/core') on this Node", () => {
    const file = fileURLToPath(new URL("./fixtures/require-core.cjs", import.meta.url));
    const out = execFileSync(process.execPath, [file], {
      encoding: "utf8",
      cwd: fileURLToPath(new URL("..", import.meta.url)),
    });
    const parsed = JSON.parse(out) as { ok: boolean; exports: number };
    expect(parsed.ok).toBe(true);
    expect(parsed.exports).toBeGreaterThan(20);
  });
});
