import { spawn } from "node:child_process";
import { mkdirSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type MockServer, vendorErrors } from "@rephysco/testing";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { BIN, PNG_1X1, runBin, tempDir, useMockServer, type WireBody } from "./run-bin.js";

let server: MockServer;
let base: string[];
const KEY = "sk-test-logs-0123456789";

useMockServer((started) => {
  server = started;
  base = ["--base-url", `${server.url}/v1`];
});

/** A fresh data and config directory: one user's machine. */
function user(): Record<string, string> {
  const dir = tempDir("rephysco-user-");
  return {
    OPENAI_API_KEY: KEY,
    REPHYSCO_DATA_DIR: join(dir, "data"),
    REPHYSCO_CONFIG_DIR: join(dir, "config"),
  };
}

interface JsonEntry {
  id: string;
  conversationId: string;
  createdAt: string;
  provider: string;
  model: string;
  prompt: string;
  system?: string;
  response?: string;
  object?: unknown;
  usage?: { promptTokens: number; completionTokens: number; totalTokens: number };
  costUsd?: number;
  cached: boolean;
  durationMs: number;
  options?: Record<string, unknown>;
  error?: { name: string; message: string; status?: number; code?: string; requestId?: string };
  attachments?: { type: string; source: string }[];
}

async function entries(env: Record<string, string>, ...args: string[]): Promise<JsonEntry[]> {
  const r = await runBin(["logs", "--json", ...args], { env });
  expect(r.stderr).toBe("");
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout) as JsonEntry[];
}

function body(i: number): WireBody {
  return server.requests[i]!.body as WireBody;
}

