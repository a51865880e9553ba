// Virtual keys: the keys file, authentication, allowed models, per-key limits and budgets, and
// the cache-sharing setting; over real sockets with the official SDK as the client.
import { mkdtempSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import "@rephysco/openai";
import { createMockServer, type MockServer } from "@rephysco/testing";
import OpenAI from "openai";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  createGateway,
  createVirtualKey,
  type Gateway,
  hashVirtualKey,
  KeysFileError,
  readKeysFile,
  revokeVirtualKey,
  type VirtualKeyPolicy,
} from "../src/index.js";

const dirs: string[] = [];
const tempFile = (name: string) => {
  const dir = mkdtempSync(join(tmpdir(), "rephysco-keys-"));
  dirs.push(dir);
  return join(dir, name);
};
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe("the keys file", () => {
  it("stores the hash and a hint, never the key, in a file only its owner reads", async () => {
    const file = tempFile("keys.json");
    const { key, record } = await createVirtualKey(file, "team-a", { models: ["fast"] });
    expect(key).toMatch(/^rk-[A-Za-z0-9_-]{43}$/);
    const text = readFileSync(file, "utf8");
    expect(text).not.toContain(key);
    expect(text).toContain(hashVirtualKey(key));
    expect(record.hint).toBe(key.slice(-4));
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const read = await readKeysFile(file);
    expect(read?.keys["team-a"]?.models).toEqual(["fast"]);
  });

  it("refuses a duplicate name, a bad name and a bad policy, naming what to fix", async () => {
    const file = tempFile("keys.json");
    await createVirtualKey(file, "a");
    await expect(createVirtualKey(file, "a")).rejects.toThrow(KeysFileError);
    await expect(createVirtualKey(file, "a")).rejects.toThrow(/exists; revoke it first/);
    await expect(createVirtualKey(file, "no spaces")).rejects.toThrow(/Invalid key name/);
    await expect(createVirtualKey(file, "b", { rateLimit: {} })).rejects.toThrow(
      /rateLimit needs requests and\/or tokens/,
    );
    await expect(createVirtualKey(file, "b", { budget: { usd: 1, tokens: 2 } })).rejects.toThrow(
      /exactly one of usd and tokens/,
    );
    await expect(createVirtualKey(file, "b", { models: ["open*ai"] })).rejects.toThrow(/models:/);
  });

  it("revokes by name and says when there was no such key", async () => {
    const file = tempFile("keys.json");
    await createVirtualKey(file, "a");
    await createVirtualKey(file, "b");
    expect(await revokeVirtualKey(file, "a")).toBe(true);
    expect(await revokeVirtualKey(file, "a")).toBe(false);
    expect(Object.keys((await readKeysFile(file))?.keys ?? {})).toEqual(["b"]);
  });

  it("reads a missing file as no keys and rejects a file that is not a keys file", async () => {
    expect(await readKeysFile(tempFile("none.json"))).toBeUndefined();
    const bad = tempFile("bad.json");
    writeFileSync(bad, JSON.stringify({ version: 1, keys: { a: { hash: "md5:x" } } }));
    await expect(readKeysFile(bad)).rejects.toThrow(/key "a": hash must be/);
    writeFileSync(bad, "{nope");
    await expect(readKeysFile(bad)).rejects.toThrow(/invalid JSON/);
  });

  it("a gateway does not start on an invalid keys file", async () => {
    const bad = tempFile("bad.json");
    writeFileSync(bad, JSON.stringify({ version: 2 }));
    await expect(createGateway({ keys: { file: bad } })).rejects.toThrow(/not a keys file/);
  });
});

describe("writing the keys file", () => {
  it("loses nothing when several processes create and revoke at once", async () => {
    const f = tempFile("busy.json");
    await createVirtualKey(f, "doomed");
    await Promise.all([
      revokeVirtualKey(f, "doomed"),
      ...Array.from({ length: 6 }, (_, i) => createVirtualKey(f, `k${i}`)),
    ]);
    const names = Object.keys((await readKeysFile(f))?.keys ?? {}).sort();
    expect(names).toEqual(["k0", "k1", "k2", "k3", "k4", "k5"]);
  });

  it("refuses limits the limiter could not hold, and stored fields in a policy", async () => {
    const f = tempFile("bounds.json");
    await expect(
      createVirtualKey(f, "w", { rateLimit: { requests: 1, windowMs: 3_000_000_000 } }),
    ).rejects.toThrow(/windowMs must be at most 2147483647/);
    await expect(createVirtualKey(f, "u", { budget: { usd: 1e7 } })).rejects.toThrow(
      /budget.usd must be a positive number of at most/,
    );
    await expect(
      createVirtualKey(f, "h", { hash: "sha256:00" } as unknown as VirtualKeyPolicy),
    ).rejects.toThrow(/unknown field "hash"/);
  });

  it("a reload sees a change that kept the file's mtime (a revocation within one clock tick)", async () => {
    const f = tempFile("tick.json");
    const { key } = await createVirtualKey(f, "gone");
    const g = await createGateway({ keys: { file: f } });
    const base = (await g.listen({ port: 0 })).url;
    try {
      const status = () =>
        fetch(`${base}/v1/models`, { headers: { authorization: `Bearer ${key}` } }).then(
          (r) => r.status,
        );
      expect(await status()).toBe(200);
      const before = statSync(f);
      await revokeVirtualKey(f, "gone");
      utimesSync(f, before.atime, before.mtime);
      await eventually(async () => (await status()) === 401);
    } finally {
      await g.close();
    }
  });
});

