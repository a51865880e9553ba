import { ConfigurationError } from "@rephysco/core";
import type { MockServer } from "@rephysco/testing";
import { describe, expect, it } from "vitest";
import { formatError } from "../src/format-error.js";
import { runBin, useMockServer } from "./run-bin.js";

let server: MockServer;
let base: string[];
const KEY = { OPENAI_API_KEY: "test-key" };

useMockServer((started) => {
  server = started;
  base = ["--base-url", `${server.url}/v1`, "--retries", "0"];
});

describe("number flags", () => {
  // Node's timers hold a signed 32-bit count: a longer delay used to fire after about 1 ms.
  it.each([
    ["generate", "3000000000"],
    ["generate", "2147483648"],
    ["generate", "99999999999999999999999"],
    ["chat", "3000000000"],
  ])("%s refuses --timeout %s with exit 2, naming the maximum", async (command, value) => {
    const args = command === "chat" ? ["chat"] : ["generate", "hi"];
    const r = await runBin([...args, "--timeout", value, ...base], { env: KEY, input: "hi\n" });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    const lines = r.stderr.trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^error: .*--timeout.*from 1 to 2147483647/);
    expect(r.stderr).not.toContain("TimeoutOverflowWarning");
    expect(server.requests).toHaveLength(0);
  });

  it("accepts the largest timeout Node can wait", async () => {
    server.enqueue({ text: "in time" });
    const r = await runBin(["generate", "hi", "--no-stream", "--timeout", "2147483647", ...base], {
      env: KEY,
    });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("in time\n");
    expect(r.stderr).toBe("");
  });

  it.each([
    ["--max-tokens", /max-tokens.*whole number >= 1/],
    ["--retries", /retries.*whole number >= 0/],
  ])("%s refuses a number past 2^53 rather than rounding it", async (flag, message) => {
    const r = await runBin(["generate", "hi", flag, "99999999999999999999", ...base], { env: KEY });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(server.requests).toHaveLength(0);
  });

  it("exits 2 on a configuration error from core", () => {
    const error = new ConfigurationError("timeoutMs must be at most 2147483647 ms.", {
      provider: "client",
      reason: "invalid_option",
    });
    const formatted = formatError(error);
    expect(formatted.exitCode).toBe(2);
    expect(formatted.message).toMatch(/^timeoutMs must be at most 2147483647 ms/);
  });
});