describe("logging every call", () => {
  it("records the prompt, answer, model, options, usage, cost and duration in a private database", async () => {
    const env = user();
    server.enqueue({
      chunks: ["Paris", "."],
      usage: { promptTokens: 12, completionTokens: 2 },
    });
    const r = await runBin(
      [
        "generate",
        "Capital of France?",
        "-m",
        "gpt-4o-mini",
        "-s",
        "Be terse.",
        "-t",
        "0.3",
        ...base,
      ],
      { env },
    );
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("Paris.\n");
    const [entry, ...rest] = await entries(env);
    expect(rest).toEqual([]);
    expect(entry).toMatchObject({
      provider: "openai",
      model: "gpt-4o-mini",
      prompt: "Capital of France?",
      system: "Be terse.",
      response: "Paris.",
      options: { temperature: 0.3 },
      usage: { promptTokens: 12, completionTokens: 2, totalTokens: 14 },
      cached: false,
    });
    expect(entry!.costUsd).toBeGreaterThan(0);
    expect(entry!.durationMs).toBeGreaterThanOrEqual(0);
    expect(entry!.conversationId).toMatch(/^[0-9A-Z]{26}$/);
    expect(Date.parse(entry!.createdAt)).not.toBeNaN();
    const db = join(env.REPHYSCO_DATA_DIR!, "logs.db");
    expect(statSync(db).mode & 0o777).toBe(0o600);
    expect(statSync(env.REPHYSCO_DATA_DIR!).mode & 0o777).toBe(0o700);
  });

  it("prints the latest entries as text, oldest of them first", async () => {
    const env = user();
    for (const word of ["one", "two", "three", "four"]) {
      server.enqueue({ text: `answer ${word}` });
      expect((await runBin(["generate", `prompt ${word}`, ...base], { env })).code).toBe(0);
    }
    const r = await runBin(["logs"], { env });
    expect(r.code).toBe(0);
    // The default is the latest three.
    expect(r.stdout).not.toContain("prompt one");
    const two = r.stdout.indexOf("prompt two");
    const four = r.stdout.indexOf("prompt four");
    expect(two).toBeGreaterThan(-1);
    expect(four).toBeGreaterThan(two);
    expect(r.stdout).toContain("## Response\n\nanswer four");
    expect((await runBin(["logs", "-n", "1"], { env })).stdout).not.toContain("prompt three");
    expect((await entries(env, "-n", "0")).map((e) => e.prompt)).toEqual([
      "prompt one",
      "prompt two",
      "prompt three",
      "prompt four",
    ]);
    const last = await runBin(["logs", "-r"], { env });
    expect(last.stdout).toBe("answer four\n");
  });

  it("filters by model, provider, full-text search, conversation and time", async () => {
    const env = user();
    server.enqueue([{ text: "The ocean is vast." }, { text: "Mountains are tall." }]);
    await runBin(["generate", "tell me about the sea", "-m", "model-a", ...base], { env });
    await runBin(["generate", "and peaks?", "-m", "model-b", ...base], { env });
    expect((await entries(env, "--model", "model-a")).map((e) => e.prompt)).toEqual([
      "tell me about the sea",
    ]);
    expect((await entries(env, "--provider", "openai")).length).toBe(2);
    expect(await entries(env, "--provider", "gemini")).toEqual([]);
    // Words in answers and prompts; FTS syntax in the query is taken literally.
    expect((await entries(env, "-q", "ocean")).map((e) => e.model)).toEqual(["model-a"]);
    expect((await entries(env, "-q", "peaks")).map((e) => e.model)).toEqual(["model-b"]);
    expect(await entries(env, "-q", 'tall "NEAR(')).toEqual([]);
    expect(await entries(env, "-q", "ocean tall")).toEqual([]);
    const all = await entries(env, "-n", "0");
    const cid = all[1]!.conversationId;
    expect(all[0]!.conversationId).not.toBe(cid);
    expect((await entries(env, "--conversation", cid.slice(0, 20))).map((e) => e.model)).toEqual([
      "model-b",
    ]);
    expect((await entries(env, "--since", "1h")).length).toBe(2);
    expect(await entries(env, "--since", "2999-01-01")).toEqual([]);
    const bad = await runBin(["logs", "--since", "yesterday"], { env });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--since expects an ISO date/);
  });

  it("records nothing with --no-log, or after `logs off` until `logs on`", async () => {
    const env = user();
    server.enqueue([{ text: "a" }, { text: "b" }, { text: "c" }]);
    expect((await runBin(["generate", "secret plan", "--no-log", ...base], { env })).stdout).toBe(
      "a\n",
    );
    expect(await entries(env)).toEqual([]);
    expect((await runBin(["logs", "off"], { env })).stdout).toBe("Logging is off.\n");
    expect((await runBin(["logs", "status"], { env })).stdout).toContain("Logging is off.");
    await runBin(["generate", "private", ...base], { env });
    expect(await entries(env)).toEqual([]);
    expect((await runBin(["logs", "on"], { env })).stdout).toBe("Logging is on.\n");
    await runBin(["generate", "public", ...base], { env });
    expect((await entries(env)).map((e) => e.prompt)).toEqual(["public"]);
    const status = await runBin(["logs", "status"], { env });
    expect(status.stdout).toContain("Logging is on.");
    expect(status.stdout).toContain("1 responses in 1 conversations");
    const path = await runBin(["logs", "path"], { env });
    expect(path.stdout).toBe(`${join(env.REPHYSCO_DATA_DIR!, "logs.db")}\n`);
  });

  it("records a failure with the provider's status, code and request id, and no key", async () => {
    const env = user();
    server.enqueue(vendorErrors.openai.invalidApiKey(KEY));
    const r = await runBin(["generate", "hi", "--retries", "0", ...base], { env });
    expect(r.code).toBe(1);
    const [entry] = await entries(env);
    expect(entry!.error).toMatchObject({
      name: "AuthenticationError",
      status: 401,
      code: "invalid_api_key",
    });
    expect(entry!.response).toBeUndefined();
    const raw = await runBin(["logs", "--json"], { env });
    expect(raw.stdout).not.toContain(KEY);
  });

  it("keeps what a stream delivered before it failed, with the error", async () => {
    const env = user();
    server.enqueue({ chunks: ["Once ", "upon ", "a time"], midStreamError: { afterChunks: 2 } });
    const r = await runBin(["generate", "story", "--retries", "0", ...base], { env });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("Once upon \n");
    const [entry] = await entries(env);
    expect(entry!.response).toBe("Once upon ");
    expect(entry!.error?.name).toBeDefined();
    // A failed turn is not history: continuing sends only later, completed turns.
    server.enqueue({ text: "fresh" });
    await runBin(["generate", "-c", "again", ...base], { env });
    expect(body(1).messages.map((m) => m.content)).toEqual(["again"]);
  });

  it("records attachments by name and kind, never their bytes", async () => {
    const env = user();
    const dir = tempDir();
    writeFileSync(join(dir, "notes.txt"), "Meeting at 10.\n");
    writeFileSync(join(dir, "dot.png"), PNG_1X1);
    server.enqueue({ text: "At 10." });
    const r = await runBin(
      ["generate", "When?", "-a", join(dir, "notes.txt"), "-a", join(dir, "dot.png"), ...base],
      { env },
    );
    expect(r.code).toBe(0);
    const [entry] = await entries(env);
    expect(entry!.attachments).toEqual([
      { type: "text", source: join(dir, "notes.txt") },
      { type: "image", source: join(dir, "dot.png") },
    ]);
    expect(entry!.prompt).toBe(
      `<file name="${join(dir, "notes.txt")}">\nMeeting at 10.\n</file>\n\nWhen?`,
    );
    // Continuing says the image is not sent again, and sends the text that was inlined.
    server.enqueue({ text: "Yes." });
    const next = await runBin(["generate", "-c", "Sure?", ...base], { env });
    expect(next.stderr).toContain("images of earlier turns are not sent again");
    expect(body(1).messages[0]!.content).toBe(entry!.prompt);
  });

  it("stops on Ctrl+C with exit 130, printing and logging what arrived", async () => {
    const env = user();
    server.enqueue({ chunks: ["First part. ", "never sent"], chunkDelayMs: 30_000 });
    const child = spawn(process.execPath, [BIN, "generate", "go", ...base], {
      env: { PATH: process.env.PATH ?? "", HOME: tempDir("rephysco-home-"), ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    let interrupted = false;
    child.stderr.setEncoding("utf8").on("data", (d: string) => {
      stderr += d;
    });
    const code = await new Promise<number | null>((resolve, reject) => {
      child.stdout.setEncoding("utf8").on("data", (d: string) => {
        stdout += d;
        // Once: a second Ctrl+C ends the process at once, as shells expect.
        if (stdout.includes("First part.") && !interrupted) {
          interrupted = true;
          child.kill("SIGINT");
        }
      });
      child.on("error", reject);
      child.on("close", resolve);
    });
    expect(code).toBe(130);
    expect(stdout).toBe("First part. \n");
    expect(stderr).toContain("(cancelled)");
    const [entry] = await entries(env);
    expect(entry!.response).toBe("First part. ");
    expect(entry!.error?.name).toBe("AbortError");
  });

  it("keeps URLs and Bearer text in prompts and answers as they were, and sends them back unchanged", async () => {
    const env = user();
    const prompt = "see https://example.com/search?q=hello&page=2 with Bearer abcdefghijkl";
    server.enqueue([{ text: `ok: ${prompt}` }, { text: "again" }]);
    await runBin(["generate", prompt, ...base], { env });
    const [entry] = await entries(env);
    expect(entry!.prompt).toBe(prompt);
    expect(entry!.response).toBe(`ok: ${prompt}`);
    await runBin(["generate", "-c", "more", ...base], { env });
    expect(body(1).messages.map((m) => m.content)).toEqual([prompt, `ok: ${prompt}`, "more"]);
  });

  it("keeps the database's -wal and -shm files private too", async () => {
    const env = user();
    server.enqueue({ text: "x" });
    await runBin(["generate", "hi", ...base], { env });
    // A reader holds the WAL open while we look at the files.
    const db = new Database(join(env.REPHYSCO_DATA_DIR!, "logs.db"));
    db.prepare("SELECT count(*) FROM responses").get();
    for (const suffix of ["", "-wal", "-shm"]) {
      expect(statSync(join(env.REPHYSCO_DATA_DIR!, `logs.db${suffix}`)).mode & 0o777).toBe(0o600);
    }
    db.close();
  });

  it("filters --model as -m takes it (alias, provider/model), --since with zones, and refuses bad dates", async () => {
    const env = user();
    mkdirSync(env.REPHYSCO_CONFIG_DIR!, { recursive: true });
    writeFileSync(
      join(env.REPHYSCO_CONFIG_DIR!, "settings.json"),
      JSON.stringify({ aliases: { fast: "openai/gpt-4.1-mini" } }),
    );
    server.enqueue([{ text: "a" }, { text: "b" }]);
    await runBin(["generate", "one", "-m", "gpt-4.1-mini", ...base], { env });
    await runBin(["generate", "two", "-m", "gpt-4o", ...base], { env });
    expect((await entries(env, "-m", "fast")).map((e) => e.prompt)).toEqual(["one"]);
    expect((await entries(env, "-m", "openai/gpt-4o")).map((e) => e.prompt)).toEqual(["two"]);
    expect(await entries(env, "-m", "xai/gpt-4o")).toEqual([]);
    const created = Date.parse((await entries(env, "-n", "1"))[0]!.createdAt);
    const hour = new Date(created - 3_600_000).toISOString().slice(0, 16);
    expect((await entries(env, "--since", hour)).length).toBe(2);
    expect((await entries(env, "--since", `${hour}+02:00`)).length).toBe(2);
    expect(await entries(env, "--since", `${hour}-02:00`)).toEqual([]);
    for (const bad of ["2026-02-31", "99999999999d", "2026-11-30T25:00"]) {
      const r = await runBin(["logs", "--since", bad], { env });
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/--since expects/);
    }
    expect((await entries(env, "--since", "999999999d")).length).toBe(2);
  });

  it("matches conversation ids by prefix literally, and refuses an empty id", async () => {
    const env = user();
    server.enqueue({ text: "x" });
    await runBin(["generate", "hi", ...base], { env });
    for (const id of ["%", "_", ""]) {
      const r = await runBin(["logs", "--cid", id], { env });
      expect(r.code).toBe(2);
      const c = await runBin(["generate", "--cid", id, "more", ...base], { env });
      expect(c.code).toBe(2);
    }
    expect(server.requests).toHaveLength(1);
  });

  it("-r of a failed call shows what arrived and exits 1", async () => {
    const env = user();
    server.enqueue(vendorErrors.openai.serverError(500));
    await runBin(["generate", "hi", "--retries", "0", ...base], { env });
    const r = await runBin(["logs", "-r"], { env });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/that call failed/);
  });

  it("never stores a key, even one quoted in a prompt", async () => {
    const env = user();
    server.enqueue({ text: `you said ${KEY}` });
    await runBin(["generate", `my key is ${KEY}`, ...base], { env });
    const dump = await runBin(["logs", "--json"], { env });
    expect(dump.stdout).toContain("[REDACTED]");
    expect(dump.stdout).not.toContain(KEY);
    const db = new Database(join(env.REPHYSCO_DATA_DIR!, "logs.db"), { readonly: true });
    const rows = JSON.stringify(db.prepare("SELECT * FROM responses").all());
    db.close();
    expect(rows).not.toContain(KEY);
  });

  it("logs the object of a --schema call and its cost", async () => {
    const env = user();
    const schema = JSON.stringify({
      type: "object",
      properties: { city: { type: "string" } },
      required: ["city"],
    });
    server.enqueue({ text: '{"city":"Paris"}', usage: { promptTokens: 30, completionTokens: 5 } });
    const r = await runBin(["generate", "Where?", "--schema", schema, "--no-stream", ...base], {
      env,
    });
    expect(r.code).toBe(0);
    const [entry] = await entries(env);
    expect(entry!.object).toEqual({ city: "Paris" });
    expect(entry!.costUsd).toBeGreaterThan(0);
    expect((await runBin(["logs", "-r"], { env })).stdout).toBe('{\n  "city": "Paris"\n}\n');
  });

  it("lets two processes write at once (WAL)", async () => {
    const env = user();
    server.enqueue(Array.from({ length: 6 }, (_, i) => ({ text: `answer ${i}` })));
    const run = (i: number) =>
      new Promise<number | null>((resolve, reject) => {
        const child = spawn(process.execPath, [BIN, "generate", `prompt ${i}`, ...base], {
          env: { PATH: process.env.PATH ?? "", HOME: tempDir("rephysco-home-"), ...env },
          stdio: ["ignore", "ignore", "inherit"],
        });
        child.on("error", reject);
        child.on("close", resolve);
      });
    expect(await Promise.all([0, 1, 2, 3, 4, 5].map(run))).toEqual([0, 0, 0, 0, 0, 0]);
    expect((await entries(env, "-n", "0")).map((e) => e.prompt).sort()).toEqual(
      [0, 1, 2, 3, 4, 5].map((i) => `prompt ${i}`),
    );
  });

  it("still answers when the log cannot be opened, and says why", async () => {
    const env = user();
    const newer = join(env.REPHYSCO_DATA_DIR!, "logs.db");
    await runBin(["logs", "status"], { env });
    // A database from a newer rephysco (a schema version this one does not know).
    mkdirSync(env.REPHYSCO_DATA_DIR!, { recursive: true });
    const db = new Database(newer);
    db.pragma("user_version = 99");
    db.close();
    server.enqueue({ text: "still here" });
    const r = await runBin(["generate", "hi", ...base], { env });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("still here\n");
    expect(r.stderr).toMatch(/warning: could not open the log .*newer than this rephysco knows/);
  });

  it("refuses bad logs options with a usage error", async () => {
    const env = user();
    const both = await runBin(["logs", "--cid", "x", "--conversation", "y"], { env });
    expect(both.code).toBe(2);
    server.enqueue({ text: "ok" });
    await runBin(["generate", "x", ...base], { env });
    const missing = await runBin(["logs", "--conversation", "NOPE"], { env });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/No conversation "NOPE"/);
  });
});

