import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { type MockServer, vendorErrors } from "@rephysco/testing";
import { describe, expect, it } from "vitest";
import { ANSI, BIN, PNG_1X1, runBin, tempDir, useMockServer, type WireBody } from "./run-bin.js";

let server: MockServer;
let base: string[];
const KEY = { OPENAI_API_KEY: "test-key" };

useMockServer((started) => {
  server = started;
  base = ["--base-url", `${server.url}/v1`];
});

function body(i = 0): WireBody {
  return server.requests[i]!.body as WireBody;
}

describe("generate", () => {
  it("streams the answer to stdout and nothing else", async () => {
    server.enqueue({ chunks: ["Hel", "lo ", "world"] });
    const r = await runBin(["generate", "Say hello", ...base], { env: KEY });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("Hello world\n");
    expect(r.stderr).toBe("");
    expect(server.requests).toHaveLength(1);
    expect(body().stream).toBe(true);
    expect(body().messages).toEqual([{ role: "user", content: "Say hello" }]);
    expect(server.requests[0]!.headers.authorization).toBe("Bearer test-key");
  });

  it("joins unquoted words into one prompt", async () => {
    const r = await runBin(["generate", "two", "words", ...base], { env: KEY });
    expect(r.code).toBe(0);
    expect(body().messages.at(-1)!.content).toBe("two words");
  });

  it("waits for the whole answer with --no-stream", async () => {
    server.enqueue({ text: "All at once." });
    const r = await runBin(["generate", "hi", "--no-stream", ...base], { env: KEY });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("All at once.\n");
    expect(body().stream).not.toBe(true);
  });

  it("passes model, system prompt, temperature and max tokens", async () => {
    const r = await runBin(
      [
        "generate",
        "hi",
        "-m",
        "gpt-4o-mini",
        "-s",
        "Be terse.",
        "-t",
        "0.2",
        "--max-tokens",
        "50",
        ...base,
      ],
      { env: KEY },
    );
    expect(r.code).toBe(0);
    expect(body()).toMatchObject({
      model: "gpt-4o-mini",
      temperature: 0.2,
      max_tokens: 50,
      messages: [
        { role: "system", content: "Be terse." },
        { role: "user", content: "hi" },
      ],
    });
  });

  it("prints only the final response as JSON with --json while streaming", async () => {
    server.enqueue({ chunks: ["4"], usage: { promptTokens: 7, completionTokens: 1 } });
    const r = await runBin(["generate", "2+2?", "--json", ...base], { env: KEY });
    expect(r.code).toBe(0);
    const json = JSON.parse(r.stdout);
    expect(json).toMatchObject({
      content: "4",
      provider: "openai",
      finishReason: "stop",
      cached: false,
      usage: { promptTokens: 7, completionTokens: 1 },
    });
    expect(typeof json.model).toBe("string");
    expect(body().stream).toBe(true);
  });

  it("prints the ModelResponse as JSON with --json --no-stream", async () => {
    server.enqueue({ text: "four", model: "gpt-test-001" });
    const r = await runBin(["generate", "2+2?", "--json", "--no-stream", ...base], { env: KEY });
    expect(r.code).toBe(0);
    const json = JSON.parse(r.stdout);
    expect(json).toMatchObject({
      content: "four",
      model: "gpt-test-001",
      provider: "openai",
      cached: false,
    });
    expect(json).not.toHaveProperty("raw");
  });

  it("reads the prompt from stdin when none is given", async () => {
    const r = await runBin(["generate", ...base], { env: KEY, input: "Summarize this\nplease\n" });
    expect(r.code).toBe(0);
    expect(body().messages).toEqual([{ role: "user", content: "Summarize this\nplease" }]);
  });

  it("sends a local image file as a data URL and a remote one as its URL", async () => {
    const dir = tempDir();
    const file = join(dir, "dot.png");
    writeFileSync(file, PNG_1X1);
    const url = "https://example.com/cat.jpg";
    const r = await runBin(
      ["generate", "What is this?", "--image", file, "--image", url, ...base],
      {
        env: KEY,
      },
    );
    expect(r.code).toBe(0);
    const content = body().messages.at(-1)!.content;
    expect(Array.isArray(content)).toBe(true);
    const urls = (content as Array<{ type: string; image_url?: { url: string } }>)
      .filter((p) => p.type === "image_url")
      .map((p) => p.image_url!.url);
    expect(urls).toEqual([`data:image/png;base64,${PNG_1X1.toString("base64")}`, url]);
  });

  // OpenAI's chat completions carry no reasoning text; SiliconFlow's DeepSeek-R1 does.
  const R1 = ["-p", "siliconflow", "-m", "deepseek-ai/DeepSeek-R1"];
  const R1_KEY = { SILICONFLOW_API_KEY: "test-key" };

  it("shows reasoning on stderr only with --show-reasoning", async () => {
    const reply = { reasoningChunks: ["Let me think.\n", "Two and two."], chunks: ["4"] };
    server.enqueue(reply);
    const shown = await runBin(["generate", "2+2?", "--show-reasoning", ...R1, ...base], {
      env: R1_KEY,
    });
    expect(shown.code).toBe(0);
    expect(shown.stdout).toBe("4\n");
    expect(shown.stderr).toBe("> Let me think.\n> Two and two.\n");

    server.enqueue(reply);
    const hidden = await runBin(["generate", "2+2?", ...R1, ...base], { env: R1_KEY });
    expect(hidden.stdout).toBe("4\n");
    expect(hidden.stderr).toBe("");
  });

  it("answers a repeated request from the disk cache with --cache", async () => {
    const home = tempDir();
    const env = { ...KEY, REPHYSCO_CACHE_DIR: join(home, "cache") };
    server.enqueue({ text: "cached answer" });
    const first = await runBin(["generate", "same", "--cache", "--json", ...base], { env });
    const second = await runBin(["generate", "same", "--cache", "--json", ...base], { env });
    expect(first.code).toBe(0);
    expect(second.code).toBe(0);
    expect(JSON.parse(first.stdout)).toMatchObject({ content: "cached answer", cached: false });
    expect(JSON.parse(second.stdout)).toMatchObject({ content: "cached answer", cached: true });
    expect(server.requests).toHaveLength(1);
  });

  it("loads .env from the working directory, and the environment wins over it", async () => {
    const dir = tempDir();
    writeFileSync(join(dir, ".env"), "OPENAI_API_KEY=from-dotenv\n");
    const fromFile = await runBin(["generate", "hi", ...base], { cwd: dir });
    expect(fromFile.code).toBe(0);
    expect(server.requests[0]!.headers.authorization).toBe("Bearer from-dotenv");
    const fromEnv = await runBin(["generate", "hi", ...base], { cwd: dir, env: KEY });
    expect(fromEnv.code).toBe(0);
    expect(server.requests[1]!.headers.authorization).toBe("Bearer test-key");
  });

  it("never prints ANSI escapes when not on a terminal, with or without NO_COLOR", async () => {
    for (const env of [
      { ...KEY, ...R1_KEY },
      { ...KEY, ...R1_KEY, NO_COLOR: "1" },
    ]) {
      server.enqueue({ reasoning: "hmm", chunks: ["ok"] });
      const ok = await runBin(["generate", "hi", "--show-reasoning", ...R1, ...base], { env });
      expect(ok.stderr).toBe("> hmm\n");
      server.enqueue(vendorErrors.openai.invalidApiKey("test-key"));
      const failed = await runBin(["generate", "hi", ...base], { env });
      const usage = await runBin(["generate", "--bogus"], { env });
      for (const r of [ok, failed, usage]) {
        expect(r.stdout + r.stderr).not.toMatch(ANSI);
      }
      expect(failed.stderr).toMatch(/^error: /);
      expect(usage.stderr).toMatch(/^error: /);
    }
  });
});

