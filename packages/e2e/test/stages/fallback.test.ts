/**
 * The fallback stage: tries the targets in order while `shouldFallback` allows and nothing has
 * been passed on; fallbacks are created when first needed. Clients here have no cache and no
 * retries; a listener where a test reads fallback events.
 */
import "@rephysco/anthropic";
import {
  AuthenticationError,
  InvalidRequestError,
  LLMClient,
  type LLMClientOptions,
  memoryStore,
  type Provider,
  RateLimitError,
  type RephyscoEvent,
  ServiceUnavailableError,
} from "@rephysco/core";
import { caught, createFakeProvider, createMockServer, drain } from "@rephysco/testing";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { never } from "./support.js";

const down = () => new ServiceUnavailableError("primary down", { provider: "primary" });

function chain(options: Partial<LLMClientOptions> = {}) {
  const primary = createFakeProvider({ name: "primary", defaultModel: "p-1" });
  const backup = createFakeProvider({ name: "backup", defaultModel: "b-1" });
  const events: RephyscoEvent[] = [];
  const client = new LLMClient({
    provider: primary,
    fallbacks: [{ provider: backup }],
    retry: false,
    onEvent: (e) => events.push(e),
    ...options,
  });
  return { primary, backup, client, events };
}

describe("fallback stage", () => {
  it("generate: the next provider answers when the first fails with a fallback error", async () => {
    const { primary, backup, client, events } = chain();
    primary.enqueue({ error: down() });
    backup.enqueue({ text: "from backup" });
    const answer = await client.generate("Hi");
    expect(answer).toMatchObject({ content: "from backup", provider: "backup", model: "b-1" });
    expect(backup.calls[0]!.messages).toEqual(primary.calls[0]!.messages);
    expect(events.filter((e) => e.type === "fallback")).toEqual([
      {
        type: "fallback",
        from: { provider: "primary", model: "p-1" },
        to: { provider: "backup", model: "b-1" },
        error: expect.any(ServiceUnavailableError),
        stream: false,
      },
    ]);
  });

  it("stream: the next provider answers when the first fails before any output", async () => {
    const { primary, backup, client } = chain();
    primary.enqueue({ error: new RateLimitError("slow down", { provider: "primary" }) });
    backup.enqueue({ chunks: ["from ", "backup"] });
    const { text, chunks, error } = await drain(client.stream("Hi"));
    expect(error).toBeUndefined();
    expect(text).toBe("from backup");
    expect(chunks.every((c) => c.provider === "backup")).toBe(true);
    expect(primary.calls).toHaveLength(1);
  });

  it("the call's model goes to the primary; a fallback asks its own", async () => {
    const primary = createFakeProvider({ name: "primary", replies: [{ error: down() }] });
    const backup = createFakeProvider({ name: "backup" });
    const client = new LLMClient({
      provider: primary,
      fallbacks: [{ provider: backup, model: "b-2" }],
      retry: false,
    });
    await client.generate("Hi", { model: "p-2" });
    expect(primary.calls[0]!.options.model).toBe("p-2");
    expect(backup.calls[0]!.options.model).toBe("b-2");
  });

  it("authentication and invalid-request errors do not fall back", async () => {
    for (const error of [
      new AuthenticationError("bad key", { provider: "primary" }),
      new InvalidRequestError("bad request", { provider: "primary" }),
    ]) {
      const { primary, backup, client } = chain();
      primary.enqueue({ error });
      expect(await caught(() => client.generate("Hi"))).toBe(error);
      expect(backup.calls).toHaveLength(0);
    }
  });

  it("shouldFallback decides", async () => {
    const seen: unknown[] = [];
    const { primary, backup, client } = chain({
      shouldFallback: (error) => {
        seen.push(error);
        return error instanceof InvalidRequestError;
      },
    });
    const invalid = new InvalidRequestError("try elsewhere", { provider: "primary" });
    primary.enqueue({ error: invalid }, { error: down() });
    expect((await client.generate("Hi")).provider).toBe("backup");
    const error = await caught(() => client.generate("Hi"));
    expect(error).toBeInstanceOf(ServiceUnavailableError);
    expect(seen).toEqual([invalid, error]);
    expect(backup.calls).toHaveLength(1);
  });

  it("once a stream passed output on, its error reaches the caller with the partial text", async () => {
    const { primary, backup, client } = chain();
    primary.enqueue({ parts: [{ type: "text", text: "Hel" }], error: down() });
    const { text, error } = await drain(client.stream("Hi"));
    expect(text).toBe("Hel");
    expect(error).toBeInstanceOf(ServiceUnavailableError);
    expect(error?.partialContent).toBe("Hel");
    expect(backup.calls).toHaveLength(0);
  });

  it("when every target fails, the last one's error reaches the caller", async () => {
    const primary = createFakeProvider({ name: "primary", replies: [{ error: down() }] });
    const second = createFakeProvider({ name: "second", replies: [{ error: down() }] });
    const last = new RateLimitError("last", { provider: "third" });
    const third = createFakeProvider({ name: "third", replies: [{ error: last }] });
    const events: RephyscoEvent[] = [];
    const client = new LLMClient({
      provider: primary,
      fallbacks: [{ provider: second }, { provider: third }],
      retry: false,
      onEvent: (e) => events.push(e),
    });
    expect(await caught(() => client.generate("Hi"))).toBe(last);
    expect(
      events.flatMap((e) => (e.type === "fallback" ? [`${e.from.provider}>${e.to.provider}`] : [])),
    ).toEqual(["primary>second", "second>third"]);
  });

  it("an abort does not fall back", async () => {
    const { primary, backup, client } = chain();
    const controller = new AbortController();
    primary.enqueue(() => {
      queueMicrotask(() => controller.abort());
      return { text: "never", gate: never };
    });
    const error = await caught(() => client.generate("Hi", { signal: controller.signal }));
    expect(error).toBe(controller.signal.reason);
    expect(backup.calls).toHaveLength(0);
  });
});

