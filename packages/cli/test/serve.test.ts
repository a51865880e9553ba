// `rephysco serve`: the real binary, spawned, listening on a free port; requests over real sockets
// to the gateway, whose upstream is the mock server.
import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createMockServer, type MockServer } from "@rephysco/testing";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { BIN, removeTempDirs, runBin, tempDir } from "./run-bin.js";

let mock: MockServer;
beforeAll(async () => {
  mock = await createMockServer();
});
afterAll(async () => {
  await mock.close();
  removeTempDirs();
});
beforeEach(() => mock.reset());

/** A running `rephysco serve`. */
interface Serving {
  readonly child: ChildProcessWithoutNullStreams;
  /** The URL it printed on stderr. */
  readonly url: string;
  /** Everything written to stderr so far. */
  stderr(): string;
  /** Everything written to stdout so far (the JSON log). */
  stdout(): string;
  /** Resolves with the exit code (or the signal that killed it). */
  readonly exited: Promise<number | string | null>;
}

const running = new Set<ChildProcessWithoutNullStreams>();
afterEach(() => {
  // A test that failed before stopping its server must not leave it running.
  for (const child of running) child.kill("SIGKILL");
  running.clear();
});

function cleanEnv(extra: Record<string, string> = {}): Record<string, string> {
  const home = tempDir("rephysco-home-");
  return {
    PATH: process.env.PATH ?? "",
    HOME: home,
    REPHYSCO_CACHE_DIR: join(home, "cache"),
    ...extra,
  };
}

