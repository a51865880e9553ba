// Scale-out and draining with real processes: two gateway processes share one Redis (a cache hit
// and a rate limit across instances), and SIGTERM drains a stream in flight before exiting.
// Redis is started here on a free port (scripts/ensure-redis.sh installs the binary).
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  createMockServer,
  type MockServer,
  type RedisServer,
  startRedisServer,
} from "@rephysco/testing";
import OpenAI from "openai";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createVirtualKey, type GatewayConfig } from "../src/index.js";

const FIXTURE = fileURLToPath(new URL("./fixtures/serve.mjs", import.meta.url));

interface Instance {
  readonly child: ChildProcess;
  readonly url: string;
  stderr(): string;
  readonly exited: Promise<number | string | null>;
}

const children = new Set<ChildProcess>();
afterEach(() => {
  for (const c of children) c.kill("SIGKILL");
  children.clear();
});

function start(config: GatewayConfig): Promise<Instance> {
  const child = spawn(process.execPath, [FIXTURE, JSON.stringify(config)], {
    stdio: ["ignore", "ignore", "pipe"],
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "" },
  });
  children.add(child);
  let stderr = "";
  const exited = new Promise<number | string | null>((resolve) =>
    child.on("close", (code, signal) => {
      children.delete(child);
      resolve(code ?? signal);
    }),
  );
  return new Promise((resolve, reject) => {
    child.stderr!.setEncoding("utf8").on("data", (d: string) => {
      stderr += d;
      const m = /listening on (http:\/\/\S+)/.exec(stderr);
      if (m) resolve({ child, url: m[1]!, stderr: () => stderr, exited });
    });
    void exited.then((code) => reject(new Error(`gateway exited (${String(code)}):\n${stderr}`)));
  });
}

let upstream: MockServer;
let redis: RedisServer;
let dir: string;
beforeAll(async () => {
  upstream = await createMockServer();
  redis = await startRedisServer();
  dir = mkdtempSync(join(tmpdir(), "rephysco-scale-"));
});
afterAll(async () => {
  await upstream?.close();
  await redis?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe("two gateway processes on one Redis", () => {
  it("share cached answers and a key's rate limit", async () => {
    const file = join(dir, "keys.json");
    const { key } = await createVirtualKey(file, "shared", { rateLimit: { requests: 3 } });
    const config: GatewayConfig = {
      keys: { file },
      redis: { url: redis.url, prefix: `t${Date.now()}:` },
      models: {
        cached: { provider: "openai", model: "gpt-4.1-mini", cache: true },
        plain: { provider: "openai", model: "gpt-4.1-mini" },
      },
      providers: { openai: { baseURL: `${upstream.url}/v1`, apiKey: "sk-upstream" } },
    };
    const [a, b] = await Promise.all([start(config), start(config)]);
    const sdk = (i: Instance) => new OpenAI({ apiKey: key, baseURL: `${i.url}/v1`, maxRetries: 0 });
    const ask = (i: Instance, model: string, content: string) =>
      sdk(i).chat.completions.create({ model, messages: [{ role: "user", content }] });

    upstream.reset();
    expect((await ask(a, "cached", "the same question")).choices[0]?.message.content).toBe(
      "Echo: the same question",
    );
    expect(upstream.requests).toHaveLength(1);
    // Instance B has never seen it: the answer comes from Redis.
    expect((await ask(b, "cached", "the same question")).choices[0]?.message.content).toBe(
      "Echo: the same question",
    );
    expect(upstream.requests).toHaveLength(1);

    // The key may send 3 requests a minute across the fleet; both above count (the cache hit
    // too: a key's limit counts its requests, not the upstream's).
    await ask(b, "plain", "two");
    const err = await ask(a, "plain", "three").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.RateLimitError);
    expect(
      Number((err as InstanceType<typeof OpenAI.RateLimitError>).headers?.get("retry-after")),
    ).toBeGreaterThan(0);
    const err2 = await ask(b, "plain", "four").catch((e: unknown) => e);
    expect(err2).toBeInstanceOf(OpenAI.RateLimitError);
    expect(upstream.requests).toHaveLength(2);
  });
});

describe("SIGTERM", () => {
  it("answers /readyz 503, finishes the stream in flight, then exits 0", async () => {
    const g = await start({
      providers: { openai: { baseURL: `${upstream.url}/v1`, apiKey: "sk-upstream" } },
    });
    upstream.reset();
    upstream.enqueue({
      chunks: ["one ", "two ", "three ", "four ", "five ", "six"],
      chunkDelayMs: 150,
    });
    const sdk = new OpenAI({ apiKey: "x", baseURL: `${g.url}/v1`, maxRetries: 0 });
    // A second connection, opened before the signal, to ask /readyz during the drain.
    const probe = new OpenAI({ apiKey: "x", baseURL: g.url, maxRetries: 0 });
    expect((await probe.get("/readyz")) as unknown).toEqual({ status: "ready" });
    const stream = await sdk.chat.completions.create({
      model: "gpt-4.1-mini",
      stream: true,
      messages: [{ role: "user", content: "count" }],
    });
    let text = "";
    const reading = (async () => {
      for await (const c of stream) text += c.choices[0]?.delta.content ?? "";
    })();
    await new Promise((r) => setTimeout(r, 100));
    g.child.kill("SIGTERM");
    await eventually(() => g.stderr().includes("draining"));
    const ready = await fetch(`${g.url}/readyz`).then(
      (r) => r.status,
      () => "refused",
    );
    // A new connection is refused, or answered 503 while the server closes.
    expect([503, "refused"]).toContain(ready);
    await reading;
    expect(text).toBe("one two three four five six");
    expect(await g.exited).toBe(0);
  });

  it("cuts what is still running at the drain deadline and exits", async () => {
    const g = await start({
      drainTimeoutMs: 300,
      providers: { openai: { baseURL: `${upstream.url}/v1`, apiKey: "sk-upstream" } },
    });
    upstream.reset();
    upstream.enqueue({ chunks: ["a ", "b ", "c ", "d ", "e ", "f"], chunkDelayMs: 400 });
    const sdk = new OpenAI({ apiKey: "x", baseURL: `${g.url}/v1`, maxRetries: 0 });
    const stream = await sdk.chat.completions.create({
      model: "gpt-4.1-mini",
      stream: true,
      messages: [{ role: "user", content: "slow" }],
    });
    const reading = (async () => {
      for await (const _ of stream) {
        // read until cut
      }
      return "completed";
    })().catch((e: unknown) => e);
    g.child.kill("SIGTERM");
    const started = Date.now();
    expect(await g.exited).toBe(0);
    // The stream did not get to finish: it would have taken about 2.4 s.
    expect(Date.now() - started).toBeLessThan(2000);
    expect(await reading).toBeInstanceOf(Error);
  });
});

async function eventually(check: () => boolean): Promise<void> {
  const until = Date.now() + 10_000;
  while (!check()) {
    if (Date.now() > until) throw new Error("the condition never held");
    await new Promise((r) => setTimeout(r, 20));
  }
}