describe("continuing a conversation", () => {
  it("-c sends the latest conversation's turns and records into it", async () => {
    const env = user();
    server.enqueue([{ text: "Hello Ada." }, { text: "Your name is Ada." }]);
    await runBin(["generate", "I am Ada", "-s", "Be kind.", "-m", "gpt-4o", ...base], { env });
    const r = await runBin(["generate", "-c", "What is my name?", ...base], { env });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("Your name is Ada.\n");
    // The conversation's model and system prompt carry over.
    expect(body(1).model).toBe("gpt-4o");
    expect(body(1).messages).toEqual([
      { role: "system", content: "Be kind." },
      { role: "user", content: "I am Ada" },
      { role: "assistant", content: "Hello Ada." },
      { role: "user", content: "What is my name?" },
    ]);
    const [first, second] = await entries(env, "-n", "0");
    expect(second!.conversationId).toBe(first!.conversationId);
    expect(second!.model).toBe("gpt-4o");
  });

  it("--cid picks a conversation by id or unique prefix; -m still wins", async () => {
    const env = user();
    server.enqueue([{ text: "A1" }, { text: "B1" }, { text: "A2" }]);
    await runBin(["generate", "first A", ...base], { env });
    await runBin(["generate", "first B", ...base], { env });
    const [a] = await entries(env, "-n", "0");
    const r = await runBin(
      ["generate", "--cid", a!.conversationId.slice(0, 24), "-m", "gpt-4.1", "second A", ...base],
      { env },
    );
    expect(r.code).toBe(0);
    expect(body(2).model).toBe("gpt-4.1");
    expect(body(2).messages.map((m) => m.content)).toEqual(["first A", "A1", "second A"]);
  });

  it("leaves failed turns out of the history", async () => {
    const env = user();
    server.enqueue([{ text: "ok 1" }, vendorErrors.openai.serverError(500), { text: "ok 2" }]);
    await runBin(["generate", "turn 1", ...base], { env });
    await runBin(["generate", "-c", "turn 2", "--retries", "0", ...base], { env });
    await runBin(["generate", "-c", "turn 3", ...base], { env });
    expect(body(2).messages.map((m) => m.content)).toEqual(["turn 1", "ok 1", "turn 3"]);
  });

  it("says what is wrong when there is nothing to continue", async () => {
    const env = user();
    const empty = await runBin(["generate", "-c", "hi", ...base], { env });
    expect(empty.code).toBe(2);
    expect(empty.stderr).toMatch(/no conversation to continue/i);
    const both = await runBin(["generate", "-c", "--cid", "X", "hi", ...base], { env });
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/not both/);
    expect(server.requests).toHaveLength(0);
  });

  it("--schema and --usage work on a continued conversation, the log keeping the object and cost", async () => {
    const env = user();
    const schema = JSON.stringify({
      type: "object",
      properties: { name: { type: "string" } },
      required: ["name"],
    });
    server.enqueue([
      { text: "Hello Ada.", usage: { promptTokens: 5, completionTokens: 3 } },
      { chunks: ['{"name":', '"Ada"}'], usage: { promptTokens: 20, completionTokens: 6 } },
    ]);
    await runBin(["generate", "I am Ada", ...base], { env });
    const r = await runBin(["generate", "-c", "My name?", "--schema", schema, "--usage", ...base], {
      env,
    });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ name: "Ada" });
    expect(r.stderr).toMatch(/usage: 20 prompt \+ 6 completion = 26 tokens/);
    expect(r.stderr).toMatch(/cost \$/);
    expect(
      body(1)
        .messages.map((m) => m.content)
        .slice(0, 2),
    ).toEqual(["I am Ada", "Hello Ada."]);
    const [, second] = await entries(env, "-n", "0");
    expect(second!.object).toEqual({ name: "Ada" });
    expect(second!.usage?.totalTokens).toBe(26);
    expect(second!.costUsd).toBeGreaterThan(0);
  });

  it("chat's clear starts a new conversation, so -c never brings cleared turns back", async () => {
    const env = user();
    server.enqueue([{ text: "A" }, { text: "B" }, { text: "C" }]);
    await runBin(["chat", ...base], { env, input: "secret topic\nclear\nnew topic\n" });
    await runBin(["generate", "-c", "what now?", ...base], { env });
    expect(body(2).messages.map((m) => m.content)).toEqual(["new topic", "B", "what now?"]);
  });

  it("chat -c resumes a conversation with its history and logs each turn", async () => {
    const env = user();
    server.enqueue([{ text: "Noted, blue." }, { text: "Blue." }, { text: "Still blue." }]);
    await runBin(["generate", "My colour is blue", ...base], { env });
    const r = await runBin(["chat", "-c", ...base], { env, input: "Which colour?\nAgain?\n" });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("Blue.\nStill blue.\n");
    expect(body(2).messages.map((m) => m.content)).toEqual([
      "My colour is blue",
      "Noted, blue.",
      "Which colour?",
      "Blue.",
      "Again?",
    ]);
    const all = await entries(env, "-n", "0");
    expect(all.map((e) => e.prompt)).toEqual(["My colour is blue", "Which colour?", "Again?"]);
    expect(new Set(all.map((e) => e.conversationId)).size).toBe(1);
  });
});
