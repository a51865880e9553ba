import { readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { removeTempDirs, runBin, tempDir } from "./run-bin.js";

afterAll(() => removeTempDirs());

function setup(): { config: string; env: Record<string, string> } {
  const config = tempDir("rephysco-config-");
  return { config, env: { REPHYSCO_CONFIG_DIR: config } };
}

describe("rephysco aliases", () => {
  it("sets, lists and removes aliases in settings.json (0600)", async () => {
    const { config, env } = setup();
    const empty = await runBin(["aliases"], { env });
    expect(empty).toMatchObject({ code: 0, stdout: "" });
    expect(empty.stderr).toMatch(/^No aliases yet/);

    const set = await runBin(["aliases", "set", "fast", "openai/gpt-4.1-mini"], { env });
    expect(set).toMatchObject({ code: 0, stderr: "Alias fast -> openai/gpt-4.1-mini saved.\n" });
    await runBin(["aliases", "set", "smart", "anthropic/claude-sonnet-4-5"], { env });
    await runBin(["aliases", "set", "ds", "deepseek-ai/DeepSeek-V3"], { env });
    // Setting an alias again changes it.
    await runBin(["aliases", "set", "smart", "gpt-5"], { env });

    const list = await runBin(["aliases", "list"], { env });
    expect(list).toMatchObject({
      code: 0,
      stdout: "ds    -> deepseek-ai/DeepSeek-V3\nfast  -> openai/gpt-4.1-mini\nsmart -> gpt-5\n",
    });
    const settings = join(config, "settings.json");
    expect(statSync(settings).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(settings, "utf8")).aliases).toEqual({
      fast: "openai/gpt-4.1-mini",
      smart: "gpt-5",
      ds: "deepseek-ai/DeepSeek-V3",
    });

    const rm = await runBin(["aliases", "remove", "fast"], { env });
    expect(rm).toMatchObject({ code: 0, stderr: "Alias fast removed.\n" });
    await runBin(["aliases", "rm", "ds"], { env });
    await runBin(["aliases", "remove", "smart"], { env });
    expect(JSON.parse(readFileSync(settings, "utf8"))).toEqual({});
  });

  it("keeps the other settings", async () => {
    const { config, env } = setup();
    writeFileSync(join(config, "settings.json"), '{ "defaultModel": "fast", "log": false }');
    await runBin(["aliases", "set", "fast", "xai/grok-3-mini"], { env });
    expect(JSON.parse(readFileSync(join(config, "settings.json"), "utf8"))).toEqual({
      defaultModel: "fast",
      log: false,
      aliases: { fast: "xai/grok-3-mini" },
    });
  });

  it("prints the settings file with aliases path", async () => {
    const { config, env } = setup();
    const r = await runBin(["aliases", "path"], { env });
    expect(r).toMatchObject({ code: 0, stdout: `${join(config, "settings.json")}\n` });
  });

  it.each([
    [["set", "a/b", "x"], /^error: "a\/b" is not a valid alias name/],
    [["set", "-x", "y"], /unknown option/],
    [["set", ".hidden", "y"], /is not a valid alias name/],
    [["set", "x".repeat(65), "y"], /is not a valid alias name/],
    [["set", "fast", "a b"], /^error: "a b" is not a model/],
    [["set", "fast", ""], /is not a model/],
    [["set", "fast", "fast"], /^error: alias fast cannot point at itself/],
    [["set", "fast"], /missing required argument 'target'/],
    [["remove", "nope"], /^error: no alias named "nope"; see rephysco aliases list\n$/],
  ])("rejects aliases %j with exit code 2", async (args, message) => {
    const { env } = setup();
    const r = await runBin(["aliases", ...args], { env });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(message);
  });
});
