/**
 * What attempt-level middleware learns beyond provider and model (the account whose quota it
 * spends, the model's price, the attempt's timeout), the call's tags, and the `emit` that
 * reports to the client's listener: what rate limiters and budgets stand on.
 */
import {
  type AttemptInfo,
  type CallParams,
  ConfigurationError,
  InvalidRequestError,
  jsonSchema,
  LLMClient,
  type Middleware,
  memoryStore,
  type RephyscoEvent,
  tool,
} from "@rephysco/core";
import { caught, createFakeProvider, drain } from "@rephysco/testing";
import { describe, expect, it } from "vitest";

const PRICES = {
  asOf: "2026-11-01",
  sources: ["https://example.com/pricing"],
  models: { "fake-model": { input: 1, output: 2 } },
};

function spy(level: "call" | "attempt", seen: { attempt?: AttemptInfo; params: CallParams }[]) {
  return {
    level,
    wrapGenerate: ({ doGenerate, attempt, params }) => {
      seen.push({ ...(attempt && { attempt }), params });
      return doGenerate();
    },
    async *wrapStream({ doStream, attempt, params }) {
      seen.push({ ...(attempt && { attempt }), params });
      yield* doStream();
    },
  } satisfies Middleware;
}

describe("attempt context", () => {
  it("tells the account (same key: same account; other key or base URL: another)", async () => {
    const seen: { attempt?: AttemptInfo; params: CallParams }[] = [];
    const make = (keyFingerprint: string, baseURL = "fake:") =>
      new LLMClient({
        provider: createFakeProvider({ keyFingerprint, baseURL }),
        retry: false,
        middleware: [spy("attempt", seen)],
      });
    await make("k1").generate("a");
    await make("k1").generate("b");
    await make("k2").generate("c");
    await make("k1", "fake://eu").generate("d");
    const accounts = seen.map((s) => s.attempt!.account);
    expect(accounts[0]).toBe(accounts[1]);
    expect(new Set(accounts).size).toBe(3);
    // The account is a hash: it shows neither the fingerprint nor the base URL.
    for (const a of accounts) expect(a).not.toMatch(/k1|k2|fake/);
  });

  it("gives the model's price (the client's prices over the provider's) and the timeout", async () => {
    const seen: { attempt?: AttemptInfo; params: CallParams }[] = [];
    const c = new LLMClient({
      provider: createFakeProvider({ prices: PRICES }),
      retry: false,
      timeoutMs: 5_000,
      prices: { fake: { "other-model": { input: 3, output: 4 } } },
      middleware: [spy("attempt", seen)],
    });
    await c.generate("a");
    await c.generate("b", { model: "other-model", timeoutMs: 700 });
    await c.generate("c", { model: "unpriced" });
    expect(seen.map((s) => [s.attempt!.price, s.attempt!.timeoutMs])).toEqual([
      [{ input: 1, output: 2 }, 5_000],
      [{ input: 3, output: 4 }, 700],
      [undefined, 5_000],
    ]);
  });

  it("passes the client's tags then the call's (no repeats) to both levels, never to the provider", async () => {
    const seen: { attempt?: AttemptInfo; params: CallParams }[] = [];
    const fake = createFakeProvider();
    const c = new LLMClient({
      provider: fake,
      retry: false,
      tags: ["team-a", "search"],
      middleware: [spy("call", seen), spy("attempt", seen)],
    });
    await c.generate("a", { tags: ["search", "tenant-7"] });
    await drain(c.stream("b"));
    expect(seen.map((s) => s.params.tags)).toEqual([
      ["team-a", "search", "tenant-7"],
      ["team-a", "search", "tenant-7"],
      ["team-a", "search"],
      ["team-a", "search"],
    ]);
    expect(fake.calls.map((call) => "tags" in call.options)).toEqual([false, false]);
    const untagged: { attempt?: AttemptInfo; params: CallParams }[] = [];
    await new LLMClient({
      provider: createFakeProvider(),
      middleware: [spy("call", untagged)],
    }).generate("x");
    expect(untagged[0]!.params.tags).toBeUndefined();
  });

  it("refuses bad tags with a typed error that says what to fix", async () => {
    expect(() => new LLMClient({ provider: createFakeProvider(), tags: "team" as never })).toThrow(
      ConfigurationError,
    );
    const c = new LLMClient({ provider: createFakeProvider() });
    for (const tags of [[""], ["a\nb"], [7], ["x".repeat(129)]]) {
      const e = await caught(() => c.generate("x", { tags: tags as string[] }));
      expect(e).toBeInstanceOf(InvalidRequestError);
      expect((e as Error).message).toMatch(/tag/);
    }
  });

  it("tags are not part of the cache key", async () => {
    const fake = createFakeProvider();
    const c = new LLMClient({ provider: fake, cache: memoryStore(), retry: false });
    await c.generate("same", { tags: ["a"] });
    const again = await c.generate("same", { tags: ["b"] });
    expect(again.cached).toBe(true);
    expect(fake.calls).toHaveLength(1);
  });

  it("emit reports a middleware's events to the client's listener, and is harmless without one", async () => {
    const events: RephyscoEvent[] = [];
    const waiting: Middleware = {
      level: "attempt",
      wrapGenerate: ({ doGenerate, attempt, emit }) => {
        emit({
          type: "limit_wait",
          provider: attempt!.provider,
          model: attempt!.model,
          limit: "rpm",
          waitMs: 5,
        });
        return doGenerate();
      },
    };
    await new LLMClient({
      provider: createFakeProvider(),
      middleware: [waiting],
      onEvent: (e) => events.push(e),
    }).generate("x");
    expect(events.filter((e) => e.type === "limit_wait")).toEqual([
      { type: "limit_wait", provider: "fake", model: "fake-model", limit: "rpm", waitMs: 5 },
    ]);
    await expect(
      new LLMClient({ provider: createFakeProvider(), middleware: [waiting] }).generate("x"),
    ).resolves.toMatchObject({ content: "Echo: x" });
  });
});

