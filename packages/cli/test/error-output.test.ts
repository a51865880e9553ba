import { join } from "node:path";
import { type MockServer, vendorErrors } from "@rephysco/testing";
import { describe, expect, it } from "vitest";
import { oneLine, stripTerminalControls } from "../src/terminal-text.js";
import { runBin, tempDir, useMockServer } from "./run-bin.js";

let server: MockServer;
let base: string[];
const KEY = { OPENAI_API_KEY: "test-key" };

useMockServer((started) => {
  server = started;
  base = ["--base-url", `${server.url}/v1`, "--retries", "0"];
});

/** Any C0 or C1 control character but line feed: ESC, BEL, CR, CSI... */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding terminal controls is the point
const CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/;

/** An OpenAI-style 400 whose message is `message`. */
function badRequest(message: string) {
  return {
    error: {
      status: 400,
      body: { error: { message, type: "invalid_request_error", code: null } },
    },
  };
}

const HOSTILE =
  "bad \u001b]0;pwned\u0007request\u001b[2J\r\n\u009b31mfake: \u001b]8;;http://x\u001b\\line\u001b[0m";

describe("error output", () => {
  it("strips control characters and escape sequences from a provider's message", async () => {
    server.enqueue(badRequest(HOSTILE));
    const r = await runBin(["generate", "hi", ...base], { env: KEY });
    expect(r.code).toBe(1);
    expect(r.stderr).not.toMatch(CONTROL);
    expect(r.stderr).not.toContain("pwned");
    const lines = r.stderr.trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^error: .*bad request fake: line/);
  });

  it("prints a 2 MB message as one line of at most 500 characters of it", async () => {
    // However much of the body core keeps (and whether it still parses it as JSON), the line
    // printed is one and short.
    server.enqueue(badRequest(`${HOSTILE} ${"word\r\n".repeat(350_000)}`));
    const r = await runBin(["generate", "hi", ...base], { env: KEY });
    expect(r.code).toBe(1);
    expect(r.stderr).not.toMatch(CONTROL);
    const lines = r.stderr.trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^error: .*word.*….*Check the model id/);
    // The message itself is cut at 500; "error: ", the provider, status, code and hint are extra.
    expect(lines[0]!.length).toBeLessThan(700);
  });

  it("keeps the stack under --debug but nothing raw or unbounded", async () => {
    server.enqueue(badRequest(`${HOSTILE} ${"x".repeat(2_000_000)}`));
    const r = await runBin(["--debug", "generate", "hi", ...base], { env: KEY });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/\n\s+at /);
    expect(r.stderr).not.toMatch(CONTROL);
    expect(r.stderr.length).toBeLessThan(100_000);
  });

  it("strips escapes from a usage error that quotes the command line", async () => {
    const r = await runBin(["generate", "hi", "--timeout", "\u001b]0;pwned\u0007"], { env: KEY });
    expect(r.code).toBe(2);
    expect(r.stderr).not.toMatch(CONTROL);
    expect(r.stderr).toMatch(/^error: .*timeout/);
  });

  it("leaves the answer on stdout raw, as cat would", async () => {
    server.enqueue({ text: "\u001b[1mbold\u001b[0m" });
    const r = await runBin(["generate", "hi", "--no-stream", ...base], { env: KEY });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("\u001b[1mbold\u001b[0m\n");
  });
});

describe("key hints", () => {
  /** A config directory with `key` stored for openai through the binary. */
  async function storedKeyConfig(key: string): Promise<string> {
    const config = join(tempDir("rephysco-keys-"), "config");
    const r = await runBin(["keys", "set", "openai"], {
      input: `${key}\n`,
      env: { REPHYSCO_CONFIG_DIR: config },
    });
    expect(r.code).toBe(0);
    return config;
  }

  it("says the stored key was rejected when it was the one sent", async () => {
    const config = await storedKeyConfig("stored-key-0123456");
    server.enqueue(vendorErrors.openai.invalidApiKey("stored-key-0123456"));
    const r = await runBin(["generate", "hi", ...base], { env: { REPHYSCO_CONFIG_DIR: config } });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /^error: openai.*401.*\. The stored key for openai was rejected: set a new one with `rephysco keys set openai`\.\n$/,
    );
    expect(r.stderr).not.toContain("stored-key-0123456");
  });

  it("names the variable when the key came from the environment, a stored key notwithstanding", async () => {
    const config = await storedKeyConfig("stored-key-0123456");
    server.enqueue(vendorErrors.openai.invalidApiKey("from-env-123456"));
    const r = await runBin(["generate", "hi", ...base], {
      env: { REPHYSCO_CONFIG_DIR: config, ...KEY },
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error: openai.*401.*\. Check OPENAI_API_KEY\.\n$/);
  });

  it("offers `rephysco keys set` next to the variables for a missing key", async () => {
    const config = join(tempDir("rephysco-keys-"), "config");
    const r = await runBin(["generate", "hi", "-p", "siliconflow", ...base], {
      env: { REPHYSCO_CONFIG_DIR: config },
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      "error: No API key for silicon_flow: set SILICONFLOW_API_KEY or SILICON_FLOW_API_KEY in the environment or in a .env file in this directory, or store one with `rephysco keys set silicon_flow`.\n",
    );
    expect(server.requests).toHaveLength(0);
  });
});

describe("terminal text", () => {
  it("removes CSI, OSC, DCS and C1 sequences, lone ESC and controls, keeping text", () => {
    expect(stripTerminalControls("a\u001b[1;31mb\u001b[0mc")).toBe("abc");
    expect(stripTerminalControls("a\u001b]0;title\u0007b\u001b]0;t\u001b\\c")).toBe("abc");
    expect(stripTerminalControls("a\u001bPq#0\u001b\\b")).toBe("ab");
    expect(stripTerminalControls("a\u009b2Jb\u009d0;t\u009cc")).toBe("abc");
    expect(stripTerminalControls("a\u001bcb\u0000\u0008\u007fc\u001b")).toBe("abc");
    expect(stripTerminalControls("a\r\nb\rc\u2028d\te")).toBe("a\nb\nc\nd\te");
    expect(stripTerminalControls("unterminated \u001b]0;title")).toBe("unterminated ");
  });

  it("oneLine collapses white space and cuts with an ellipsis", () => {
    expect(oneLine("  a\n\n b\t c  ", 100)).toBe("a b c");
    expect(oneLine("abcdefghij", 5)).toBe("abcd…");
    expect(oneLine("abcde", 5)).toBe("abcde");
    expect(oneLine("ab\u{1F600}cd", 4)).toBe("ab…");
    const huge = oneLine(`${"\u001b[2J".repeat(1_000_000)}end`, 50);
    expect(huge).toBe("…");
  });
});