describe("generate errors", () => {
  it("names the variable to set when the key is missing (exit 1, no stack)", async () => {
    const r = await runBin(["generate", "hi", ...base]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain("OPENAI_API_KEY");
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(server.requests).toHaveLength(0);
  });

  it("reports a rejected key in one line without echoing it (exit 1)", async () => {
    server.enqueue(vendorErrors.openai.invalidApiKey("sk-wrong-key-123456789"));
    const r = await runBin(["generate", "hi", ...base], {
      env: { OPENAI_API_KEY: "sk-wrong-key-123456789" },
    });
    expect(r.code).toBe(1);
    const lines = r.stderr.trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^error: .*401/);
    expect(lines[0]).toContain("OPENAI_API_KEY");
    expect(r.stderr).not.toContain("sk-wrong-key-123456789");
  });

  it("reports a server error in one line, with the stack only under --debug", async () => {
    server.enqueue(vendorErrors.openai.serverError(500));
    const plain = await runBin(["generate", "hi", "--retries", "0", ...base], { env: KEY });
    expect(plain.code).toBe(1);
    expect(plain.stderr.trim().split("\n")).toHaveLength(1);
    expect(plain.stderr).toMatch(/^error: .*500/);
    // The provider's request id, for a support ticket.
    expect(plain.stderr).toMatch(/request id req_\w+/);
    expect(server.requests).toHaveLength(1);

    server.enqueue(vendorErrors.openai.serverError(500));
    const debug = await runBin(["--debug", "generate", "hi", "--retries", "0", ...base], {
      env: KEY,
    });
    expect(debug.code).toBe(1);
    expect(debug.stderr).toMatch(/\n\s+at /);
  });

  it("retries a server error as often as --retries says", async () => {
    server.enqueue([vendorErrors.openai.serverError(503), { text: "recovered" }]);
    const r = await runBin(["generate", "hi", "--retries", "1", "--no-stream", ...base], {
      env: KEY,
    });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("recovered\n");
    expect(server.requests).toHaveLength(2);
  });

  it("keeps the text already streamed when the stream fails midway (exit 1)", async () => {
    server.enqueue({
      chunks: ["partial ", "answer", " never"],
      midStreamError: { afterChunks: 2 },
    });
    const r = await runBin(["generate", "hi", "--retries", "0", ...base], { env: KEY });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("partial answer\n");
    expect(r.stderr).toMatch(/^error: /);
  });

  it("gives up after --timeout milliseconds (exit 1)", async () => {
    server.enqueue({ text: "too late", delayMs: 5_000 });
    const r = await runBin(["generate", "hi", "--timeout", "200", "--retries", "0", ...base], {
      env: KEY,
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error: .*time/i);
  });

  it("--timeout bounds the whole call, retries included", async () => {
    // Every attempt is slow; with the default retries, a per-attempt timeout alone would let
    // the call go on for four attempts.
    server.enqueue(Array.from({ length: 6 }, () => ({ text: "too late", delayMs: 5_000 })));
    const r = await runBin(["generate", "hi", "--timeout", "300", ...base], { env: KEY });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    const lines = r.stderr.trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^error: .*--timeout \(300 ms\).*raise --timeout/);
    expect(lines[0]).not.toMatch(/cancel|abort/i);
    expect(server.requests.length).toBeLessThanOrEqual(2);
  });

  it("--timeout bounds the whole call without streaming too", async () => {
    server.enqueue(Array.from({ length: 6 }, () => ({ text: "too late", delayMs: 5_000 })));
    const r = await runBin(["generate", "hi", "--no-stream", "--timeout", "300", ...base], {
      env: KEY,
    });
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toMatch(/^error: .*--timeout \(300 ms\)/);
    expect(server.requests.length).toBeLessThanOrEqual(2);
  });

  it("reads --debug from the parsed options, not from any word on the command line", async () => {
    // `-s --debug` is a system prompt, and a word after `--` is part of the prompt.
    server.enqueue(vendorErrors.openai.serverError(500));
    const asValue = await runBin(["generate", "hi", "-s", "--debug", "--retries", "0", ...base], {
      env: KEY,
    });
    expect(asValue.code).toBe(1);
    expect(asValue.stderr.trim().split("\n")).toHaveLength(1);
    expect(body().messages[0]).toEqual({ role: "system", content: "--debug" });

    server.reset();
    server.enqueue(vendorErrors.openai.serverError(500));
    const asWord = await runBin(["generate", "--retries", "0", ...base, "--", "hi", "--debug"], {
      env: KEY,
    });
    expect(asWord.code).toBe(1);
    expect(asWord.stderr.trim().split("\n")).toHaveLength(1);
    expect(body().messages.at(-1)!.content).toBe("hi --debug");

    // After the command name it still turns debugging on.
    server.reset();
    server.enqueue(vendorErrors.openai.serverError(500));
    const after = await runBin(["generate", "hi", "--retries", "0", "--debug", ...base], {
      env: KEY,
    });
    expect(after.code).toBe(1);
    expect(after.stderr).toMatch(/\n\s+at /);
  });

  it("prints a parse error in one line even with --debug", async () => {
    const r = await runBin(["--debug", "generate", "hi", "-t", "warm", ...base], { env: KEY });
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(server.requests).toHaveLength(0);
  });

  it.each([
    ["an unknown option", ["generate", "hi", "--bogus"], /unknown option/],
    ["a bad temperature", ["generate", "hi", "-t", "warm"], /temperature/],
    ["a negative temperature", ["generate", "hi", "-t", "-1"], /temperature|argument/],
    ["zero max tokens", ["generate", "hi", "--max-tokens", "0"], /max-tokens/],
    ["a bad timeout", ["generate", "hi", "--timeout", "soon"], /timeout/],
    ["a bad retry count", ["generate", "hi", "--retries", "1.5"], /retries/],
    [
      "an unknown provider",
      ["generate", "hi", "-p", "nope"],
      /Unknown provider "nope".*rephysco providers/,
    ],
    ["a missing image file", ["generate", "hi", "--image", "/no/such/file.png"], /no such file/],
    ["an unknown command", ["generat", "hi"], /unknown command/],
  ])("exits with 2 on %s", async (_name, args, message) => {
    const r = await runBin([...args, ...base], { env: KEY });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(message);
    expect(server.requests).toHaveLength(0);
  });

  it("exits with 2 when an --image file is not an image", async () => {
    const file = join(tempDir(), "notes.txt");
    writeFileSync(file, "just text");
    const r = await runBin(["generate", "hi", "--image", file, ...base], { env: KEY });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error: .*notes\.txt.* not a recognised image/);
    expect(server.requests).toHaveLength(0);
  });

  it("exits with 2 when there is no prompt at all", async () => {
    const r = await runBin(["generate", ...base], { env: KEY, input: "  \n" });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error: Missing prompt/);
    expect(server.requests).toHaveLength(0);
  });

  it("reads the default provider from REPHYSCO_PROVIDER", async () => {
    const r = await runBin(["generate", "hi", ...base], {
      env: { ...KEY, REPHYSCO_PROVIDER: "nope" },
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('Unknown provider "nope"');
  });

  it("stops quietly when stdout is closed early (rephysco ... | head -1)", async () => {
    const child = spawn(process.execPath, [BIN, "generate", "hi", ...base], {
      cwd: tempDir(),
      env: { PATH: process.env.PATH ?? "", HOME: tempDir(), ...KEY },
    });
    // The reader goes away before the first chunk arrives, so writing it must fail with EPIPE;
    // the stream then stalls, so the CLI cannot end by finishing the answer instead.
    server.enqueue(() => {
      child.stdout.destroy();
      return { chunks: ["one ", "two"], stallAfterChunks: 1 };
    });
    let stderr = "";
    child.stderr.setEncoding("utf8").on("data", (d: string) => {
      stderr += d;
    });
    child.stdin.end();
    try {
      const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
      expect(stderr).toBe("");
      expect(code).toBe(0);
      // The CLI left while the stream was still open: it hung up on the server.
      await server.whenIdle();
      expect(server.requests).toHaveLength(1);
      expect(server.requests[0]!.aborted).toBe(true);
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill();
    }
  });

  it("exits with 0 for --help and --version", async () => {
    const help = await runBin(["generate", "--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("--no-stream");
    const version = await runBin(["--version"]);
    expect(version.code).toBe(0);
    expect(version.stdout).toMatch(/^\d+\.\d+\.\d+/);
  });
});

describe("generate --usage", () => {
  it("prints token counts and the cost on stderr, streamed or not, and keeps stdout clean", async () => {
    for (const stream of [[], ["--no-stream"]]) {
      server.reset();
      server.enqueue({
        text: "Four.",
        usage: { promptTokens: 1_000_000, completionTokens: 500_000 },
      });
      const r = await runBin(
        ["generate", "2+2?", "-m", "gpt-4o-mini", "--usage", ...stream, ...base],
        { env: KEY },
      );
      expect(r.code).toBe(0);
      expect(r.stdout).toBe("Four.\n");
      const lines = r.stderr.trimEnd().split("\n");
      expect(lines[0]).toBe("usage: 1,000,000 prompt + 500,000 completion = 1,500,000 tokens");
      // gpt-4o-mini in @rephysco/openai's sheet: $0.15 input, $0.60 output per million tokens.
      expect(lines[1]).toBe("cost $0.4500 (input $0.1500, output $0.3000)");
    }
  });

  it("says why the cost is unknown for a model without a price", async () => {
    server.enqueue({ text: "ok", usage: { promptTokens: 10, completionTokens: 2 } });
    const r = await runBin(
      ["generate", "hi", "-m", "my-finetune-xyz", "--usage", "--no-stream", ...base],
      { env: KEY },
    );
    expect(r.code).toBe(0);
    expect(r.stderr).toContain("usage: 10 prompt + 2 completion = 12 tokens");
    expect(r.stderr).toContain(
      "cost unknown: no price for openai/my-finetune-xyz (add one with the client's prices option)",
    );
  });

  it("puts cost in --json output", async () => {
    server.enqueue({ text: "ok", usage: { promptTokens: 1_000, completionTokens: 1_000 } });
    const r = await runBin(["generate", "hi", "-m", "gpt-4o-mini", "--json", ...base], {
      env: KEY,
    });
    expect(r.code).toBe(0);
    const json = JSON.parse(r.stdout) as { cost?: { total: number; currency: string } };
    expect(json.cost).toMatchObject({ currency: "USD" });
    expect(json.cost!.total).toBeGreaterThan(0);
  });
});
