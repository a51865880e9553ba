import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { MockServer } from "@rephysco/testing";
import { describe, expect, it } from "vitest";
import { ANSI, BIN, runBin, tempDir, useMockServer } from "./run-bin.js";

/** util-linux `script` (Debian's bsdutils, always installed): runs a command on a pseudo-terminal. */
const SCRIPT = "/usr/bin/script";

let server: MockServer;
let base: string[];

useMockServer((started) => {
  server = started;
  base = ["--base-url", `${server.url}/v1`];
});

/** Quotes `word` for `sh`. */
function shellQuote(word: string): string {
  return `'${word.replaceAll("'", "'\\''")}'`;
}

/** What a run on a terminal produced: stdout as the terminal got it, stderr from a file. */
interface TtyResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs `node dist/bin.js ...args` with stdout on a real pseudo-terminal (`script -qfec`), stderr
 * redirected to a file so that stdout is all the terminal shows. `stty -onlcr` keeps the
 * terminal from turning `\n` into `\r\n`, so the bytes seen are the bytes written. With `stdin`,
 * that text is piped into the binary (stdin not a terminal, stdout still one).
 */
function runOnTty(
  args: readonly string[],
  options: { env?: Record<string, string>; stdin?: string } = {},
): Promise<TtyResult> {
  const home = tempDir("rephysco-home-");
  const errFile = join(home, "stderr.txt");
  const bin = [process.execPath, BIN, ...args].map(shellQuote).join(" ");
  const input = options.stdin !== undefined ? `printf '%s' ${shellQuote(options.stdin)} | ` : "";
  const command = `stty -onlcr; ${input}${bin} 2>${shellQuote(errFile)}`;
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? "",
    HOME: home,
    SHELL: "/bin/sh",
    TERM: "xterm-256color",
    REPHYSCO_CACHE_DIR: join(home, "cache"),
    OPENAI_API_KEY: "test-key",
    ...options.env,
  };
  return new Promise((resolve, reject) => {
    const child = spawn(SCRIPT, ["-qfec", command, "/dev/null"], {
      cwd: tempDir(),
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => {
      stdout += d;
    });
    child.on("error", reject);
    child.on("close", (code) => {
      const stderr = existsSync(errFile) ? readFileSync(errFile, "utf8") : "";
      resolve({ code, stdout, stderr });
    });
  });
}

const ANSWER = [
  "# Plan",
  "",
  "Use **bold** and `code`:",
  "",
  "- one",
  "- two",
  "",
  "```sh",
  "echo **as is**",
  "```",
].join("\n");

/** ANSWER cut in pieces that split lines and markers. */
const CHUNKS = [
  "# Pl",
  "an\n\nUse **bo",
  "ld** and `co",
  "de`:\n\n- one\n- t",
  "wo\n\n```sh\necho **as",
  " is**\n```",
];