describe("a gateway with virtual keys", () => {
  let upstream: MockServer;
  let gateway: Gateway;
  let url: string;
  let file: string;
  const keys: Record<string, string> = {};
  const client = (key: string) => new OpenAI({ apiKey: key, baseURL: `${url}/v1`, maxRetries: 0 });
  const ask = (key: string, content: string, model = "fast") =>
    client(key).chat.completions.create({ model, messages: [{ role: "user", content }] });

  beforeAll(async () => {
    upstream = await createMockServer();
    file = tempFile("keys.json");
    keys.open = (await createVirtualKey(file, "open")).key;
    keys.fastOnly = (
      await createVirtualKey(file, "fast-only", { models: ["fast", "openai/*"] })
    ).key;
    keys.limited = (
      await createVirtualKey(file, "limited", { rateLimit: { requests: 2, windowMs: 60_000 } })
    ).key;
    keys.budget = (await createVirtualKey(file, "budget", { budget: { tokens: 500 } })).key;
    keys.second = (await createVirtualKey(file, "second")).key;
    keys.private = (await createVirtualKey(file, "private", { shareCache: false })).key;
    keys.alice = (await createVirtualKey(file, "alice", { rateLimit: { requests: 1 } })).key;
    keys.bob = (await createVirtualKey(file, "bob")).key;
    keys.tokens = (await createVirtualKey(file, "tokens", { rateLimit: { tokens: 50 } })).key;
    gateway = await createGateway({
      keys: { file },
      models: {
        fast: { provider: "openai", model: "gpt-4.1-mini" },
        cached: { provider: "openai", model: "gpt-4.1-mini", cache: true },
        other: { provider: "openai", model: "gpt-4.1" },
      },
      providers: { openai: { baseURL: `${upstream.url}/v1`, apiKey: "sk-upstream-secret" } },
    });
    url = (await gateway.listen({ port: 0 })).url;
  });
  beforeEach(() => upstream.reset());
  afterAll(async () => {
    await gateway?.close();
    await upstream?.close();
  });

  it("checks the key before reading the body: no key and a broken body is a 401", async () => {
    const res = await fetch(`${url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{broken",
    });
    expect(res.status).toBe(401);
  });

  it("holds a key to its limit even when its request joins another key's identical one", async () => {
    await ask(keys.alice!, "alice's first", "cached"); // alice's one request this minute
    upstream.enqueue({ text: "slow shared answer", delayMs: 300 });
    const q = `shared ${Date.now()}`;
    const bob = ask(keys.bob!, q, "cached");
    await new Promise((r) => setTimeout(r, 50));
    // Same route and prompt, in flight: it would join bob's call, but alice is over her limit.
    const alice = await ask(keys.alice!, q, "cached").catch((e: unknown) => e);
    expect(alice).toBeInstanceOf(OpenAI.RateLimitError);
    expect((alice as Error).message).toMatch(/"alice"/);
    // And bob is never refused by alice's limit.
    expect((await bob).choices[0]?.message.content).toBe("slow shared answer");
  });

  it("counts a key's tokens as used: a request without max_tokens is admitted, then settled", async () => {
    upstream.enqueue({ text: "x", usage: { promptTokens: 40, completionTokens: 40 } });
    await ask(keys.tokens!, "first"); // 80 tokens used: over the 50 a minute
    const err = await ask(keys.tokens!, "second").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.RateLimitError);
    const e = err as InstanceType<typeof OpenAI.RateLimitError>;
    expect(e.code).toBe("rate_limit_exceeded");
    expect(Number(e.headers?.get("retry-after"))).toBeGreaterThan(0);
    // A request that can never fit says so (no Retry-After).
    const huge = await client(keys.tokens!)
      .chat.completions.create({
        model: "fast",
        max_tokens: 1000,
        messages: [{ role: "user", content: "x" }],
      })
      .catch((x: unknown) => x);
    expect((huge as Error).message).toMatch(/more than the key "tokens" may use/);
  });

  it("answers a request without a key with OpenAI's 401", async () => {
    const res = await fetch(`${url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "fast", messages: [{ role: "user", content: "hi" }] }),
    });
    expect(res.status).toBe(401);
    const body = (await res.json()) as { error: { code: string; type: string } };
    expect(body.error).toMatchObject({ type: "invalid_request_error", code: "missing_api_key" });
    expect(upstream.requests).toHaveLength(0);
  });

  it("raises the SDK's AuthenticationError for an unknown key, and never calls upstream", async () => {
    const err = await ask("rk-not-a-key", "hi").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.AuthenticationError);
    expect((err as InstanceType<typeof OpenAI.AuthenticationError>).code).toBe("invalid_api_key");
    expect(upstream.requests).toHaveLength(0);
  });

  it("serves a valid key, and never forwards it upstream", async () => {
    const answer = await ask(keys.open!, "hello");
    expect(answer.choices[0]?.message.content).toBe("Echo: hello");
    expect(upstream.requests[0]?.headers.authorization).toBe("Bearer sk-upstream-secret");
  });

  it("keeps health and readiness open without a key", async () => {
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    expect((await fetch(`${url}/readyz`)).status).toBe(200);
  });

  it("limits a key to its models: 403 model_not_allowed, and /v1/models lists only those", async () => {
    const err = await ask(keys.fastOnly!, "hi", "other").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.PermissionDeniedError);
    expect((err as InstanceType<typeof OpenAI.PermissionDeniedError>).code).toBe(
      "model_not_allowed",
    );
    expect((await ask(keys.fastOnly!, "hi", "openai/gpt-4o")).choices[0]?.message.content).toBe(
      "Echo: hi",
    );
    const ids = (await client(keys.fastOnly!).models.list()).data.map((m) => m.id);
    expect(ids).toContain("fast");
    expect(ids).not.toContain("other");
    expect(ids.every((id) => id === "fast" || id.startsWith("openai/"))).toBe(true);
    const all = (await client(keys.open!).models.list()).data.map((m) => m.id);
    expect(all).toContain("other");
    expect((await fetch(`${url}/v1/models`)).status).toBe(401);
  });

  it("rate-limits per key with a 429 and Retry-After; other keys go on", async () => {
    await ask(keys.limited!, "one");
    await ask(keys.limited!, "two");
    const err = await ask(keys.limited!, "three").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.RateLimitError);
    const e = err as InstanceType<typeof OpenAI.RateLimitError>;
    expect(Number(e.headers?.get("retry-after"))).toBeGreaterThan(0);
    expect(e.headers?.get("x-should-retry")).toBe("false");
    expect(upstream.requests).toHaveLength(2);
    expect((await ask(keys.open!, "still fine")).choices[0]?.message.content).toBe(
      "Echo: still fine",
    );
  });

  it("stops a key at its budget with 429 budget_exceeded", async () => {
    upstream.enqueue({ text: "spent", usage: { promptTokens: 400, completionTokens: 400 } });
    await client(keys.budget!).chat.completions.create({
      model: "fast",
      max_tokens: 10,
      messages: [{ role: "user", content: "spend" }],
    });
    // A small request that fits the cap on its own: refused only because of what was spent.
    const err = await client(keys.budget!)
      .chat.completions.create({
        model: "fast",
        max_tokens: 10,
        messages: [{ role: "user", content: "more" }],
      })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.RateLimitError);
    expect((err as InstanceType<typeof OpenAI.RateLimitError>).code).toBe("budget_exceeded");
    expect(upstream.requests).toHaveLength(1);
  });

  it("counts a USD budget with the config's prices; without a price it is a 500 that says to add one", async () => {
    const usdFile = tempFile("usd.json");
    const { key } = await createVirtualKey(usdFile, "usd", { budget: { usd: 1, period: "day" } });
    const config = {
      keys: { file: usdFile },
      models: { local: { provider: "openai", model: "my-local-model" } },
      providers: { openai: { baseURL: `${upstream.url}/v1`, apiKey: "sk-upstream-secret" } },
    };
    const ask2 = (base: string) =>
      new OpenAI({ apiKey: key, baseURL: `${base}/v1`, maxRetries: 0 }).chat.completions.create({
        model: "local",
        max_tokens: 10,
        messages: [{ role: "user", content: "hi" }],
      });
    const unpriced = await createGateway(config);
    try {
      const base = (await unpriced.listen({ port: 0 })).url;
      const err = await ask2(base).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(OpenAI.InternalServerError);
      expect((err as Error).message).toMatch(/has no price/);
    } finally {
      await unpriced.close();
    }
    const priced = await createGateway({
      ...config,
      prices: { openai: { "my-local-model": { input: 1000, output: 1000 } } },
    });
    try {
      const base = (await priced.listen({ port: 0 })).url;
      upstream.enqueue({ text: "a", usage: { promptTokens: 600, completionTokens: 600 } });
      await ask2(base); // $1.20 spent: over the $1 cap
      const err = await ask2(base).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(OpenAI.RateLimitError);
      expect((err as InstanceType<typeof OpenAI.RateLimitError>).code).toBe("budget_exceeded");
    } finally {
      await priced.close();
    }
  });

  it("shares cached answers between keys by default; a key with its own cache does not", async () => {
    const q = `cache me ${Date.now()}`;
    await ask(keys.open!, q, "cached");
    const before = upstream.requests.length;
    const shared = await ask(keys.second!, q, "cached");
    expect(shared.choices[0]?.message.content).toBe(`Echo: ${q}`);
    expect(upstream.requests.length).toBe(before); // a hit
    await ask(keys.private!, q, "cached");
    expect(upstream.requests.length).toBe(before + 1); // its own namespace: a miss
    await ask(keys.private!, q, "cached");
    expect(upstream.requests.length).toBe(before + 1); // and its own hit
  });

  it("a name made again after a revocation does not inherit the old key's private cache", async () => {
    const q = `private ${Date.now()}`;
    const first = (await createVirtualKey(file, "rotating", { shareCache: false })).key;
    await eventually(async () => (await ask(first, q, "cached")).choices[0] !== undefined);
    const before = upstream.requests.length;
    await revokeVirtualKey(file, "rotating");
    const second = (await createVirtualKey(file, "rotating", { shareCache: false })).key;
    await eventually(async () => (await ask(second, q, "cached")).choices[0] !== undefined);
    expect(upstream.requests.length).toBe(before + 1); // a miss: a new namespace
  });

  it("keeps the previous keys when the file turns invalid while running", async () => {
    const saved = readFileSync(file, "utf8");
    writeFileSync(file, "{ not json");
    await new Promise((r) => setTimeout(r, 1500));
    expect((await ask(keys.open!, "still in")).choices[0]?.message.content).toBe("Echo: still in");
    writeFileSync(file, saved);
  });

  it("takes a revocation and a new key while running", async () => {
    const { key } = await createVirtualKey(file, "late");
    await eventually(async () => (await ask(key, "hi")).choices[0]?.message.content === "Echo: hi");
    await revokeVirtualKey(file, "late");
    await eventually(async () => {
      const err = await ask(key, "hi").catch((e: unknown) => e);
      return err instanceof OpenAI.AuthenticationError;
    });
  });
});

