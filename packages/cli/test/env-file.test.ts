import { existsSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { MockServer } from "@rephysco/testing";
import { describe, expect, it } from "vitest";
import { runBin, tempDir, useMockServer } from "./run-bin.js";

let server: MockServer;
let baseUrl: string;

useMockServer((started) => {
  server = started;
  baseUrl = `${server.url}/v1`;
});

/** A working directory whose `.env` holds `lines`. */
function dirWithEnv(...lines: string[]): { dir: string; file: string } {
  const dir = tempDir();
  const file = join(dir, ".env");
  writeFileSync(file, `${lines.join("\n")}\n`);
  return { dir, file };
}

describe("a base URL from .env", () => {
  it("is refused with a key from the environment (exit 2, nothing sent)", async () => {
    const { dir, file } = dirWithEnv(`OPENAI_BASE_URL=${baseUrl}`);
    for (const command of [["generate", "hi"], ["chat"]]) {
      const r = await runBin(command, {
        cwd: dir,
        env: { OPENAI_API_KEY: "sk-user-exported" },
        input: "hi\n",
      });
      expect(r.code).toBe(2);
      expect(r.stdout).toBe("");
      const lines = r.stderr.trim().split("\n");
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/^error: OPENAI_BASE_URL is set by /);
      expect(lines[0]).toContain(file);
      expect(lines[0]).toMatch(/API key \(OPENAI_API_KEY\) comes from the environment/);
      expect(lines[0]).toContain("--trust-env-file");
      expect(r.stderr).not.toContain("sk-user-exported");
    }
    expect(server.requests).toHaveLength(0);
  });

  it("is refused when the file sets a key too but the environment's key wins", async () => {
    const { dir } = dirWithEnv(`OPENAI_BASE_URL=${baseUrl}`, "OPENAI_API_KEY=from-file");
    const r = await runBin(["generate", "hi"], {
      cwd: dir,
      env: { OPENAI_API_KEY: "sk-user-exported" },
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("OPENAI_API_KEY");
    expect(server.requests).toHaveLength(0);
  });

  it("is followed by the provider the alias stands for and its later variables", async () => {
    const { dir } = dirWithEnv(`SILICON_FLOW_BASE_URL=${baseUrl}`);
    const r = await runBin(["generate", "hi", "-p", "siliconflow"], {
      cwd: dir,
      env: { SILICONFLOW_API_KEY: "sk-user-exported" },
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/SILICON_FLOW_BASE_URL is set by .*SILICONFLOW_API_KEY/);
    expect(server.requests).toHaveLength(0);
  });

  it("is used with a key from the same file", async () => {
    const { dir } = dirWithEnv(`OPENAI_BASE_URL=${baseUrl}`, "OPENAI_API_KEY=from-file");
    const r = await runBin(["generate", "hi"], { cwd: dir });
    expect(r.code).toBe(0);
    expect(server.requests).toHaveLength(1);
    expect(server.requests[0]!.headers.authorization).toBe("Bearer from-file");
  });

  it("is used with the environment's key under --trust-env-file", async () => {
    const { dir } = dirWithEnv(`OPENAI_BASE_URL=${baseUrl}`);
    const r = await runBin(["generate", "hi", "--trust-env-file"], {
      cwd: dir,
      env: { OPENAI_API_KEY: "sk-user-exported" },
    });
    expect(r.code).toBe(0);
    expect(server.requests[0]!.headers.authorization).toBe("Bearer sk-user-exported");
  });

  it("gives way to --base-url, which the user chose", async () => {
    const { dir } = dirWithEnv("OPENAI_BASE_URL=http://127.0.0.1:9/v1");
    const r = await runBin(["generate", "hi", "--base-url", baseUrl], {
      cwd: dir,
      env: { OPENAI_API_KEY: "sk-user-exported" },
    });
    expect(r.code).toBe(0);
    expect(server.requests).toHaveLength(1);
  });

  it("does not matter when the environment sets the base URL itself", async () => {
    const { dir } = dirWithEnv("OPENAI_BASE_URL=http://127.0.0.1:9/v1");
    const r = await runBin(["generate", "hi"], {
      cwd: dir,
      env: { OPENAI_API_KEY: "sk-user-exported", OPENAI_BASE_URL: baseUrl },
    });
    expect(r.code).toBe(0);
    expect(server.requests).toHaveLength(1);
  });

  it("is not read from a .env that is not a regular file", async () => {
    const dir = tempDir();
    symlinkSync("/dev/zero", join(dir, ".env"));
    const r = await runBin(["generate", "hi", "--base-url", baseUrl], {
      cwd: dir,
      env: { OPENAI_API_KEY: "sk-user-exported" },
    });
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/^warning: could not read \.env: .*not a regular file/);
  });
});

describe("variables that control the runtime", () => {
  it("are never taken from .env (TLS checks, proxies, Node options), with a warning", async () => {
    const { dir } = dirWithEnv(
      `OPENAI_BASE_URL=${baseUrl}`,
      "OPENAI_API_KEY=sk-from-the-file-000",
      "NODE_TLS_REJECT_UNAUTHORIZED=0",
      "HTTPS_PROXY=http://127.0.0.1:9",
      "NODE_OPTIONS=--require=/tmp/evil.js",
    );
    server.enqueue({ text: "fine" });
    const r = await runBin(["generate", "hi"], { cwd: dir, env: {} });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("fine");
    for (const name of ["NODE_TLS_REJECT_UNAUTHORIZED", "HTTPS_PROXY", "NODE_OPTIONS"])
      expect(r.stderr).toContain(name);
    expect(r.stderr).toContain("not loaded");
    // The key and base URL from the same file still work.
    expect(server.requests).toHaveLength(1);
  });

  it("never choose the editor, the shell or where keys and logs are kept", async () => {
    const elsewhere = tempDir();
    const { dir } = dirWithEnv(
      `VISUAL=touch ${join(elsewhere, "pwned")}; true`,
      `EDITOR=touch ${join(elsewhere, "pwned")}; true`,
      `REPHYSCO_CONFIG_DIR=${join(elsewhere, "config")}`,
      `REPHYSCO_DATA_DIR=${join(elsewhere, "data")}`,
      `XDG_CONFIG_HOME=${elsewhere}`,
      "BASH_ENV=/tmp/evil.sh",
    );
    const config = tempDir();
    const keys = await runBin(["keys", "set", "openai"], {
      cwd: dir,
      env: { REPHYSCO_CONFIG_DIR: config },
      input: "sk-user-typed-0000\n",
    });
    expect(keys.code).toBe(0);
    expect(existsSync(join(config, "keys.json"))).toBe(true);
    expect(existsSync(join(elsewhere, "config"))).toBe(false);
    const edit = await runBin(["templates", "edit", "t"], {
      cwd: dir,
      env: { REPHYSCO_CONFIG_DIR: config, EDITOR: "true" },
    });
    expect(existsSync(join(elsewhere, "pwned"))).toBe(false);
    // EDITOR and REPHYSCO_CONFIG_DIR are set in the environment: those win, and the file's are
    // not even considered.
    for (const name of ["VISUAL", "REPHYSCO_DATA_DIR", "XDG_CONFIG_HOME", "BASH_ENV"])
      expect(edit.stderr).toContain(name);
  });
});
