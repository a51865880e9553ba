import { type MockServer, vendorErrors } from "@rephysco/testing";
import { describe, expect, it } from "vitest";
import { ANSI, runBin, useMockServer, type WireBody } from "./run-bin.js";

let server: MockServer;
let base: string[];
const env = { OPENAI_API_KEY: "test-key" };

useMockServer((started) => {
  server = started;
  base = ["--base-url", `${server.url}/v1`];
});

function messages(i: number): WireBody["messages"] {
  return (server.requests[i]!.body as WireBody).messages;
}

describe("chat with piped stdin", () => {
  it("keeps the conversation: the second request carries the first turn", async () => {
    server.enqueue([{ chunks: ["Nice to ", "meet you, Ada."] }, { text: "Your name is Ada." }]);
    const r = await runBin(["chat", ...base], {
      env,
      input: "My name is Ada.\nWhat is my name?\n",
    });
    expect(r.code).toBe(0);
    // No prompts, banner or spinner off a terminal: stdout holds the answers only.
    expect(r.stdout).toBe("Nice to meet you, Ada.\nYour name is Ada.\n");
    expect(r.stdout + r.stderr).not.toMatch(ANSI);
    expect(server.requests).toHaveLength(2);
    expect(messages(0)).toEqual([{ role: "user", content: "My name is Ada." }]);
    expect(messages(1)).toEqual([
      { role: "user", content: "My name is Ada." },
      { role: "assistant", content: "Nice to meet you, Ada." },
      { role: "user", content: "What is my name?" },
    ]);
  });

  it("works without streaming too", async () => {
    server.enqueue([{ text: "one" }, { text: "two" }]);
    const r = await runBin(["chat", "--no-stream", ...base], { env, input: "first\nsecond\n" });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("one\ntwo\n");
    expect(server.requests.map((q) => (q.body as WireBody).stream === true)).toEqual([
      false,
      false,
    ]);
    expect(messages(1)).toHaveLength(3);
  });

  it("understands system:, temp:, clear and exit", async () => {
    const input = [
      "system: Answer in French.",
      "temp: 0.3",
      "Hello",
      "clear",
      "Again",
      "exit",
      "never sent",
      "",
    ].join("\n");
    const r = await runBin(["chat", "-s", "Be brief.", ...base], { env, input });
    expect(r.code).toBe(0);
    expect(server.requests).toHaveLength(2);
    const first = server.requests[0]!.body as WireBody;
    expect(first.temperature).toBe(0.3);
    expect(first.messages).toEqual([
      { role: "system", content: "Answer in French." },
      { role: "user", content: "Hello" },
    ]);
    // `clear` forgets the turns but keeps the system prompt.
    expect(messages(1)).toEqual([
      { role: "system", content: "Answer in French." },
      { role: "user", content: "Again" },
    ]);
    expect(r.stderr).toContain("History cleared.");
  });

  it("sends the -s system prompt and ignores blank lines", async () => {
    const r = await runBin(["chat", "-s", "Be brief.", ...base], { env, input: "\n  \nhi\n" });
    expect(r.code).toBe(0);
    expect(server.requests).toHaveLength(1);
    expect(messages(0)).toEqual([
      { role: "system", content: "Be brief." },
      { role: "user", content: "hi" },
    ]);
  });

  it("stops at the first provider error with exit 1, sending nothing after it", async () => {
    server.enqueue([{ text: "fine" }, vendorErrors.openai.invalidApiKey("test-key")]);
    const r = await runBin(["chat", ...base], { env, input: "one\ntwo\nthree\n" });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("fine\n");
    expect(r.stderr).toMatch(/^error: .*401/m);
    expect(server.requests).toHaveLength(2);
  });

  it("stops with exit 2 on a bad temp: value", async () => {
    const r = await runBin(["chat", ...base], { env, input: "temp: hot\nhi\n" });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("temp:");
    expect(server.requests).toHaveLength(0);
  });

  it("fails before reading input when the key is missing", async () => {
    const r = await runBin(["chat", ...base], { input: "hi\n" });
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toMatch(/^error: .*OPENAI_API_KEY/);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(server.requests).toHaveLength(0);
  });

  it("puts only the answers on stdout: no prompt, no echo, no escapes", async () => {
    server.enqueue([{ chunks: ["first ", "answer"] }, { text: "second answer" }]);
    const r = await runBin(["chat", ...base], { env, input: "one\ntwo\n" });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("first answer\nsecond answer\n");
    expect(r.stdout + r.stderr).not.toContain("you>");
    expect(r.stdout).not.toMatch(ANSI);
  });

  it("bounds each turn by --timeout, retries included, and reports a timeout (exit 1)", async () => {
    server.enqueue(Array.from({ length: 6 }, () => ({ text: "too late", delayMs: 5_000 })));
    const r = await runBin(["chat", "--timeout", "300", ...base], { env, input: "hi\nnext\n" });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    const lines = r.stderr.trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^error: .*--timeout \(300 ms\)/);
    expect(r.stderr).not.toContain("cancelled");
    // The first turn ended the run; "next" was never sent.
    expect(server.requests.length).toBeLessThanOrEqual(2);
    for (const q of server.requests) {
      expect((q.body as WireBody).messages).toEqual([{ role: "user", content: "hi" }]);
    }
  });

  it("ends cleanly on end of input with nothing typed", async () => {
    const r = await runBin(["chat", ...base], { env, input: "" });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("");
    expect(server.requests).toHaveLength(0);
  });
});
