import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { MockServer } from "@rephysco/testing";
import { describe, expect, it } from "vitest";
import { runBin, tempDir, useMockServer, type WireBody } from "./run-bin.js";

let server: MockServer;
let base: string[];

useMockServer((started) => {
  server = started;
  base = ["--base-url", `${server.url}/v1`, "--no-log"];
});

/** A user whose settings.json holds `settings`. */
function user(settings: object = {}): Record<string, string> {
  const dir = tempDir("rephysco-user-");
  const config = join(dir, "config");
  mkdirSync(config, { recursive: true });
  writeFileSync(join(config, "settings.json"), JSON.stringify(settings));
  return {
    OPENAI_API_KEY: "sk-openai-000000",
    SILICONFLOW_API_KEY: "sk-siliconflow-000000",
    XAI_API_KEY: "xai-000000000000",
    REPHYSCO_CONFIG_DIR: config,
    REPHYSCO_DATA_DIR: join(dir, "data"),
  };
}

/** Runs `generate` and returns the path and model the mock server saw. */
async function sent(env: Record<string, string>, ...args: string[]) {
  server.enqueue({ text: "ok" });
  const r = await runBin(["generate", "hi", ...args, ...base], { env });
  expect(r.stderr).toBe("");
  expect(r.code).toBe(0);
  const request = server.requests.at(-1)!;
  return {
    model: (request.body as WireBody).model,
    auth: request.headers.authorization,
  };
}

describe("choosing the provider and model", () => {
  it("takes provider/model when the prefix is a registered provider id", async () => {
    const env = user();
    expect(await sent(env, "-m", "xai/grok-4")).toEqual({
      model: "grok-4",
      auth: "Bearer xai-000000000000",
    });
  });

  it("keeps SiliconFlow's own ids (Qwen/...) whole as models of --provider", async () => {
    const env = user();
    expect(await sent(env, "-p", "siliconflow", "-m", "Qwen/Qwen2.5-72B-Instruct")).toEqual({
      model: "Qwen/Qwen2.5-72B-Instruct",
      auth: "Bearer sk-siliconflow-000000",
    });
  });

  it("follows aliases, also to a provider/model and through another alias", async () => {
    const env = user({
      aliases: { fast: "openai/gpt-4.1-mini", quick: "fast", sf: "siliconflow/Qwen/Qwen3-8B" },
    });
    expect((await sent(env, "-m", "fast")).model).toBe("gpt-4.1-mini");
    expect((await sent(env, "-m", "quick")).model).toBe("gpt-4.1-mini");
    expect(await sent(env, "-m", "sf")).toEqual({
      model: "Qwen/Qwen3-8B",
      auth: "Bearer sk-siliconflow-000000",
    });
  });

  it("uses the default model setting under -m, and -m over it", async () => {
    const env = user({ defaultModel: "xai/grok-3-mini" });
    expect(await sent(env)).toEqual({ model: "grok-3-mini", auth: "Bearer xai-000000000000" });
    expect((await sent(env, "-m", "gpt-4o")).model).toBe("gpt-4o");
  });

  it("passes over a default model of another provider when -p names one", async () => {
    const env = user({ defaultModel: "xai/grok-3-mini" });
    const r = await sent(env, "-p", "openai");
    expect(r.auth).toBe("Bearer sk-openai-000000");
    // openai's own default model.
    expect(r.model).toBe("gpt-4.1-mini");
  });

  it("lets REPHYSCO_PROVIDER choose only when the model names no provider", async () => {
    const env = { ...user(), REPHYSCO_PROVIDER: "xai" };
    expect((await sent(env, "-m", "grok-4")).auth).toBe("Bearer xai-000000000000");
    expect((await sent(env, "-m", "openai/gpt-4o")).auth).toBe("Bearer sk-openai-000000");
  });

  it("refuses -m naming one provider with -p naming another", async () => {
    const env = user();
    const r = await runBin(["generate", "hi", "-p", "openai", "-m", "xai/grok-4", ...base], {
      env,
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/names the provider xai, but -p says openai/);
    expect(server.requests).toHaveLength(0);
  });

  it("reports aliases that loop", async () => {
    const env = user({ aliases: { a: "b", b: "a" } });
    const r = await runBin(["generate", "hi", "-m", "a", ...base], { env });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/aliases a → b → a loop/);
  });

  it("says which file is wrong when settings.json is broken", async () => {
    const env = user();
    writeFileSync(join(env.REPHYSCO_CONFIG_DIR!, "settings.json"), "{ not json");
    const r = await runBin(["generate", "hi", ...base], { env });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(join(env.REPHYSCO_CONFIG_DIR!, "settings.json"));
  });
});
