import { PassThrough } from "node:stream";
import { hasProvider } from "@rephysco/core";
import { describe, expect, it } from "vitest";
import { ExitCode, runCli } from "../src/index.js";

function capture(): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough();
  let text = "";
  stream.setEncoding("utf8").on("data", (d: string) => {
    text += d;
  });
  return { stream, text: () => text };
}

describe("runCli (in process)", () => {
  it("registers the providers when run, not when imported, and returns exit codes", async () => {
    expect(hasProvider("openai")).toBe(false);
    const out = capture();
    const err = capture();
    const code = await runCli(["providers"], {
      stdout: out.stream,
      stderr: err.stream,
      cwd: false,
    });
    expect(code).toBe(ExitCode.OK);
    expect(hasProvider("openai")).toBe(true);
    expect(out.text()).toMatch(/^PROVIDER/);

    const usage = await runCli(["generate", "hi", "--bogus"], {
      stdout: out.stream,
      stderr: err.stream,
      cwd: false,
    });
    expect(usage).toBe(ExitCode.USAGE_ERROR);
    expect(err.text()).toContain("unknown option '--bogus'");
  });
});
