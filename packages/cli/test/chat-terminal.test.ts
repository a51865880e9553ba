import { PassThrough } from "node:stream";
import { createMockServer, type MockServer } from "@rephysco/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ExitCode, runCli } from "../src/index.js";
import { ANSI } from "./run-bin.js";

let server: MockServer;
const savedKey = process.env.OPENAI_API_KEY;

beforeAll(async () => {
  server = await createMockServer();
  process.env.OPENAI_API_KEY = "test-key";
});
afterAll(async () => {
  await server.close();
  if (savedKey === undefined) delete process.env.OPENAI_API_KEY;
  else process.env.OPENAI_API_KEY = savedKey;
});

function capture(): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough();
  let text = "";
  stream.setEncoding("utf8").on("data", (d: string) => {
    text += d;
  });
  return { stream, text: () => text };
}

describe("chat typed on a terminal with stdout redirected (rephysco chat > transcript.txt)", () => {
  it("keeps prompts, echo and cursor moves on stderr and the answers on stdout", async () => {
    server.enqueue([{ chunks: ["Hello ", "Ada."] }, { text: "Bye." }]);
    // A terminal on stdin (readline echoes and prompts), a file on stdout.
    const stdin = Object.assign(new PassThrough(), { isTTY: true });
    const out = capture();
    const err = capture();
    const run = runCli(["chat", "--base-url", `${server.url}/v1`], {
      stdin,
      stdout: out.stream,
      stderr: err.stream,
      cwd: false,
    });
    stdin.write("I am Ada\n");
    stdin.end("bye now\n");
    expect(await run).toBe(ExitCode.OK);
    expect(server.requests).toHaveLength(2);
    expect(out.text()).toBe("Hello Ada.\nBye.\n");
    expect(out.text()).not.toMatch(ANSI);
    expect(err.text()).toContain("you> ");
    expect(err.text()).toContain("I am Ada");
  });
});
