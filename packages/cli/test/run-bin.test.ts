import { existsSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { removeTempDirs, runBin, tempDir } from "./run-bin.js";

describe("the test helpers", () => {
  it("runBin removes the temporary HOME and working directory it made", async () => {
    const r = await runBin(["--version"]);
    expect(r.code).toBe(0);
    expect(r.tempDirs).toHaveLength(2);
    for (const dir of r.tempDirs) expect(existsSync(dir)).toBe(false);
  });

  it("runBin leaves a working directory it was given alone", async () => {
    const cwd = tempDir();
    const r = await runBin(["--version"], { cwd });
    expect(r.tempDirs).toHaveLength(1);
    expect(r.tempDirs).not.toContain(cwd);
    expect(existsSync(cwd)).toBe(true);
    removeTempDirs([cwd]);
    expect(existsSync(cwd)).toBe(false);
  });

  it("removeTempDirs removes every directory tempDir made", () => {
    const dirs = [tempDir(), tempDir("rephysco-other-")];
    removeTempDirs();
    for (const dir of dirs) expect(existsSync(dir)).toBe(false);
  });
});
