/**
 * The prepare stage: the cache key of a call, computed after call-level middleware and before
 * anything reads the cache. It is present only with a cache; the keys are read off a store that
 * records every operation. No listener, fallbacks or retries.
 */
import {
  type CacheStore,
  LLMClient,
  type LLMClientOptions,
  type Middleware,
  type Provider,
} from "@rephysco/core";
import { createFakeProvider, drain } from "@rephysco/testing";
import { describe, expect, it } from "vitest";
import { recordingStore } from "./support.js";

function client(
  provider: Provider,
  cache: CacheStore,
  options: Partial<LLMClientOptions> = {},
): LLMClient {
  return new LLMClient({ provider, retry: false, cache, ...options });
}

const redact = (text: string) => text.replaceAll(/[\w.]+@[\w.]+/g, "[email]");

/** Replaces e-mail addresses in every message, at the level given. */
function redactor(level: "call" | "attempt"): Middleware {
  const clean = <P extends { messages: readonly { content: string }[] }>(params: P): P => ({
    ...params,
    messages: params.messages.map((m) => ({ ...m, content: redact(m.content) })),
  });
  return {
    level,
    wrapGenerate: ({ doGenerate, params }) => doGenerate(clean(params)),
    wrapStream: ({ doStream, params }) => doStream(clean(params)),
  };
}

/** The keys a store was asked to read, in order. */
const readKeys = (store: ReturnType<typeof recordingStore>) =>
  store.ops.filter((o) => o.op === "get").map((o) => o.key);

describe("prepare stage", () => {
  it("identical calls have one key; a different prompt, parameter or model another", async () => {
    const store = recordingStore();
    const c = client(createFakeProvider(), store);
    await c.generate("Hi", { cache: "refresh" });
    await c.generate("Hi", { cache: "refresh", timeoutMs: 60_000 });
    await c.flush();
    const sets = store.ops.filter((o) => o.op === "set").map((o) => o.key);
    expect(sets[0]).toMatch(/^[0-9a-f]{64}$/);
    // Timeouts and signals are not part of what identifies an answer.
    expect(sets[1]).toBe(sets[0]);
    for (const options of [
      { temperature: 0.2 },
      { maxTokens: 5 },
      { topP: 0.5 },
      { stop: ["."] },
      { model: "other-model" },
      { systemPrompt: "Be brief." },
      { providerOptions: { seed: 1 } },
    ])
      await c.generate("Hi", options);
    await c.generate("Hello");
    const keys = readKeys(store);
    expect(new Set(keys).size).toBe(keys.length);
    expect(keys).not.toContain(sets[0]);
  });

  it("the provider's identity is part of the key: another base URL, key or setting misses", async () => {
    const store = recordingStore();
    for (const provider of [
      createFakeProvider(),
      createFakeProvider({ baseURL: "fake:other" }),
      createFakeProvider({ keyFingerprint: "other-account" }),
      createFakeProvider({ cacheIdentity: "api-version=2" }),
      createFakeProvider({ name: "another" }),
    ])
      await client(provider, store).generate("Hi");
    const keys = readKeys(store);
    expect(keys).toHaveLength(5);
    expect(new Set(keys).size).toBe(5);
  });

  it("a call-level redactor changes what is keyed as well as what is sent", async () => {
    const store = recordingStore();
    const fake = createFakeProvider();
    const c = client(fake, store, { middleware: [redactor("call")] });
    const first = await c.generate("Mail ada@example.org");
    // Redacted before keying: the same text with another address is the same call.
    const second = await c.generate("Mail bob@example.com");
    const streamed = await drain(c.stream("Mail eve@example.net"));
    expect(fake.calls).toHaveLength(1);
    expect(fake.calls[0]!.messages).toEqual([{ role: "user", content: "Mail [email]" }]);
    expect(first.content).toBe("Echo: Mail [email]");
    expect(second).toMatchObject({ content: "Echo: Mail [email]", cached: true });
    expect(streamed.text).toBe("Echo: Mail [email]");
    const keys = readKeys(store);
    expect(new Set(keys).size).toBe(1);

    // The key is that of the redacted text, as a client without the redactor computes it.
    const plain = recordingStore();
    await client(createFakeProvider(), plain).generate("Mail [email]");
    expect(readKeys(plain)).toEqual([keys[0]]);
  });

  it("an attempt-level redactor changes only what is sent: the key is of the text before it", async () => {
    const store = recordingStore();
    const fake = createFakeProvider();
    const c = client(fake, store, { middleware: [redactor("attempt")] });
    await c.generate("Mail ada@example.org");
    await c.generate("Mail bob@example.com");
    expect(fake.calls.map((call) => call.messages[0]!.content)).toEqual([
      "Mail [email]",
      "Mail [email]",
    ]);
    const keys = readKeys(store);
    expect(keys).toHaveLength(2);
    expect(keys[0]).not.toBe(keys[1]);
  });

  it("cache: false computes no key: the store is never asked", async () => {
    const store = recordingStore();
    const fake = createFakeProvider();
    const c = client(fake, store);
    await c.generate("Hi", { cache: false });
    await drain(c.stream("Hi", { cache: false }));
    await c.flush();
    expect(store.ops).toEqual([]);
    expect(fake.calls).toHaveLength(2);
  });

  it("the fallbacks are part of the key: clients with other chains never share entries", async () => {
    const store = recordingStore();
    const primary = createFakeProvider({ name: "primary" });
    await client(primary, store).generate("Hi");
    await client(primary, store, {
      fallbacks: [{ provider: createFakeProvider({ name: "backup" }) }],
    }).generate("Hi");
    await client(primary, store, {
      fallbacks: [{ provider: createFakeProvider({ name: "backup" }), model: "b-2" }],
    }).generate("Hi");
    const keys = readKeys(store);
    expect(new Set(keys).size).toBe(3);
    expect(primary.calls).toHaveLength(3);
  });
});
