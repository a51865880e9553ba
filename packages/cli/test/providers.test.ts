import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ANSI, removeTempDirs, runBin, tempDir } from "./run-bin.js";

afterAll(() => removeTempDirs());

function row(stdout: string, id: string): string {
  const line = stdout.split("\n").find((l) => l.split(/\s+/)[0] === id);
  if (!line) throw new Error(`no row for ${id} in:\n${stdout}`);
  return line;
}

describe("providers", () => {
  it("lists every bundled provider with its default model and key status", async () => {
    const secret = "sk-very-secret-value-0123456789";
    const r = await runBin(["providers"], {
      env: { OPENAI_API_KEY: secret, GEMINI_API_KEY: "g-secret-42" },
    });
    expect(r.code).toBe(0);
    expect(r.stderr).toBe("");
    expect(r.stdout).toMatch(/^PROVIDER\s+DEFAULT MODEL\s+API KEY\n/);
    for (const id of ["openai", "gemini", "aliyun", "xai", "silicon_flow", "anthropic"])
      row(r.stdout, id);
    expect(row(r.stdout, "openai")).toMatch(/OPENAI_API_KEY set$/);
    expect(row(r.stdout, "gemini")).toMatch(/GEMINI_API_KEY set$/);
    expect(row(r.stdout, "xai")).toMatch(/XAI_API_KEY not set$/);
    expect(r.stdout).not.toContain(secret);
    expect(r.stdout).not.toContain("g-secret-42");
    expect(r.stdout).not.toMatch(ANSI);
  });

  it("shows an alias as such", async () => {
    const r = await runBin(["providers"]);
    expect(r.code).toBe(0);
    expect(row(r.stdout, "siliconflow")).toMatch(/alias of silicon_flow/);
  });

  it("reads keys from .env too", async () => {
    const dir = tempDir("rephysco-providers-");
    writeFileSync(join(dir, ".env"), "XAI_API_KEY=xai-from-file\n");
    const r = await runBin(["providers"], { cwd: dir });
    expect(row(r.stdout, "xai")).toMatch(/XAI_API_KEY set$/);
    expect(r.stdout).not.toContain("xai-from-file");
  });
});
