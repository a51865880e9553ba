import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ANSI, removeTempDirs, runBin, tempDir } from "./run-bin.js";

afterAll(() => removeTempDirs());

interface Row {
  provider: string;
  model: string;
  default: boolean;
  input: number | null;
  cachedInput: number | null;
  output: number | null;
  asOf: string | null;
}

function line(stdout: string, provider: string, model: string): string {
  const found = stdout
    .split("\n")
    .find((l) => l.split(/\s+/)[0] === provider && l.split(/\s+/)[1] === model);
  if (!found) throw new Error(`no row for ${provider} ${model} in:\n${stdout}`);
  return found;
}

describe("rephysco models", () => {
  it("lists every provider's priced models, the default marked, aligned", async () => {
    const r = await runBin(["models"]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe("");
    expect(r.stdout).not.toMatch(ANSI);
    const lines = r.stdout.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^PROVIDER\s+MODEL\s+INPUT\s+CACHED\s+OUTPUT\s+AS OF$/);
    expect(lines.at(-1)).toBe(
      "Prices in USD per million tokens; CACHED is input read from the prompt cache.",
    );
    expect(line(r.stdout, "openai", "gpt-4o-mini")).toMatch(
      /^openai\s+gpt-4o-mini\s+\$0\.15\s+\$0\.075\s+\$0\.60\s+\d{4}-\d{2}-\d{2}$/,
    );
    expect(line(r.stdout, "openai", "gpt-4.1-mini")).toContain("gpt-4.1-mini (default)");
    for (const p of ["gemini", "aliyun", "xai", "anthropic"]) {
      expect(lines.filter((l) => l.startsWith(`${p} `) && l.includes("(default)"))).toHaveLength(1);
    }
    // SiliconFlow has no prices: its default model is still listed.
    expect(line(r.stdout, "silicon_flow", "deepseek-ai/DeepSeek-V3")).toMatch(
      /\(default\)\s+prices unknown$/,
    );
    // An alias is not listed twice.
    expect(lines.some((l) => l.startsWith("siliconflow "))).toBe(false);
    // The price columns line up: every "$" column ends where the header's does.
    const outputEnd = lines[0]!.indexOf("OUTPUT") + "OUTPUT".length;
    for (const l of lines.slice(1, -1).filter((x) => x.includes("$"))) {
      expect(l.slice(0, outputEnd)).toMatch(/\$\d+\.\d+$/);
    }
  });

  it("lists one provider with --provider (an alias lists its target)", async () => {
    const r = await runBin(["models", "--provider", "siliconflow"]);
    expect(r.code).toBe(0);
    expect(r.stdout.split("\n")[1]).toMatch(
      /^silicon_flow\s+deepseek-ai\/DeepSeek-V3 \(default\)\s+prices unknown$/,
    );
    const openai = await runBin(["models", "-p", "openai"]);
    expect(
      openai.stdout
        .split("\n")
        .slice(1, -2)
        .every((l) => l.startsWith("openai ")),
    ).toBe(true);
  });

  it("prints JSON with --json", async () => {
    const r = await runBin(["models", "--json"]);
    expect(r.code).toBe(0);
    const rows = JSON.parse(r.stdout) as Row[];
    expect(rows).toContainEqual({
      provider: "openai",
      model: "gpt-4.1-mini",
      default: true,
      input: 0.4,
      cachedInput: 0.1,
      output: 1.6,
      asOf: expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/),
    });
    expect(rows).toContainEqual({
      provider: "silicon_flow",
      model: "deepseek-ai/DeepSeek-V3",
      default: true,
      input: null,
      cachedInput: null,
      output: null,
      asOf: null,
    });
    // Without a cached rate, cached input costs the input price.
    const dated = rows.find((x) => x.model === "gpt-4o-2024-05-13");
    expect(dated).toMatchObject({ input: 5, cachedInput: 5, default: false });
    const providers = new Set(rows.map((x) => x.provider));
    expect([...providers]).toEqual([
      "openai",
      "gemini",
      "aliyun",
      "xai",
      "silicon_flow",
      "anthropic",
    ]);
  });

  it("rejects an unknown provider, listing the ids", async () => {
    const r = await runBin(["models", "--provider", "nope"]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(
      /^error: unknown provider "nope"; the providers are openai, gemini, .*anthropic\n$/,
    );
  });
});

describe("rephysco models default", () => {
  it("shows, sets and clears the default model in settings.json", async () => {
    const config = tempDir("rephysco-config-");
    const env = { REPHYSCO_CONFIG_DIR: config };
    const none = await runBin(["models", "default"], { env });
    expect(none).toMatchObject({ code: 0, stdout: "" });
    expect(none.stderr).toMatch(/^No default model set/);

    const set = await runBin(["models", "default", "anthropic/claude-haiku-4-5"], { env });
    expect(set).toMatchObject({
      code: 0,
      stdout: "",
      stderr: "Default model set to anthropic/claude-haiku-4-5.\n",
    });
    const settings = join(config, "settings.json");
    expect(JSON.parse(readFileSync(settings, "utf8"))).toEqual({
      defaultModel: "anthropic/claude-haiku-4-5",
    });
    expect((await runBin(["models", "default"], { env })).stdout).toBe(
      "anthropic/claude-haiku-4-5\n",
    );

    const clear = await runBin(["models", "default", "--clear"], { env });
    expect(clear).toMatchObject({
      code: 0,
      stderr: "Default model cleared: each provider uses its own.\n",
    });
    expect(JSON.parse(readFileSync(settings, "utf8"))).toEqual({});
  });

  it("rejects bad input with exit code 2", async () => {
    const env = { REPHYSCO_CONFIG_DIR: tempDir("rephysco-config-") };
    const both = await runBin(["models", "default", "x", "--clear"], { env });
    expect(both).toMatchObject({ code: 2, stderr: "error: give a model or --clear, not both.\n" });
    const spaced = await runBin(["models", "default", "gpt 4"], { env });
    expect(spaced.code).toBe(2);
    expect(spaced.stderr).toMatch(/^error: "gpt 4" is not a model name/);
    const extra = await runBin(["models", "gpt-4o"], { env });
    expect(extra.code).toBe(2);
  });

  it("reports a broken settings file", async () => {
    const config = tempDir("rephysco-config-");
    const { writeFileSync } = await import("node:fs");
    writeFileSync(join(config, "settings.json"), "{ nope");
    const r = await runBin(["models", "default"], { env: { REPHYSCO_CONFIG_DIR: config } });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/settings\.json is not valid JSON/);
  });
});
