import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createMockServer, type MockServer } from "@rephysco/testing";
import { afterAll, beforeAll, beforeEach } from "vitest";

/**
 * The built binary: tests run exactly what `npm i -g @rephysco/cli` installs.
 * `REPHYSCO_CLI_TEST_BIN` points them at another build of it (one that a parallel `pnpm build`
 * does not delete mid-run).
 */
export const BIN =
  process.env.REPHYSCO_CLI_TEST_BIN ?? fileURLToPath(new URL("../dist/bin.js", import.meta.url));

/** What a run of the binary produced. */
export interface BinResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** The temporary directories this run made (HOME, and cwd unless given), removed when it ended. */
  readonly tempDirs: readonly string[];
}

/** Options for {@link runBin}. */
export interface RunBinOptions {
  /** Variables added to the minimal environment (PATH, HOME and the cache dir only). */
  readonly env?: Record<string, string>;
  /** Text written to stdin, which is then closed. */
  readonly input?: string;
  /** Working directory (a fresh empty temporary directory by default, so no stray `.env`). */
  readonly cwd?: string;
}

const madeDirs = new Set<string>();

/** A fresh temporary directory, removed by {@link removeTempDirs} (call it in `afterAll`). */
export function tempDir(prefix = "rephysco-cli-"): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  madeDirs.add(dir);
  return dir;
}

/** Removes the given temporary directories (every one {@link tempDir} made when none given). */
export function removeTempDirs(dirs: Iterable<string> = [...madeDirs]): void {
  for (const dir of dirs) {
    rmSync(dir, { recursive: true, force: true });
    madeDirs.delete(dir);
  }
}

/**
 * Spawns `node dist/bin.js ...args` with a clean environment (none of the developer's keys or
 * NO_COLOR leak in) and collects its output. stdin is a pipe, so the child is never on a TTY.
 */
export async function runBin(
  args: readonly string[],
  options: RunBinOptions = {},
): Promise<BinResult> {
  const home = tempDir("rephysco-home-");
  const cwd = options.cwd ?? tempDir();
  const tempDirs = options.cwd === undefined ? [home, cwd] : [home];
  try {
    const out = await spawnBin(args, options, home, cwd);
    return { ...out, tempDirs };
  } finally {
    removeTempDirs(tempDirs);
  }
}

function spawnBin(
  args: readonly string[],
  options: RunBinOptions,
  home: string,
  cwd: string,
): Promise<Omit<BinResult, "tempDirs">> {
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? "",
    HOME: home,
    REPHYSCO_CACHE_DIR: join(home, "cache"),
    ...options.env,
  };
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd,
      env,
      stdio: ["pipe", "pipe", "pipe"],
    });
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

/** A 1x1 transparent PNG. */
export const PNG_1X1 = Buffer.from(
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==",
  "base64",
);

/** Matches any ANSI escape sequence. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching terminal escapes is the point
export const ANSI = /\u001b\[/;

/** An OpenAI-style message as the mock server recorded it. */
export interface WireMessage {
  role: string;
  content: string | Array<{ type: string; text?: string; image_url?: { url: string } }>;
}

/** The body of an OpenAI-style request as the mock server recorded it. */
export interface WireBody {
  model: string;
  messages: WireMessage[];
  stream?: boolean;
  temperature?: number;
  max_tokens?: number;
}

/**
 * The mock server of a test file: started before its tests (handed to `started`), reset before
 * each test, closed after the last one, when the file's temporary directories are removed too.
 */
export function useMockServer(started: (server: MockServer) => void): void {
  let server: MockServer | undefined;
  beforeAll(async () => {
    server = await createMockServer();
    started(server);
  });
  afterAll(async () => {
    await server?.close();
    removeTempDirs();
  });
  beforeEach(() => server?.reset());
}
