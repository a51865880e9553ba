import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { type MockServer, vendorErrors } from "@rephysco/testing";
import { describe, expect, it } from "vitest";
import { BIN, type BinResult, runBin, tempDir, useMockServer } from "./run-bin.js";

let server: MockServer;
let baseUrl: string;

useMockServer((started) => {
  server = started;
  baseUrl = `${server.url}/v1`;
});

/** Shaped like no provider's key, so that only scrubbing by exact value can hide it. */
const STORED = "storedsecret0123456789";

/** A fresh config directory (inside a parent, so that its creation and mode are ours). */
function configDir(): string {
  return join(tempDir("rephysco-keys-"), "config");
}

function keysFile(config: string): string {
  return join(config, "keys.json");
}

function run(
  config: string,
  args: readonly string[],
  options: { input?: string; env?: Record<string, string>; cwd?: string } = {},
): Promise<BinResult> {
  return runBin(args, {
    ...options,
    env: { REPHYSCO_CONFIG_DIR: config, ...options.env },
  });
}

/** A config directory holding `key` for openai, stored through the binary. */
async function withStoredKey(key = STORED): Promise<string> {
  const config = configDir();
  const r = await run(config, ["keys", "set", "openai"], { input: `${key}\n` });
  expect(r.code).toBe(0);
  return config;
}

describe("keys set (piped)", () => {
  it("stores the key 0600 in a 0700 directory, printing it nowhere", async () => {
    const config = configDir();
    const r = await run(config, ["keys", "set", "openai"], { input: `${STORED}\n` });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("");
    expect(r.stderr).toBe(`Stored the key for openai in ${keysFile(config)}.\n`);
    expect(r.stdout + r.stderr).not.toContain(STORED);
    expect(JSON.parse(readFileSync(keysFile(config), "utf8"))).toEqual({ openai: STORED });
    expect(statSync(keysFile(config)).mode & 0o777).toBe(0o600);
    expect(statSync(config).mode & 0o777).toBe(0o700);
  });

  it("keeps the other keys and replaces the provider's own", async () => {
    const config = await withStoredKey("first-key-000000");
    await run(config, ["keys", "set", "xai"], { input: "xai-key-1111111" });
    await run(config, ["keys", "set", "openai"], { input: "second-key-22222\r\n" });
    expect(JSON.parse(readFileSync(keysFile(config), "utf8"))).toEqual({
      openai: "second-key-22222",
      xai: "xai-key-1111111",
    });
  });

  it("stores an alias's key under the provider it stands for", async () => {
    const config = configDir();
    const r = await run(config, ["keys", "set", "siliconflow"], { input: "sf-key-0123456" });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain("Stored the key for silicon_flow");
    expect(JSON.parse(readFileSync(keysFile(config), "utf8"))).toEqual({
      silicon_flow: "sf-key-0123456",
    });
  });

  const refused: Array<[string, string, string, RegExp]> = [
    [
      "an unknown provider",
      "nope",
      "key-0123456",
      /^error: Unknown provider "nope". Use one of: openai, /,
    ],
    ["an empty key", "openai", "", /^error: The key is empty/],
    ["a blank line", "openai", "  \n", /^error: The key is empty/],
    ["white space inside", "openai", "two words-123\n", /^error: The key contains white space/],
    ["two lines", "openai", "key-one-1234\nkey-two-1234\n", /^error: The key contains white space/],
    [
      "control characters",
      "openai",
      "key\u001b[2J-1234",
      /^error: The key contains control characters/,
    ],
    [
      "non-ASCII",
      "openai",
      "kéy-0123456",
      /^error: The key contains characters that are not printable ASCII/,
    ],
  ];

  it.each(refused)(
    "refuses %s (exit 2, nothing written)",
    async (_name, provider, input, message) => {
      const config = configDir();
      const r = await run(config, ["keys", "set", provider], { input });
      expect(r.code).toBe(2);
      expect(r.stdout).toBe("");
      const lines = r.stderr.trim().split("\n");
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(message);
      for (const part of input.split(/\s/).filter((p) => p.length >= 6))
        expect(r.stderr).not.toContain(part);
      expect(existsSync(keysFile(config))).toBe(false);
    },
  );

  it("refuses more stdin than a key could be", async () => {
    const config = configDir();
    const r = await run(config, ["keys", "set", "openai"], { input: "k".repeat(200_000) });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error: stdin holds more than \d+ bytes: pipe the key alone/);
    expect(existsSync(keysFile(config))).toBe(false);
  });
});