describe("answers on a terminal", () => {
  it("are rendered as Markdown while they stream", async () => {
    server.enqueue({ chunks: CHUNKS });
    const r = await runOnTty(["generate", "plan", ...base]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe("");
    expect(r.stdout).toContain("\u001b[1mbold\u001b[22m");
    expect(r.stdout).toContain("\u001b[36mcode\u001b[39m");
    expect(r.stdout).toContain("• one\n• two\n");
    expect(r.stdout).toContain("\u001b[36mecho **as is**\u001b[39m\n");
    expect(r.stdout).not.toContain("Use **bold**");
    expect(r.stdout.endsWith("\n")).toBe(true);
  });

  it("are rendered when not streamed (--no-stream) and in chat", async () => {
    server.enqueue([{ text: ANSWER }, { chunks: CHUNKS }]);
    const whole = await runOnTty(["generate", "plan", "--no-stream", ...base]);
    expect(whole.code).toBe(0);
    expect(whole.stdout).toContain("\u001b[1mbold\u001b[22m");
    // chat with piped stdin: the answers still go to the terminal.
    const chat = await runOnTty(["chat", ...base], { stdin: "plan\n" });
    expect(chat.code).toBe(0);
    expect(chat.stdout).toBe(whole.stdout);
  });

  it("lose the control sequences the model sent", async () => {
    server.enqueue({
      chunks: [
        "See \u001b]8;;http://evil.example\u0007th",
        "is\u001b]8;;\u0007\u001b[2J **now**\r\nok\r",
        "over",
      ],
    });
    const r = await runOnTty(["generate", "hi", ...base]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("See this \u001b[1mnow\u001b[22m\nok\nover\n");
  });

  it("keep every word of malformed links, and show a paragraph cut anywhere the same", async () => {
    const answer =
      "Click [here](the settings page) to continue, f[x](a(b) and [y](z) end, " +
      "[a]( (x) [b](y) tail, and **bold words** in one paragraph without a line break";
    // Cut mid-word, mid-link and mid-bold: streamed, then the same answer whole (--no-stream).
    const chunks = answer.match(/.{1,7}/g) ?? [];
    server.enqueue([{ chunks }, { text: answer }]);
    const env = { NO_COLOR: "1" };
    const streamed = await runOnTty(["generate", "links", ...base], { env });
    expect(streamed.code).toBe(0);
    expect(streamed.stdout).toBe(
      "Click [here](the settings page) to continue, f[x](a(b) and y (z) end, " +
        "[a]( (x) b (y) tail, and bold words in one paragraph without a line break\n",
    );
    const whole = await runOnTty(["generate", "links", "--no-stream", ...base], { env });
    expect(whole.stdout).toBe(streamed.stdout);
  });

  it("keep the structure without colour when NO_COLOR is set", async () => {
    server.enqueue({ chunks: CHUNKS });
    const r = await runOnTty(["generate", "plan", ...base], { env: { NO_COLOR: "1" } });
    expect(r.code).toBe(0);
    expect(r.stdout).not.toMatch(ANSI);
    expect(r.stdout).toBe(
      "# Plan\n\nUse bold and code:\n\n• one\n• two\n\n```sh\necho **as is**\n```\n",
    );
  });

  it("are the exact bytes with --raw, escapes included, as cat would print them", async () => {
    const raw = "Use **bold**\r\n\u001b[31mred\u001b[0m";
    server.enqueue([{ chunks: ["Use **bo", "ld**\r\n\u001b[31m", "red\u001b[0m"] }, { text: raw }]);
    const streamed = await runOnTty(["generate", "plan", "--raw", ...base]);
    expect(streamed.code).toBe(0);
    expect(streamed.stdout).toBe(`${raw}\n`);
    const whole = await runOnTty(["chat", "--raw", "--no-stream", ...base], { stdin: "plan\n" });
    expect(whole.code).toBe(0);
    expect(whole.stdout).toBe(`${raw}\n`);
  });

  it("are not rendered with --json, which prints the response as JSON", async () => {
    server.enqueue({ chunks: CHUNKS });
    const r = await runOnTty(["generate", "plan", "--json", ...base]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).content).toBe(ANSWER);
  });
});

describe("answers on a pipe", () => {
  it("are the exact bytes, with or without --raw", async () => {
    const raw = "Use **bold**\r\n\u001b[31mred\u001b[0m\n- item";
    server.enqueue([
      { chunks: ["Use **bo", "ld**\r\n\u001b[31mred", "\u001b[0m\n- item"] },
      { text: raw },
    ]);
    const env = { OPENAI_API_KEY: "test-key" };
    const streamed = await runBin(["generate", "plan", ...base], { env });
    expect(streamed.code).toBe(0);
    expect(streamed.stdout).toBe(`${raw}\n`);
    const flagged = await runBin(["generate", "plan", "--raw", "--no-stream", ...base], { env });
    expect(flagged.code).toBe(0);
    expect(flagged.stdout).toBe(`${raw}\n`);
  });
});