describe("fallback stage: fallbacks are created when first needed", () => {
  let saved: string | undefined;
  beforeEach(() => {
    saved = process.env.ANTHROPIC_API_KEY;
    delete process.env.ANTHROPIC_API_KEY;
  });
  afterEach(() => {
    if (saved === undefined) delete process.env.ANTHROPIC_API_KEY;
    else process.env.ANTHROPIC_API_KEY = saved;
  });

  function withKeylessFallback(primary: Provider, options: Partial<LLMClientOptions> = {}) {
    return new LLMClient({
      provider: primary,
      fallbacks: [{ provider: "anthropic" }],
      retry: false,
      ...options,
    });
  }

  it("a fallback without its key does not make the constructor throw, nor calls it never serves", async () => {
    const primary = createFakeProvider({ name: "primary", replies: [{ text: "fine" }] });
    // With a cache too: the key of a chain whose fallback cannot be created is computed.
    const client = withKeylessFallback(primary, { cache: memoryStore() });
    expect((await client.generate("Hi")).content).toBe("fine");
    expect((await client.generate("Hi")).cached).toBe(true);
  });

  it("when it is needed, its error names the variable to set", async () => {
    const primary = createFakeProvider({ name: "primary", replies: [{ error: down() }] });
    const events: RephyscoEvent[] = [];
    const client = withKeylessFallback(primary, { onEvent: (e) => events.push(e) });
    const error = await caught(() => client.generate("Hi"));
    expect(error).toBeInstanceOf(AuthenticationError);
    expect(error).toMatchObject({ provider: "anthropic", reason: "missing_api_key" });
    expect(error.message).toContain("ANTHROPIC_API_KEY");
    expect(events.find((e) => e.type === "fallback")).toMatchObject({
      from: { provider: "primary" },
      to: { provider: "(unavailable)" },
    });
  });

  it("a key set after the client was made is used: the fallback reads it when first needed", async () => {
    const server = await createMockServer();
    try {
      server.enqueue({ text: "from claude" });
      const primary = createFakeProvider({ name: "primary", replies: [{ error: down() }] });
      const client = withKeylessFallback(primary, {
        fallbacks: [{ provider: "anthropic", baseURL: `${server.url}/v1`, model: "claude-x" }],
      });
      process.env.ANTHROPIC_API_KEY = "sk-ant-set-later-0123456789";
      const answer = await client.generate("Hi");
      expect(answer).toMatchObject({ content: "from claude", provider: "anthropic" });
      expect(server.requests[0]?.headers["x-api-key"]).toBe("sk-ant-set-later-0123456789");
    } finally {
      await server.close();
    }
  });
});