describe("keys list, path, remove", () => {
  it("lists provider ids only, noting a variable that wins", async () => {
    const config = await withStoredKey();
    await run(config, ["keys", "set", "xai"], { input: "xai-secret-123456" });
    const r = await run(config, ["keys", "list"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("openai\nxai\n");
    expect(r.stderr).toBe("");
    const overridden = await run(config, ["keys", "list"], { env: { XAI_API_KEY: "env-x" } });
    expect(overridden.stdout).toBe("openai\nxai\n");
    expect(overridden.stderr).toBe("note: xai: XAI_API_KEY is set and wins over the stored key.\n");
    for (const out of [r, overridden]) {
      expect(out.stdout + out.stderr).not.toContain(STORED);
      expect(out.stdout + out.stderr).not.toContain("xai-secret-123456");
    }
  });

  it("says which .env sets the variable that wins", async () => {
    const config = await withStoredKey();
    const cwd = tempDir();
    writeFileSync(join(cwd, ".env"), "OPENAI_API_KEY=from-file-123456\n");
    const r = await run(config, ["keys", "list"], { cwd });
    expect(r.stderr).toBe(
      `note: openai: OPENAI_API_KEY is set by ${join(cwd, ".env")} and wins over the stored key.\n`,
    );
  });

  it("says so when there are none", async () => {
    const r = await run(configDir(), ["keys", "list"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(/^No keys stored\. Store one with `rephysco keys set <provider>`/);
  });

  it("prints the path of the key file", async () => {
    const config = configDir();
    const r = await run(config, ["keys", "path"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`${keysFile(config)}\n`);
  });

  it("prints no terminal controls from the path or from ids in keys.json", async () => {
    const config = join(tempDir("rephysco-keys-"), "conf\u001b]0;pwned\u0007ig\u001b[2J");
    const path = await run(config, ["keys", "path"]);
    expect(path.code).toBe(0);
    // The escapes are removed from what is printed: `conf` and `ig` remain.
    expect(path.stdout).toBe(`${join(dirname(config), "config", "keys.json")}\n`);
    mkdirSync(config, { recursive: true, mode: 0o700 });
    writeFileSync(keysFile(config), JSON.stringify({ "evil\u001b[2J\u0007": "k-0123456" }), {
      mode: 0o600,
    });
    const list = await run(config, ["keys", "list"]);
    expect(list.code).toBe(0);
    expect(list.stdout).toBe("evil\n");
  });

  it("removes a key (by alias too), and says when there is none", async () => {
    const config = await withStoredKey();
    await run(config, ["keys", "set", "silicon_flow"], { input: "sf-key-0123456" });
    const removed = await run(config, ["keys", "remove", "siliconflow"]);
    expect(removed.code).toBe(0);
    expect(removed.stderr).toBe("Removed the key for silicon_flow.\n");
    expect(JSON.parse(readFileSync(keysFile(config), "utf8"))).toEqual({ openai: STORED });
    expect((await run(config, ["keys", "rm", "openai"])).code).toBe(0);
    expect(JSON.parse(readFileSync(keysFile(config), "utf8"))).toEqual({});
    const again = await run(config, ["keys", "remove", "openai"]);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/^error: No key is stored for openai\. Run `rephysco keys list`/);
    const unknown = await run(config, ["keys", "remove", "nope"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/^error: Unknown provider "nope"/);
  });

  it("removes a key stored for a provider that is no longer registered", async () => {
    const config = configDir();
    mkdirSync(config, { recursive: true, mode: 0o700 });
    writeFileSync(keysFile(config), JSON.stringify({ gone: "old-key-0123456" }), { mode: 0o600 });
    expect((await run(config, ["keys", "list"])).stdout).toBe("gone\n");
    const r = await run(config, ["keys", "remove", "gone"]);
    expect(r.code).toBe(0);
    expect(JSON.parse(readFileSync(keysFile(config), "utf8"))).toEqual({});
  });

  it("reports a broken key file without quoting it", async () => {
    const config = await withStoredKey();
    writeFileSync(keysFile(config), `{"openai": "${STORED}`);
    const r = await run(config, ["keys", "list"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      `error: ${keysFile(config)} is not valid JSON: fix it or delete it and set the keys again.\n`,
    );
    writeFileSync(keysFile(config), JSON.stringify({ openai: 42 }));
    const wrongShape = await run(config, ["keys", "list"]);
    expect(wrongShape.code).toBe(2);
    expect(wrongShape.stderr).toMatch(/must hold a JSON object of provider ids to keys/);
  });
});

describe("using a stored key", () => {
  it("sends it when no key variable is set", async () => {
    const config = await withStoredKey();
    server.enqueue({ text: "ok" });
    const r = await run(config, ["generate", "hi", "--base-url", baseUrl]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("ok\n");
    expect(server.requests[0]!.headers.authorization).toBe(`Bearer ${STORED}`);
  });

  it("sends it in chat, and for an alias", async () => {
    const config = await withStoredKey();
    const chat = await run(config, ["chat", "--base-url", baseUrl], { input: "hi\n" });
    expect(chat.code).toBe(0);
    await run(config, ["keys", "set", "silicon_flow"], { input: "sf-key-0123456" });
    const alias = await run(config, ["generate", "hi", "-p", "siliconflow", "--base-url", baseUrl]);
    expect(alias.code).toBe(0);
    expect(server.requests.map((q) => q.headers.authorization)).toEqual([
      `Bearer ${STORED}`,
      "Bearer sf-key-0123456",
    ]);
  });

  it("gives way to the environment's key, and to a blank variable not at all", async () => {
    const config = await withStoredKey();
    const env = await run(config, ["generate", "hi", "--base-url", baseUrl], {
      env: { OPENAI_API_KEY: "from-env-123456" },
    });
    const blank = await run(config, ["generate", "hi", "--base-url", baseUrl], {
      env: { OPENAI_API_KEY: "  " },
    });
    expect([env.code, blank.code]).toEqual([0, 0]);
    expect(server.requests.map((q) => q.headers.authorization)).toEqual([
      "Bearer from-env-123456",
      `Bearer ${STORED}`,
    ]);
  });

  it("is not read when the environment has the key (a broken file does not matter)", async () => {
    const config = await withStoredKey();
    writeFileSync(keysFile(config), "not json");
    const r = await run(config, ["generate", "hi", "--base-url", baseUrl], {
      env: { OPENAI_API_KEY: "from-env-123456" },
    });
    expect(r.code).toBe(0);
  });

  it("does not break `providers` when broken: the rows that would read it say so", async () => {
    const config = await withStoredKey();
    writeFileSync(keysFile(config), "not json");
    const row = (stdout: string, id: string): string =>
      stdout.split("\n").find((l) => l.split(/\s+/)[0] === id) ?? "";
    const r = await run(config, ["providers"], { env: { XAI_API_KEY: "from-env-123456" } });
    expect(r.code).toBe(0);
    expect(row(r.stdout, "openai")).toMatch(/\sOPENAI_API_KEY not set; keys\.json unreadable$/);
    expect(row(r.stdout, "xai")).toMatch(/\sXAI_API_KEY set$/);
    expect(r.stderr).toBe(
      `warning: keys.json unreadable: ${keysFile(config)} is not valid JSON: fix it or delete it and set the keys again.\n`,
    );
  });

  it("is not read when .env has the key, nor in chat", async () => {
    const config = await withStoredKey();
    writeFileSync(keysFile(config), "not json");
    const cwd = tempDir();
    writeFileSync(join(cwd, ".env"), "OPENAI_API_KEY=from-file-123456\n");
    server.enqueue({ text: "one" });
    server.enqueue({ text: "two" });
    const generate = await run(config, ["generate", "hi", "--base-url", baseUrl], { cwd });
    const chat = await run(config, ["chat", "--base-url", baseUrl], {
      input: "hi\n",
      env: { OPENAI_API_KEY: "from-env-123456" },
    });
    expect([generate.code, chat.code]).toEqual([0, 0]);
    expect(server.requests.map((q) => q.headers.authorization)).toEqual([
      "Bearer from-file-123456",
      "Bearer from-env-123456",
    ]);
  });

  it("is scrubbed from a provider's error that echoes it, --debug included", async () => {
    const config = await withStoredKey();
    for (const debug of [[], ["--debug"]]) {
      server.enqueue(vendorErrors.openai.invalidApiKey(STORED));
      const r = await run(config, ["generate", "hi", "--base-url", baseUrl, ...debug]);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/^error: .*401/m);
      expect(r.stderr).toContain("[REDACTED]");
      expect(r.stdout + r.stderr).not.toContain(STORED);
    }
  });

  it("shows as stored in `rephysco providers`, unless a variable wins", async () => {
    const config = await withStoredKey();
    const row = (stdout: string, id: string): string =>
      stdout.split("\n").find((l) => l.split(/\s+/)[0] === id) ?? "";
    const r = await run(config, ["providers"]);
    expect(row(r.stdout, "openai")).toMatch(/\sstored$/);
    expect(row(r.stdout, "xai")).toMatch(/XAI_API_KEY not set$/);
    const env = await run(config, ["providers"], { env: { OPENAI_API_KEY: "from-env-123456" } });
    expect(row(env.stdout, "openai")).toMatch(/OPENAI_API_KEY set$/);
    expect(r.stdout + env.stdout).not.toContain(STORED);
  });
});

describe("a base URL from .env with a stored key", () => {
  function dirWithEnv(...lines: string[]): string {
    const dir = tempDir();
    writeFileSync(join(dir, ".env"), `${lines.join("\n")}\n`);
    return dir;
  }

  it("is refused (exit 2, nothing sent), the stored key counting as not from the file", async () => {
    const config = await withStoredKey();
    const cwd = dirWithEnv(`OPENAI_BASE_URL=${baseUrl}`);
    for (const command of [["generate", "hi"], ["chat"]]) {
      const r = await run(config, command, { cwd, input: "hi\n" });
      expect(r.code).toBe(2);
      expect(r.stdout).toBe("");
      expect(r.stderr).toBe(
        `error: OPENAI_BASE_URL is set by ${join(cwd, ".env")}, but the API key is the one stored with \`rephysco keys set\`, not from that file: refusing to send the key to a server chosen by a .env file. Put the key in that file too, give the server with --base-url, or pass --trust-env-file if you trust ${join(cwd, ".env")}.\n`,
      );
    }
    expect(server.requests).toHaveLength(0);
  });

  it("is used under --trust-env-file, or with the key from the same file", async () => {
    const config = await withStoredKey();
    const trusted = await run(config, ["generate", "hi", "--trust-env-file"], {
      cwd: dirWithEnv(`OPENAI_BASE_URL=${baseUrl}`),
    });
    const sameFile = await run(config, ["generate", "hi"], {
      cwd: dirWithEnv(`OPENAI_BASE_URL=${baseUrl}`, "OPENAI_API_KEY=from-file-123456"),
    });
    expect([trusted.code, sameFile.code]).toEqual([0, 0]);
    expect(server.requests.map((q) => q.headers.authorization)).toEqual([
      `Bearer ${STORED}`,
      "Bearer from-file-123456",
    ]);
  });

  it("gives way to --base-url", async () => {
    const config = await withStoredKey();
    const r = await run(config, ["generate", "hi", "--base-url", baseUrl], {
      cwd: dirWithEnv("OPENAI_BASE_URL=http://127.0.0.1:9/v1"),
    });
    expect(r.code).toBe(0);
    expect(server.requests[0]!.headers.authorization).toBe(`Bearer ${STORED}`);
  });
});

/**
 * Runs `rephysco keys set <provider>` under a real pseudo-terminal (util-linux `script`), types
 * `keys` once the prompt is shown, and returns all the terminal showed.
 */
function typeIntoTerminal(
  config: string,
  provider: string,
  keys: string,
): Promise<{ code: number | null; screen: string }> {
  const command = `${JSON.stringify(process.execPath)} ${JSON.stringify(BIN)} keys set ${provider}`;
  return new Promise((resolve, reject) => {
    const child = spawn("/usr/bin/script", ["-qfec", command, "/dev/null"], {
      env: {
        PATH: process.env.PATH ?? "",
        HOME: tempDir("rephysco-home-"),
        REPHYSCO_CONFIG_DIR: config,
        NO_COLOR: "1",
      },
      stdio: ["pipe", "pipe", "pipe"],
    });
    let screen = "";
    let typed = false;
    child.stdout.setEncoding("utf8").on("data", (d: string) => {
      screen += d;
      // Typed only once the prompt is up: raw mode is on by then, as for a person at a keyboard.
      if (!typed && screen.includes(`Enter key for `)) {
        typed = true;
        child.stdin.write(keys);
      }
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, screen }));
  });
}

/**
 * Is `/usr/bin/script` util-linux's, whose options (`-qfec`) {@link typeIntoTerminal} uses? The
 * BSD one (macOS) takes others; there the terminal tests are skipped. On Linux CI they run.
 */
function hasUtilLinuxScript(): boolean {
  if (!existsSync("/usr/bin/script")) return false;
  const version = spawnSync("/usr/bin/script", ["--version"], { encoding: "utf8" });
  return `${version.stdout}${version.stderr}`.includes("util-linux");
}

it.runIf(process.platform === "linux")(
  "runs the terminal tests on Linux (util-linux script)",
  () => {
    expect(hasUtilLinuxScript()).toBe(true);
  },
);

describe.runIf(hasUtilLinuxScript())("keys set on a terminal", () => {
  it("reads the key without echoing it (Backspace edits, Enter ends)", async () => {
    const config = configDir();
    const { code, screen } = await typeIntoTerminal(
      config,
      "openai",
      `secretXtyped${"\u007f".repeat(6)}TYPED-42\r`,
    );
    expect(code).toBe(0);
    expect(screen).toContain("Enter key for openai: ");
    expect(screen).toContain(`Stored the key for openai in ${keysFile(config)}.`);
    expect(screen).not.toContain("secret");
    expect(screen).not.toContain("TYPED");
    expect(JSON.parse(readFileSync(keysFile(config), "utf8"))).toEqual({
      openai: "secretTYPED-42",
    });
  });

  it("ignores arrow keys, and Ctrl+U starts over", async () => {
    const config = configDir();
    const { code } = await typeIntoTerminal(
      config,
      "xai",
      "wrong\u0015xai-\u001b[Dkey\u001b[A-7\r",
    );
    expect(code).toBe(0);
    expect(JSON.parse(readFileSync(keysFile(config), "utf8"))).toEqual({ xai: "xai-key-7" });
  });

  it("takes a bracketed paste as the key", async () => {
    const config = configDir();
    const { code, screen } = await typeIntoTerminal(
      config,
      "openai",
      "\u001b[200~sk-pasted-0123\u001b[201~\r",
    );
    expect(code).toBe(0);
    expect(screen).not.toContain("pasted");
    expect(JSON.parse(readFileSync(keysFile(config), "utf8"))).toEqual({
      openai: "sk-pasted-0123",
    });
  });

  it("cancels on Ctrl+C (exit 130, nothing stored)", async () => {
    const config = configDir();
    const { code, screen } = await typeIntoTerminal(config, "openai", "half-typed\u0003");
    expect(code).toBe(130);
    expect(screen).toContain("error: Cancelled: no key was stored.");
    expect(screen).not.toContain("half-typed");
    expect(existsSync(keysFile(config))).toBe(false);
  });
});