/** Spawns `rephysco serve ...args` and resolves once it prints the URL it listens on. */
function serve(args: readonly string[], env: Record<string, string> = {}): Promise<Serving> {
  const child = spawn(process.execPath, [BIN, "serve", ...args], {
    cwd: tempDir(),
    env: cleanEnv(env),
    stdio: ["pipe", "pipe", "pipe"],
  });
  running.add(child);
  let stderr = "";
  let stdout = "";
  child.stdout.setEncoding("utf8").on("data", (d: string) => {
    stdout += d;
  });
  const exited = new Promise<number | string | null>((resolve) => {
    child.on("close", (code, signal) => {
      running.delete(child);
      resolve(code ?? signal);
    });
  });
  return new Promise((resolve, reject) => {
    child.stderr.setEncoding("utf8").on("data", (d: string) => {
      stderr += d;
      const match = /listening on (http:\/\/\S+?)[\s(]/.exec(stderr);
      if (match)
        resolve({ child, url: match[1]!, stderr: () => stderr, stdout: () => stdout, exited });
    });
    child.on("error", reject);
    void exited.then((code) =>
      reject(new Error(`rephysco serve exited (${String(code)}) before listening:\n${stderr}`)),
    );
  });
}

/** Writes a config file in a fresh directory and returns its path. */
function configFile(name: string, text: string): string {
  const path = join(tempDir("rephysco-serve-"), name);
  writeFileSync(path, text);
  return path;
}

interface Completion {
  object: string;
  model: string;
  choices: { message: { role: string; content: string }; finish_reason: string }[];
  usage: { prompt_tokens: number; completion_tokens: number; total_tokens: number };
}

async function chat(url: string, model: string, content = "hi"): Promise<Response> {
  return fetch(`${url}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: "Bearer client-key" },
    body: JSON.stringify({ model, messages: [{ role: "user", content }] }),
  });
}

describe("rephysco serve", () => {
  it("serves the gateway with a YAML config, prints its URL, stops cleanly on SIGTERM", async () => {
    const config = configFile(
      "gateway.yaml",
      [
        "providers:",
        "  openai:",
        `    baseURL: ${mock.url}/v1`,
        "    apiKey: key-from-config",
        "models:",
        "  fast:",
        "    provider: openai",
        "    model: gpt-4o-mini",
        "    settings:",
        `      baseURL: ${mock.url}/v1`,
        "      apiKey: key-from-config",
        "",
      ].join("\n"),
    );
    const s = await serve(["--config", config, "--port", "0"]);
    expect(s.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(s.url).not.toMatch(/:4000$/);

    expect((await fetch(`${s.url}/healthz`)).status).toBe(200);

    mock.enqueue({
      text: "Hello through the gateway",
      usage: { promptTokens: 3, completionTokens: 4 },
    });
    const res = await chat(s.url, "fast", "say hello");
    expect(res.status).toBe(200);
    const body = (await res.json()) as Completion;
    expect(body.object).toBe("chat.completion");
    expect(body.choices[0]?.message).toMatchObject({
      role: "assistant",
      content: "Hello through the gateway",
    });
    expect(body.usage).toMatchObject({ prompt_tokens: 3, completion_tokens: 4, total_tokens: 7 });
    const upstream = mock.requests.at(-1);
    expect(upstream?.headers.authorization).toBe("Bearer key-from-config");
    expect(upstream?.body).toMatchObject({ model: "gpt-4o-mini" });

    s.child.kill("SIGTERM");
    expect(await s.exited).toBe(0);
    expect(s.stderr()).toMatch(/SIGTERM/);
    await expect(fetch(`${s.url}/healthz`)).rejects.toThrow();
  });

  it("routes provider/model with the key and base URL from the environment; SIGINT stops it", async () => {
    const s = await serve(["--port", "0"], {
      OPENAI_API_KEY: "key-from-env",
      OPENAI_BASE_URL: `${mock.url}/v1`,
    });
    mock.enqueue({ text: "from env" });
    const res = await chat(s.url, "openai/gpt-4.1-nano");
    expect(res.status).toBe(200);
    expect(((await res.json()) as Completion).choices[0]?.message.content).toBe("from env");
    expect(mock.requests.at(-1)?.headers.authorization).toBe("Bearer key-from-env");
    expect(mock.requests.at(-1)?.body).toMatchObject({ model: "gpt-4.1-nano" });

    s.child.kill("SIGINT");
    expect(await s.exited).toBe(0);
  });

  it("streams: SSE chunks end with [DONE]", async () => {
    const s = await serve(["--port", "0"], {
      OPENAI_API_KEY: "k",
      OPENAI_BASE_URL: `${mock.url}/v1`,
    });
    mock.enqueue({ chunks: ["a", "b", "c"] });
    const res = await fetch(`${s.url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        model: "openai/gpt-4o-mini",
        stream: true,
        messages: [{ role: "user", content: "abc" }],
      }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/event-stream/);
    const text = await res.text();
    const data = text
      .split("\n")
      .filter((line) => line.startsWith("data: "))
      .map((line) => line.slice(6));
    expect(data.at(-1)).toBe("[DONE]");
    const content = data
      .slice(0, -1)
      .map((d) => JSON.parse(d) as { choices: { delta: { content?: string } }[] })
      .map((c) => c.choices[0]?.delta.content ?? "")
      .join("");
    expect(content).toBe("abc");
    s.child.kill("SIGTERM");
    expect(await s.exited).toBe(0);
  });

  it("logs an access line per request on stdout (JSON); --log-level silent logs nothing", async () => {
    const env = { OPENAI_API_KEY: "sk-upstream-0000", OPENAI_BASE_URL: `${mock.url}/v1` };
    const s = await serve(["--port", "0"], env);
    mock.enqueue({ text: "logged", usage: { promptTokens: 2, completionTokens: 3 } });
    expect((await chat(s.url, "openai/gpt-4o-mini", "a private prompt")).status).toBe(200);
    let line: Record<string, unknown> | undefined;
    for (let i = 0; i < 100 && !line; i++) {
      await new Promise((r) => setTimeout(r, 20));
      const found = s
        .stdout()
        .split("\n")
        .find((l) => l.includes('"msg":"request"'));
      if (found) line = JSON.parse(found) as Record<string, unknown>;
    }
    expect(line).toMatchObject({
      model: "openai/gpt-4o-mini",
      provider: "openai",
      status: 200,
      tokens: { prompt: 2, completion: 3, total: 5 },
    });
    expect(s.stdout()).not.toContain("a private prompt");
    expect(s.stdout()).not.toContain("sk-upstream-0000");
    s.child.kill("SIGTERM");
    expect(await s.exited).toBe(0);

    const quiet = await serve(["--port", "0", "--log-level", "silent"], env);
    expect((await chat(quiet.url, "openai/gpt-4o-mini")).status).toBe(200);
    quiet.child.kill("SIGTERM");
    expect(await quiet.exited).toBe(0);
    expect(quiet.stdout()).toBe("");
  });

  it("refuses a non-loopback --host without --allow-unauthenticated (exit 2, says why)", async () => {
    const r = await runBin(["serve", "--host", "0.0.0.0", "--port", "0"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/0\.0\.0\.0/);
    expect(r.stderr).toMatch(/no virtual keys exist/);
    expect(r.stderr).toMatch(/rephysco serve keys create/);
    expect(r.stderr).toMatch(/--allow-unauthenticated/);
  });

  it("listens on a non-loopback --host with --allow-unauthenticated", async () => {
    const s = await serve(["--host", "0.0.0.0", "--port", "0", "--allow-unauthenticated"]);
    const port = new URL(s.url).port;
    expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
    s.child.kill("SIGTERM");
    expect(await s.exited).toBe(0);
  });

  it("accepts --host localhost without the flag", async () => {
    const s = await serve(["--host", "localhost", "--port", "0"]);
    s.child.kill("SIGTERM");
    expect(await s.exited).toBe(0);
  });

  it("accepts an IPv6 loopback written as in a URL ([::1]) and listens on it", async () => {
    const s = await serve(["--host", "[::1]", "--port", "0"]);
    const port = new URL(s.url).port;
    expect((await fetch(`http://[::1]:${port}/healthz`)).status).toBe(200);
    s.child.kill("SIGTERM");
    expect(await s.exited).toBe(0);
  });

  it("a config error exits 2 naming the line and the field", async () => {
    const config = configFile(
      "bad.yaml",
      ["models:", "  fast:", "    provider: openai", "    retries: lots", ""].join("\n"),
    );
    const r = await runBin(["serve", "--config", config, "--port", "0"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/bad\.yaml:4: /);
    expect(r.stderr).toMatch(/models\.fast\.retries/);
    expect(r.stderr).not.toMatch(/listening/);
  });

  it("a missing config file exits 2", async () => {
    const r = await runBin(["serve", "--config", "/nonexistent/gateway.yaml", "--port", "0"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/gateway\.yaml/);
  });

  it("a bad --port is a usage error", async () => {
    for (const port of ["abc", "70000", "-1"]) {
      const r = await runBin(["serve", "--port", port]);
      expect(r.code, port).toBe(2);
    }
  });

  it("a port in use exits 1 with a message", async () => {
    const r = await runBin(["serve", "--port", String(mock.port)]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/in use/);
  });
});

describe("rephysco serve keys", () => {
  it("creates a key (printed once), lists it without the key, serves only with it, revokes it", async () => {
    const data = tempDir("rephysco-data-");
    const env = { REPHYSCO_DATA_DIR: data };
    const created = await runBin(
      ["serve", "keys", "create", "team-a", "--models", "fast,openai/*", "--rpm", "5"],
      { env },
    );
    expect(created.code).toBe(0);
    const key = created.stdout.trim();
    expect(key).toMatch(/^rk-[A-Za-z0-9_-]{43}$/);
    expect(created.stderr).toMatch(/shown only this once/);
    const stored = readFileSync(join(data, "gateway-keys.json"), "utf8");
    expect(stored).not.toContain(key);

    const list = await runBin(["serve", "keys", "list"], { env });
    expect(list.code).toBe(0);
    expect(list.stdout).toContain("team-a");
    expect(list.stdout).toContain(`rk-...${key.slice(-4)}`);
    expect(list.stdout).toMatch(/models fast,openai\/\*/);
    expect(list.stdout).toMatch(/limit 5 req\/60s/);
    expect(list.stdout).not.toContain(key);
    const json = JSON.parse((await runBin(["serve", "keys", "list", "--json"], { env })).stdout);
    expect(json).toEqual([
      expect.objectContaining({ name: "team-a", models: ["fast", "openai/*"] }),
    ]);
    expect(JSON.stringify(json)).not.toContain("sha256:");

    // With a keys file, a non-loopback host needs no --allow-unauthenticated.
    const s = await serve(["--host", "0.0.0.0", "--port", "0"], {
      ...env,
      OPENAI_API_KEY: "sk-upstream",
      OPENAI_BASE_URL: `${mock.url}/v1`,
    });
    const port = new URL(s.url).port;
    const base = `http://127.0.0.1:${port}`;
    expect((await chat(base, "openai/gpt-4o-mini")).status).toBe(401);
    const ok = await fetch(`${base}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${key}` },
      body: JSON.stringify({
        model: "openai/gpt-4o-mini",
        messages: [{ role: "user", content: "hi" }],
      }),
    });
    expect(ok.status).toBe(200);
    expect(mock.requests.at(-1)?.headers.authorization).toBe("Bearer sk-upstream");

    const revoked = await runBin(["serve", "keys", "revoke", "team-a"], { env });
    expect(revoked.code).toBe(0);
    // The running gateway re-reads the file within about a second.
    let status = 0;
    for (let i = 0; i < 50 && status !== 401; i++) {
      await new Promise((r) => setTimeout(r, 100));
      status = (await fetch(`${base}/v1/models`, { headers: { authorization: `Bearer ${key}` } }))
        .status;
    }
    expect(status).toBe(401);
    s.child.kill("SIGTERM");
    expect(await s.exited).toBe(0);

    const again = await runBin(["serve", "keys", "revoke", "team-a"], { env });
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/no key named "team-a"/);
  });

  it("refuses bad names, duplicates and contradictory flags with exit 2", async () => {
    const env = { REPHYSCO_DATA_DIR: tempDir("rephysco-data-") };
    expect((await runBin(["serve", "keys", "create", "a"], { env })).code).toBe(0);
    const dup = await runBin(["serve", "keys", "create", "a"], { env });
    expect(dup.code).toBe(2);
    expect(dup.stderr).toMatch(/exists; revoke it first/);
    const bad = await runBin(["serve", "keys", "create", "has space"], { env });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/Invalid key name/);
    const period = await runBin(["serve", "keys", "create", "b", "--budget-period", "day"], {
      env,
    });
    expect(period.code).toBe(2);
    expect(period.stderr).toMatch(/--budget-period needs --budget-usd or --budget-tokens/);
    const rpm = await runBin(["serve", "keys", "create", "b", "--rpm", "many"], { env });
    expect(rpm.code).toBe(2);
    const both = await runBin(
      ["serve", "keys", "create", "b", "--budget-usd", "5", "--budget-tokens", "9"],
      { env },
    );
    expect(both.code).toBe(2);
  });

  it("uses the keys file a config names, relative to the config file", async () => {
    const dir = tempDir("rephysco-serve-");
    const config = join(dir, "gateway.yaml");
    writeFileSync(config, "keys:\n  file: ./my-keys.json\n");
    const r = await runBin(["serve", "keys", "create", "x", "--config", config]);
    expect(r.code).toBe(0);
    expect(readFileSync(join(dir, "my-keys.json"), "utf8")).toContain('"x"');
  });
});