describe("cost through the pipeline", () => {
  const usage = { promptTokens: 1_000, completionTokens: 500, totalTokens: 1_500 };

  it("prices generate and stream answers; the finish event carries the cost", async () => {
    const events: RephyscoEvent[] = [];
    const c = new LLMClient({
      provider: createFakeProvider({ prices: PRICES, defaultReply: { text: "hi", usage } }),
      retry: false,
      onEvent: (e) => events.push(e),
    });
    const expected = { total: 0.002, input: 0.001, output: 0.001, source: "prices" };
    expect((await c.generate("a")).cost).toMatchObject(expected);
    const chunks = (await drain(c.stream("b"))).chunks;
    expect(chunks.at(-1)!.cost).toMatchObject(expected);
    expect(chunks.slice(0, -1).every((ch) => ch.cost === undefined)).toBe(true);
    const finishes = events.filter((e) => e.type === "finish");
    expect(finishes).toHaveLength(2);
    for (const e of finishes) expect(e.type === "finish" && e.cost?.total).toBeCloseTo(0.002, 12);
  });

  it("is undefined (never 0) for an unpriced model or without usage", async () => {
    const c = new LLMClient({
      provider: createFakeProvider({ prices: PRICES, defaultReply: { text: "hi", usage } }),
    });
    expect((await c.generate("a", { model: "unknown" })).cost).toBeUndefined();
    const noUsage = new LLMClient({
      provider: createFakeProvider({ prices: PRICES, defaultReply: { text: "hi" } }),
    });
    expect((await noUsage.generate("a")).cost).toBeUndefined();
  });

  it("keeps a cost the provider reported itself, with the price table's parts scaled to it", async () => {
    const reported = {
      total: 0.5,
      input: 0,
      cachedInput: 0,
      cacheWrite: 0,
      output: 0,
      reasoning: 0,
      currency: "USD" as const,
      source: "provider" as const,
    };
    const c = new LLMClient({
      provider: createFakeProvider({
        prices: PRICES,
        defaultReply: { text: "hi", usage, cost: reported },
      }),
    });
    // The table says input 0.001 and output 0.001: the reported 0.5 splits the same way.
    const expected = { ...reported, input: 0.25, output: 0.25 };
    expect((await c.generate("a")).cost).toEqual(expected);
    expect((await drain(c.stream("a"))).chunks.at(-1)!.cost).toEqual(expected);
    // Without a price, the reported total stands alone; reported parts are never changed.
    expect((await c.generate("a", { model: "unpriced" })).cost).toEqual(reported);
    const split = { ...reported, input: 0.1, output: 0.4 };
    const own = new LLMClient({
      provider: createFakeProvider({
        prices: PRICES,
        defaultReply: { text: "hi", usage, cost: split },
      }),
    });
    expect((await own.generate("a")).cost).toEqual(split);
  });

  it("keeps a reported cost from a provider that yields legacy chunks", async () => {
    const reported = {
      total: 0.5,
      input: 0.2,
      cachedInput: 0,
      cacheWrite: 0,
      output: 0.3,
      reasoning: 0,
      currency: "USD" as const,
      source: "provider" as const,
    };
    const c = new LLMClient({
      provider: createFakeProvider({
        prices: PRICES,
        legacyChunks: true,
        defaultReply: { chunks: ["h", "i"], usage, cost: reported },
      }),
    });
    expect((await drain(c.stream("a"))).chunks.at(-1)!.cost).toEqual(reported);
  });

  it("stores a stream without its cost: a replay is 0 even to call-level middleware", async () => {
    const store = memoryStore();
    const seen: (number | undefined)[] = [];
    const c = new LLMClient({
      provider: createFakeProvider({ prices: PRICES, defaultReply: { text: "hi", usage } }),
      cache: store,
      middleware: [
        {
          async *wrapStream({ doStream }) {
            for await (const part of doStream()) {
              if (part.type === "finish") seen.push(part.cost?.total);
              yield part;
            }
          },
        },
      ],
    });
    await drain(c.stream("same"));
    await c.flush();
    await drain(c.stream("same"));
    expect(seen[0]).toBeCloseTo(0.002, 12);
    expect(seen[1]).toBeUndefined();
  });

  it("a cache hit costs 0; a call that joined one in flight costs 0 and says so", async () => {
    const c = new LLMClient({
      provider: createFakeProvider({
        prices: PRICES,
        defaultReply: { text: "hi", usage, delayMs: 30 },
      }),
      cache: memoryStore(),
    });
    const [a, b] = await Promise.all([c.generate("same"), c.generate("same")]);
    expect([a.cost?.source, b.cost?.source].sort()).toEqual(["prices", "shared"]);
    expect(a.cost!.total + b.cost!.total).toBeCloseTo(0.002, 12);
    const hit = await c.generate("same");
    expect(hit.cached).toBe(true);
    expect(hit.cost).toMatchObject({ total: 0, source: "cache" });
    const streamed = (await drain(c.stream("same"))).chunks.at(-1)!;
    expect(streamed.cost).toMatchObject({ total: 0, source: "cache" });
  });

  it("a tool loop's cost is the sum of its steps, each with its own", async () => {
    const fake = createFakeProvider({
      prices: PRICES,
      replies: [
        { toolCalls: [{ name: "add", arguments: { a: 1, b: 2 } }], usage },
        { text: "3", usage },
      ],
    });
    const c = new LLMClient({ provider: fake, retry: false });
    const r = await c.generate("1+2?", {
      tools: {
        add: tool({
          parameters: jsonSchema<{ a: number; b: number }>({
            type: "object",
            properties: { a: { type: "number" }, b: { type: "number" } },
          }),
          execute: ({ a, b }) => a + b,
        }),
      },
      maxSteps: 3,
    });
    for (const step of r.steps!) expect(step.cost?.total).toBeCloseTo(0.002, 12);
    expect(r.steps).toHaveLength(2);
    expect(r.cost!.total).toBeCloseTo(0.004, 12);
    expect(r.usage!.totalTokens).toBe(3_000);
  });

  it("a tool loop with one unpriced step has no cost (unknown, not partial)", async () => {
    const fake = createFakeProvider({
      prices: PRICES,
      replies: [{ toolCalls: [{ name: "noop", arguments: {} }], usage }, { text: "done" }],
    });
    const r = await new LLMClient({ provider: fake }).generate("go", {
      tools: { noop: { parameters: { type: "object" }, execute: () => "ok" } },
      maxSteps: 3,
    });
    expect(r.steps![0]!.cost?.total).toBe(0.002);
    expect(r.cost).toBeUndefined();
  });
});
