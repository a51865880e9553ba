import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { useMockServer } from "../helpers.js";

// The `rephysco` binary as installed, run with nothing of the developer's environment, from a
// working directory it does not own: what a user runs after cloning someone else's repository.
// Resolved by path, so that e2e does not depend on the CLI package (build it first).
const BIN = fileURLToPath(new URL("../../../cli/dist/bin.js", import.meta.url));

const ctx = useMockServer();
let root: string;
let home: string;
let dirs = 0;

beforeAll(() => {
  if (!existsSync(BIN)) throw new Error(`${BIN} is missing: pnpm --filter @rephysco/cli build`);
  root = mkdtempSync(join(tmpdir(), "rephysco-e2e-cli-"));
  home = join(root, "home");
  mkdirSync(home);
});
afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});

/** A fresh directory under the file's temporary root. */
function freshDir(): string {
  const dir = join(root, `d${++dirs}`);
  mkdirSync(dir);
  return dir;
}

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function rephysco(
  args: readonly string[],
  options: { env?: Record<string, string>; cwd?: string; input?: string } = {},
): Promise<Run> {
  const env = {
    PATH: process.env.PATH ?? "",
    HOME: home,
    REPHYSCO_CACHE_DIR: join(home, "cache"),
    ...options.env,
  };
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: options.cwd ?? freshDir(), env });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => {
      stdout += d;
    });
    child.stderr.setEncoding("utf8").on("data", (d: string) => {
      stderr += d;
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(options.input ?? "");
  });
}

/** Any C0 or C1 control character but line feed. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding terminal controls is the point
const CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/;
const SECRET = "sk-user-exported-0123456789";

function oneLine(r: Run): string {
  const lines = r.stderr.trim().split("\n");
  expect(lines).toHaveLength(1);
  return lines[0]!;
}

describe("rephysco CLI security", () => {
  describe("a .env that sets a base URL", () => {
    it("does not receive the key exported in the environment", async () => {
      const cwd = freshDir();
      const file = join(cwd, ".env");
      writeFileSync(file, `OPENAI_BASE_URL=${ctx.server.url}/v1\n`);
      for (const args of [["generate", "hi"], ["chat"]]) {
        const r = await rephysco(args, { cwd, env: { OPENAI_API_KEY: SECRET }, input: "hi\n" });
        expect(r.code).toBe(2);
        const line = oneLine(r);
        expect(line).toContain(`OPENAI_BASE_URL is set by ${file}`);
        expect(line).toContain("(OPENAI_API_KEY) comes from the environment");
        expect(line).toContain("--trust-env-file");
        expect(r.stdout + r.stderr).not.toContain(SECRET);
      }
      expect(ctx.server.requests).toHaveLength(0);
    });

    it("is used with a key from the same file, or with --trust-env-file", async () => {
      const cwd = freshDir();
      writeFileSync(
        join(cwd, ".env"),
        `OPENAI_BASE_URL=${ctx.server.url}/v1\nOPENAI_API_KEY=sk-from-file\n`,
      );
      const sameFile = await rephysco(["generate", "hi"], { cwd });
      expect(sameFile.code).toBe(0);
      // The environment's key wins over the file's: then the file's base URL is refused again.
      const envWins = await rephysco(["generate", "hi"], { cwd, env: { OPENAI_API_KEY: SECRET } });
      expect(envWins.code).toBe(2);
      const trusted = await rephysco(["generate", "hi", "--trust-env-file"], {
        cwd,
        env: { OPENAI_API_KEY: SECRET },
      });
      expect(trusted.code).toBe(0);
      expect(ctx.server.requests.map((r) => r.headers.authorization)).toEqual([
        "Bearer sk-from-file",
        `Bearer ${SECRET}`,
      ]);
    });
  });

  describe("--image", () => {
    const cap = 20 * 1024 * 1024;
    const cases: Array<[string, () => string, RegExp]> = [
      ["/dev/zero", () => "/dev/zero", /character device/],
      [
        "a FIFO",
        () => {
          const fifo = join(freshDir(), "cat.png");
          execFileSync("mkfifo", [fifo]);
          return fifo;
        },
        /FIFO/,
      ],
      [
        "a directory",
        () => {
          const dir = join(freshDir(), "cat.png");
          mkdirSync(dir);
          return dir;
        },
        /directory/,
      ],
      [
        "a sparse file over the cap",
        () => {
          const file = join(freshDir(), "cat.png");
          writeFileSync(file, "");
          truncateSync(file, cap + 1);
          return file;
        },
        /above the limit of 20 MiB/,
      ],
    ];

    it.each(cases)("refuses %s with exit 2, naming the path and why", async (_n, make, why) => {
      const path = make();
      const r = await rephysco(
        ["generate", "hi", "--image", path, "--base-url", `${ctx.server.url}/v1`],
        { env: { OPENAI_API_KEY: SECRET } },
      );
      expect(r.code).toBe(2);
      const line = oneLine(r);
      expect(line).toContain(`"${path}"`);
      expect(line).toMatch(why);
      expect(ctx.server.requests).toHaveLength(0);
    });
  });

  describe("a provider's error message", () => {
    const hostile = "evil \u001b]0;pwned\u0007\u001b[2J\rspoofed\nline";

    it.each([
      ["with escape sequences", hostile],
      ["of 2 MB", `${hostile} ${"y".repeat(2 * 1024 * 1024)}`],
    ])("%s is printed as one bounded line with no controls", async (_n, message) => {
      ctx.server.enqueue({
        error: {
          status: 400,
          body: { error: { message, type: "invalid_request_error", code: null } },
        },
      });
      const r = await rephysco(
        ["generate", "hi", "--retries", "0", "--base-url", `${ctx.server.url}/v1`],
        { env: { OPENAI_API_KEY: SECRET } },
      );
      expect(r.code).toBe(1);
      expect(r.stderr).not.toMatch(CONTROL);
      const line = oneLine(r);
      expect(line).toMatch(/^error: openai/);
      expect(line.length).toBeLessThan(700);
    });
  });

  describe("--timeout", () => {
    it("above 2^31-1 ms is refused with exit 2 and the maximum", async () => {
      const r = await rephysco(
        ["generate", "hi", "--timeout", "3000000000", "--base-url", `${ctx.server.url}/v1`],
        { env: { OPENAI_API_KEY: SECRET } },
      );
      expect(r.code).toBe(2);
      expect(oneLine(r)).toMatch(/--timeout.*2147483647/);
      expect(ctx.server.requests).toHaveLength(0);
    });
  });
});