/** Polls `check` (a reload takes up to about a second) until it holds, or fails after 10 s. */
async function eventually(check: () => Promise<boolean>): Promise<void> {
  const until = Date.now() + 10_000;
  for (;;) {
    if (await check().catch(() => false)) return;
    if (Date.now() > until) throw new Error("the condition never held");
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe("a key's limits while the shared store is down", () => {
  it("rate limits go on locally; a key with a budget gets a retryable 503", async () => {
    const upstream = await createMockServer();
    const f = tempFile("down.json");
    const rated = (await createVirtualKey(f, "rated", { rateLimit: { requests: 5 } })).key;
    const budgeted = (await createVirtualKey(f, "budgeted", { budget: { tokens: 1000 } })).key;
    // Nothing listens on port 1: every Redis command fails.
    const g = await createGateway({
      keys: { file: f },
      redis: { url: "redis://127.0.0.1:1" },
      providers: { openai: { baseURL: `${upstream.url}/v1`, apiKey: "sk-upstream" } },
    });
    const base = (await g.listen({ port: 0 })).url;
    try {
      const ask = (key: string) =>
        new OpenAI({ apiKey: key, baseURL: `${base}/v1`, maxRetries: 0 }).chat.completions.create({
          model: "gpt-4.1-mini",
          messages: [{ role: "user", content: "hi" }],
        });
      expect((await ask(rated)).choices[0]?.message.content).toBe("Echo: hi");
      const err = await ask(budgeted).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(OpenAI.InternalServerError);
      const e = err as InstanceType<typeof OpenAI.InternalServerError>;
      expect(e.status).toBe(503);
      expect(e.code).toBe("limits_unavailable");
      expect(e.headers?.get("x-should-retry")).toBe("true");
    } finally {
      await g.close();
      await upstream.close();
    }
  });
});
