import {
  BudgetExceededError,
  ConfigurationError,
  QuotaExceededError,
  RateLimitError,
  type RephyscoEvent,
  ServiceUnavailableError,
} from "@rephysco/core";
import { caught, createFakeProvider } from "@rephysco/testing";
import { describe, expect, it } from "vitest";
import {
  estimateTokens,
  type LimitStore,
  type LimitsOptions,
  limits,
  memoryLimitStore,
} from "../src/index.js";
import { clientWith, maxInSpan, sleep, spyStore } from "./helpers.js";

const usage = (promptTokens: number, completionTokens: number) => ({
  promptTokens,
  completionTokens,
  totalTokens: promptTokens + completionTokens,
});

const ofType = <T extends RephyscoEvent["type"]>(events: RephyscoEvent[], type: T) =>
  events.filter((e): e is Extract<RephyscoEvent, { type: T }> => e.type === type);

describe("limits(): option validation", () => {
  const bad: [string, unknown, string][] = [
    ["not an object", 5, "options must be an object"],
    ["unknown option", { rateLimit: [] }, 'unknown option "rateLimit"'],
    ["onLimit", { onLimit: "block" }, 'onLimit must be one of "wait", "fail"; got "block"'],
    [
      "maxWaitMs",
      { maxWaitMs: -1 },
      "maxWaitMs must be a number of ms from 0 to 2147483647; got -1",
    ],
    [
      "maxWaitMs above a timer",
      { maxWaitMs: 2 ** 31 },
      "maxWaitMs must be a number of ms from 0 to 2147483647; got 2147483648",
    ],
    [
      "windowMs above a timer",
      { rateLimits: [{ requests: 1, windowMs: 2 ** 31 }] },
      "rateLimits[0].windowMs must be at most 2147483647",
    ],
    [
      "budgetsOnStoreFailure",
      { budgetsOnStoreFailure: "open" },
      "budgetsOnStoreFailure must be one of",
    ],
    [
      "defaultMaxTokens",
      { defaultMaxTokens: 1.5 },
      "defaultMaxTokens must be a positive integer; got 1.5",
    ],
    ["estimateTokens", { estimateTokens: 3 }, "estimateTokens must be a function"],
    ["store", { store: {} }, "store.acquire must be a function"],
    ["cooldowns", { cooldowns: "yes" }, "cooldowns must be an object"],
    [
      "cooldowns key",
      { cooldowns: { scope: "model", ttl: 1 } },
      'cooldowns has an unknown option "ttl"',
    ],
    [
      "cooldowns.scope",
      { cooldowns: { scope: "tag" } },
      'cooldowns.scope must be one of "model", "account"',
    ],
    [
      "cooldowns.quotaCooldownMs",
      { cooldowns: { quotaCooldownMs: 0 } },
      "cooldowns.quotaCooldownMs must be a positive integer; got 0",
    ],
    [
      "cooldowns.maxCooldownMs",
      { cooldowns: { maxCooldownMs: Number.NaN } },
      "cooldowns.maxCooldownMs must be a positive integer; got NaN",
    ],
    ["rateLimits array", { rateLimits: {} }, "rateLimits must be an array"],
    ["rule object", { rateLimits: [null] }, "rateLimits[0] must be an object; got null"],
    [
      "rule requests",
      { rateLimits: [{ requests: 1 }, { requests: 0 }] },
      "rateLimits[1].requests must be a positive integer; got 0",
    ],
    [
      "rule tokens",
      { rateLimits: [{ tokens: -5 }] },
      "rateLimits[0].tokens must be a positive integer; got -5",
    ],
    [
      "rule empty",
      { rateLimits: [{ per: "global" }] },
      "rateLimits[0] must set requests or tokens",
    ],
    [
      "rule windowMs",
      { rateLimits: [{ requests: 1, windowMs: 0 }] },
      "rateLimits[0].windowMs must be a positive integer; got 0",
    ],
    [
      "rule per",
      { rateLimits: [{ requests: 1, per: "user" }] },
      'rateLimits[0].per must be "global", "account", "provider", "model", { tag: "name" } or a function',
    ],
    [
      "rule per tag",
      { rateLimits: [{ requests: 1, per: { tag: "" } }] },
      "rateLimits[0].per.tag must be a non-empty string",
    ],
    [
      "rule name",
      { rateLimits: [{ requests: 1, name: "" }] },
      "rateLimits[0].name must be a non-empty string",
    ],
    [
      "rule provider",
      { rateLimits: [{ requests: 1, provider: 3 }] },
      "rateLimits[0].provider must be a non-empty string; got 3",
    ],
    [
      "rule model",
      { rateLimits: [{ requests: 1, model: "" }] },
      "rateLimits[0].model must be a non-empty string",
    ],
    [
      "rule onLimit",
      { rateLimits: [{ requests: 1, onLimit: "queue" }] },
      'rateLimits[0].onLimit must be one of "wait", "fail"',
    ],
    [
      "rule unknown key",
      { rateLimits: [{ requests: 1, rpm: 3 }] },
      'rateLimits[0] has an unknown option "rpm"',
    ],
    [
      "rule duplicate name",
      { rateLimits: [{ requests: 1 }, { requests: 2 }] },
      'rateLimits[1] is named "rpm:model" like rateLimits[0]',
    ],
    ["budgets array", { budgets: "x" }, "budgets must be an array"],
    [
      "budget name",
      { budgets: [{ usd: 1 }] },
      "budgets[0].name must be a non-empty string; got undefined",
    ],
    [
      "budget both",
      { budgets: [{ name: "b", usd: 1, tokens: 5 }] },
      "budgets[0] must set exactly one of usd and tokens",
    ],
    [
      "budget none",
      { budgets: [{ name: "b" }] },
      "budgets[0] must set exactly one of usd and tokens",
    ],
    [
      "budget usd",
      { budgets: [{ name: "b", usd: 0 }] },
      "budgets[0].usd must be a positive number of US dollars; got 0",
    ],
    [
      "budget tokens",
      { budgets: [{ name: "b", tokens: 2.5 }] },
      "budgets[0].tokens must be a positive integer; got 2.5",
    ],
    [
      "budget period",
      { budgets: [{ name: "b", tokens: 5, period: "year" }] },
      'budgets[0].period must be one of "minute", "hour", "day", "week", "month", "total"; got "year"',
    ],
    ["budget per", { budgets: [{ name: "b", tokens: 5, per: 7 }] }, "budgets[0].per must be"],
    [
      "budget provider",
      { budgets: [{ name: "b", tokens: 5, provider: "" }] },
      "budgets[0].provider must be a non-empty string",
    ],
    [
      "budget model",
      { budgets: [{ name: "b", tokens: 5, model: 1 }] },
      "budgets[0].model must be a non-empty string",
    ],
    [
      "budget unknown key",
      { budgets: [{ name: "b", tokens: 5, limit: 3 }] },
      'budgets[0] has an unknown option "limit"',
    ],
    [
      "budget duplicate",
      {
        budgets: [
          { name: "b", tokens: 5 },
          { name: "b", usd: 1 },
        ],
      },
      'budgets[1] is named "b" like budgets[0]',
    ],
  ];
  it.each(bad)("%s", (_label, options, message) => {
    let error: unknown;
    try {
      limits(options as LimitsOptions);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as ConfigurationError).reason).toBe("invalid_option");
    expect((error as Error).message).toContain(message);
  });

  it("accepts every valid form", () => {
    const mw = limits({
      rateLimits: [
        { requests: 1 },
        { tokens: 10, per: "global", windowMs: 1000, onLimit: "fail" },
        { name: "t", requests: 2, per: { tag: "t" }, provider: "fake", model: "m" },
        { name: "f", requests: 2, per: () => "k" },
        { name: "a", requests: 2, per: "account" },
        { name: "p", requests: 2, per: "provider" },
      ],
      budgets: [
        { name: "u", usd: 1.5, period: "day" },
        { name: "t", tokens: 100, per: "model", period: "month" },
      ],
      cooldowns: { quotaCooldownMs: 1000, scope: "account", maxCooldownMs: 5000 },
      store: memoryLimitStore(),
      onLimit: "fail",
      maxWaitMs: 0,
      estimateTokens: () => 1,
      defaultMaxTokens: 10,
    });
    expect(mw.level).toBe("attempt");
    expect(limits({ cooldowns: false }).level).toBe("attempt");
  });
});

describe("estimateTokens", () => {
  it("is ceil(chars / 4) + 4 per message + the tools' schema chars / 4", () => {
    const base = { mode: "generate" as const, model: "m", maxResponseBytes: 1 };
    expect(
      estimateTokens({ ...base, messages: [{ role: "user", content: "x".repeat(1000) }] }),
    ).toBe(254);
    const tools = [{ name: "t", parameters: { type: "object" } }];
    const json = JSON.stringify(tools).length;
    expect(
      estimateTokens({
        ...base,
        messages: [
          { role: "system", content: "abcd" },
          { role: "user", content: "abcd" },
        ],
        tools,
      }),
    ).toBe(Math.ceil((8 + json) / 4) + 8);
  });
});

describe("rate limits", () => {
  it("no sliding window of windowMs ever lets more than the limit reach the provider", async () => {
    const fake = createFakeProvider({ defaultReply: { text: "ok" } });
    // Admissions on the store's own clock (the `now` of each admitting acquire): exact, however
    // loaded the machine is.
    const inner = memoryLimitStore();
    const admitted: number[] = [];
    const store: LimitStore = {
      acquire: async (r) => {
        const result = await inner.acquire(r);
        if (result.ok) admitted.push(result.now);
        return result;
      },
      settle: (r) => inner.settle(r),
      cooldown: (k, d) => inner.cooldown(k, d),
    };
    const { client, events } = clientWith(
      fake,
      limits({ store, rateLimits: [{ requests: 3, windowMs: 300, per: "global" }] }),
    );
    await Promise.all(Array.from({ length: 12 }, () => client.generate("hi")));
    expect(fake.calls).toHaveLength(12);
    expect(admitted).toHaveLength(12);
    expect(maxInSpan(admitted, 300)).toBeLessThanOrEqual(3);
    // 12 requests at 3 per 300 ms: the last is admitted at least three windows after the first.
    expect(Math.max(...admitted) - Math.min(...admitted)).toBeGreaterThanOrEqual(900);
    const waits = ofType(events, "limit_wait");
    expect(waits.length).toBe(9);
    expect(waits[0]).toMatchObject({
      provider: "fake",
      model: "fake-model",
      limit: "rpm/300ms:global",
    });
    expect(waits.every((w) => w.waitMs > 0)).toBe(true);
  });

  it("fails fast with a local RateLimitError when onLimit is fail", async () => {
    const fake = createFakeProvider();
    const { client } = clientWith(
      fake,
      limits({ rateLimits: [{ name: "two", requests: 2, windowMs: 5000, onLimit: "fail" }] }),
    );
    await client.generate("a");
    await client.generate("b");
    const error = await caught(() => client.generate("c"));
    expect(error).toBeInstanceOf(RateLimitError);
    expect(error.reason).toBe("local_rate_limit");
    expect(error.retryable).toBe(false);
    expect(error.provider).toBe("fake");
    expect(error.retryAfterMs).toBeGreaterThan(4000);
    expect(error.retryAfterMs).toBeLessThanOrEqual(5000);
    expect(error.message).toContain('"two"');
    expect(fake.calls).toHaveLength(2);
  });

  it("a rule's onLimit overrides the middleware's", async () => {
    const fake = createFakeProvider();
    const { client } = clientWith(
      fake,
      limits({ onLimit: "fail", rateLimits: [{ requests: 1, windowMs: 200, onLimit: "wait" }] }),
    );
    await client.generate("a");
    await client.generate("b");
    expect(fake.calls).toHaveLength(2);
  });

  it("waits are bounded by maxWaitMs", async () => {
    const fake = createFakeProvider();
    const { client } = clientWith(
      fake,
      limits({ maxWaitMs: 100, rateLimits: [{ requests: 1, windowMs: 2000 }] }),
    );
    await client.generate("a");
    const t = Date.now();
    const error = await caught(() => client.generate("b"));
    expect(Date.now() - t).toBeLessThan(500);
    expect(error.reason).toBe("local_rate_limit");
    expect(error.message).toContain("more than the 100 ms allowed");
  });

  it("waits are bounded by the attempt's timeout", async () => {
    const fake = createFakeProvider();
    const { client } = clientWith(fake, limits({ rateLimits: [{ requests: 1, windowMs: 2000 }] }), {
      timeoutMs: 150,
    });
    await client.generate("a");
    const t = Date.now();
    const error = await caught(() => client.generate("b"));
    expect(Date.now() - t).toBeLessThan(500);
    expect(error.reason).toBe("local_rate_limit");
    expect(error.message).toContain("the attempt's timeout");
  });

  it("a wait ends with the call's signal", async () => {
    const fake = createFakeProvider();
    const { client } = clientWith(fake, limits({ rateLimits: [{ requests: 1, windowMs: 5000 }] }));
    await client.generate("a");
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    const t = Date.now();
    const error = await caught(() => client.generate("b", { signal: controller.signal }));
    expect(Date.now() - t).toBeLessThan(1000);
    expect((error as Error).name).toBe("AbortError");
    expect(fake.calls).toHaveLength(1);
  });

  it("a request larger than a token window fails at once, saying it can never pass", async () => {
    const fake = createFakeProvider();
    const { client } = clientWith(fake, limits({ rateLimits: [{ tokens: 100 }] }));
    const error = await caught(() => client.generate("hi", { maxTokens: 500 }));
    expect(error).toBeInstanceOf(RateLimitError);
    expect(error.message).toContain("can never pass");
    expect(fake.calls).toHaveLength(0);
  });

  it("token windows are settled to the actual usage", async () => {
    const store = spyStore(memoryLimitStore());
    const fake = createFakeProvider({ defaultReply: { text: "ok", usage: usage(5, 5) } });
    const { client } = clientWith(
      fake,
      limits({ store, onLimit: "fail", rateLimits: [{ tokens: 700, windowMs: 10_000 }] }),
    );
    // Each call reserves its prompt estimate + 500; settled to 10, five calls fit in 700.
    for (let i = 0; i < 5; i++) await client.generate("hello", { maxTokens: 500 });
    expect(fake.calls).toHaveLength(5);
    expect(store.settled[0]!.windows[0]).toMatchObject({ amount: 10 });
    expect(store.settled[0]!.windows[0]!.reserved).toBe(estimateTokensOf("hello") + 500);
  });

  it("counts per tag, per provider filter, and per scope function", async () => {
    const fake = createFakeProvider();
    const { client } = clientWith(
      fake,
      limits({
        onLimit: "fail",
        rateLimits: [
          { name: "tag", requests: 1, per: { tag: "batch" }, windowMs: 5000 },
          { name: "other", requests: 1, provider: "someone-else", windowMs: 5000 },
          {
            name: "fn",
            requests: 2,
            per: (c) => (c.tags.includes("x") ? "x" : undefined),
            windowMs: 5000,
          },
        ],
      }),
    );
    await client.generate("a", { tags: ["batch"] });
    expect((await caught(() => client.generate("b", { tags: ["batch"] }))).message).toContain(
      '"tag"',
    );
    // Untagged calls are not counted by the tag rule, nor by the other provider's rule.
    await client.generate("c");
    await client.generate("d");
    await client.generate("e", { tags: ["x"] });
    await client.generate("f", { tags: ["x"] });
    expect((await caught(() => client.generate("g", { tags: ["x"] }))).message).toContain('"fn"');
  });

  it("a local RateLimitError falls back to the fallback provider", async () => {
    const primary = createFakeProvider({ name: "primary" });
    const backup = createFakeProvider({ name: "backup" });
    const { client, events } = clientWith(
      primary,
      limits({
        onLimit: "fail",
        rateLimits: [{ requests: 1, provider: "primary", windowMs: 5000 }],
      }),
      { fallbacks: [{ provider: backup }], retry: { baseDelayMs: 1, maxRetries: 2, jitter: 0 } },
    );
    await client.generate("a");
    const r = await client.generate("b");
    expect(r.provider).toBe("backup");
    expect(primary.calls).toHaveLength(1);
    expect(backup.calls).toHaveLength(1);
    expect(ofType(events, "retry")).toHaveLength(0);
    expect(ofType(events, "fallback")).toHaveLength(1);
  });

  it("with no rule applying and cool-downs off, the call passes straight through", async () => {
    const fake = createFakeProvider();
    const inner = memoryLimitStore();
    let acquires = 0;
    const store: LimitStore = {
      acquire: (r) => {
        acquires++;
        return inner.acquire(r);
      },
      settle: (r) => inner.settle(r),
      cooldown: (k, d) => inner.cooldown(k, d),
    };
    const { client } = clientWith(
      fake,
      limits({ store, cooldowns: false, rateLimits: [{ requests: 1, provider: "nobody" }] }),
    );
    for (let i = 0; i < 3; i++) await client.generate("x");
    expect(fake.calls).toHaveLength(3);
    // The store was never asked (with cool-downs on it would be, for the cool-down keys).
    expect(acquires).toBe(0);
  });
});

function estimateTokensOf(prompt: string): number {
  return estimateTokens({
    mode: "generate",
    model: "m",
    maxResponseBytes: 1,
    messages: [{ role: "user", content: prompt }],
  });
}

describe("budgets", () => {
  it("tokens per tag: reserved, settled, then refused with a BudgetExceededError", async () => {
    const fake = createFakeProvider({ defaultReply: { text: "ok", usage: usage(30, 30) } });
    const { client } = clientWith(
      fake,
      limits({ budgets: [{ name: "team-a", per: { tag: "a" }, tokens: 150 }] }),
    );
    await client.generate("hi", { tags: ["a"], maxTokens: 20 });
    await client.generate("hi", { tags: ["a"], maxTokens: 20 });
    // 120 spent (each settled to 60); the next reserves its estimate + 40, more than the 30 left.
    const error = await caught(() => client.generate("hi", { tags: ["a"], maxTokens: 40 }));
    expect(error).toBeInstanceOf(BudgetExceededError);
    expect(error.reason).toBe("budget_exceeded");
    expect(error.retryable).toBe(false);
    expect(error.data).toMatchObject({
      budget: "team-a",
      scope: "tag:a",
      limit: 150,
      spent: 120,
      requested: estimateTokensOf("hi") + 40,
      unit: "tokens",
      resetsAt: undefined,
    });
    // Another tag is not counted.
    await client.generate("hi", { tags: ["b"], maxTokens: 40 });
    await client.generate("hi", { maxTokens: 40 });
    expect(fake.calls).toHaveLength(4);
  });

  it("a client's tags count too", async () => {
    const fake = createFakeProvider({ defaultReply: { text: "ok", usage: usage(50, 50) } });
    const { client } = clientWith(
      fake,
      limits({ budgets: [{ name: "t", per: { tag: "a" }, tokens: 150 }] }),
      {
        tags: ["a"],
      },
    );
    await client.generate("hi", { maxTokens: 10 });
    expect(await caught(() => client.generate("hi", { maxTokens: 100 }))).toBeInstanceOf(
      BudgetExceededError,
    );
  });

  it("per period: resets at the UTC period boundary", async () => {
    let now = Date.UTC(2025, 0, 31, 23, 59, 0);
    const fake = createFakeProvider({ defaultReply: { text: "ok", usage: usage(40, 40) } });
    const { client } = clientWith(
      fake,
      limits({
        budgets: [{ name: "daily", tokens: 100, period: "day" }],
        now: () => now,
      } as LimitsOptions),
    );
    await client.generate("hi", { maxTokens: 10 });
    const error = await caught(() => client.generate("hi", { maxTokens: 50 }));
    expect(error).toBeInstanceOf(BudgetExceededError);
    expect(error.data?.resetsAt).toBe(Date.UTC(2025, 1, 1));
    expect(error.message).toContain("2025-02-01T00:00:00.000Z");
    now = Date.UTC(2025, 1, 1, 0, 0, 1);
    await client.generate("hi", { maxTokens: 50 });
    expect(fake.calls).toHaveLength(2);
  });

  it("is not retried and never falls back", async () => {
    const primary = createFakeProvider({
      name: "primary",
      defaultReply: { text: "ok", usage: usage(90, 10) },
    });
    const backup = createFakeProvider({ name: "backup" });
    const { client, events } = clientWith(
      primary,
      limits({ budgets: [{ name: "cap", tokens: 150 }] }),
      {
        fallbacks: [{ provider: backup }],
        retry: { baseDelayMs: 1, maxRetries: 3, jitter: 0 },
      },
    );
    await client.generate("hi", { maxTokens: 10 });
    const error = await caught(() => client.generate("hi", { maxTokens: 100 }));
    expect(error).toBeInstanceOf(BudgetExceededError);
    expect(primary.calls).toHaveLength(1);
    expect(backup.calls).toHaveLength(0);
    expect(ofType(events, "retry")).toHaveLength(0);
    expect(ofType(events, "fallback")).toHaveLength(0);
  });

  it("USD: estimated at the model's price, settled to the answer's cost", async () => {
    const store = spyStore(memoryLimitStore());
    const fake = createFakeProvider({ defaultReply: { text: "ok", usage: usage(1000, 1000) } });
    const prices = { fake: { "fake-model": { input: 1, output: 2 } } };
    const { client } = clientWith(fake, limits({ store, budgets: [{ name: "usd", usd: 0.01 }] }), {
      prices,
    });
    // Each answer costs 0.001 + 0.002 = 0.003 USD.
    for (let i = 0; i < 3; i++) await client.generate("hi", { maxTokens: 100 });
    const reserved = Math.ceil(((estimateTokensOf("hi") * 1 + 100 * 2) / 1e6) * 1e9);
    expect(store.settled[0]!.budgets[0]!.delta).toBe(3_000_000 - reserved);
    const error = await caught(() => client.generate("hi", { maxTokens: 1000 }));
    expect(error).toBeInstanceOf(BudgetExceededError);
    expect(error.data).toMatchObject({ unit: "usd", limit: 0.01, spent: 0.009 });
  });

  it("USD for a model without a price is a ConfigurationError naming it", async () => {
    const fake = createFakeProvider();
    const { client } = clientWith(fake, limits({ budgets: [{ name: "usd", usd: 1 }] }));
    const error = await caught(() => client.generate("hi"));
    expect(error).toBeInstanceOf(ConfigurationError);
    expect(error.message).toContain("fake/fake-model has no price");
    expect(error.message).toContain("prices");
    expect(fake.calls).toHaveLength(0);
  });

  it("an error before any output refunds the budget in full; the request still counts", async () => {
    const store = spyStore(memoryLimitStore());
    const fake = createFakeProvider({
      replies: [{ error: new RateLimitError("slow", { provider: "fake", status: 429 }) }],
    });
    const { client } = clientWith(
      fake,
      limits({
        store,
        onLimit: "fail",
        budgets: [{ name: "b", tokens: 1000 }],
        rateLimits: [{ requests: 1, tokens: 5000, windowMs: 5000 }],
      }),
    );
    await caught(() => client.generate("hi", { maxTokens: 100 }));
    const s = store.settled[0]!;
    expect(s.budgets[0]!.delta).toBe(-(estimateTokensOf("hi") + 100));
    expect(s.windows).toHaveLength(1);
    expect(s.windows[0]!.amount).toBe(0);
    expect((await caught(() => client.generate("hi"))).reason).toBe("local_rate_limit");
  });
});

describe("streams", () => {
  it("settle to the finish part's usage", async () => {
    const store = spyStore(memoryLimitStore());
    const fake = createFakeProvider({ defaultReply: { chunks: ["a", "b"], usage: usage(3, 4) } });
    const { client } = clientWith(
      fake,
      limits({ store, budgets: [{ name: "b", tokens: 10_000 }] }),
    );
    let text = "";
    for await (const c of client.stream("hi", { maxTokens: 50 })) text += c.content;
    expect(text).toBe("ab");
    await sleep(5);
    expect(store.settled[0]!.budgets[0]!.delta).toBe(7 - (estimateTokensOf("hi") + 50));
  });

  it("an aborted stream settles from what it received", async () => {
    const store = spyStore(memoryLimitStore());
    const never = new Promise(() => {});
    const fake = createFakeProvider({
      defaultReply: { chunks: ["x".repeat(40), "y".repeat(40)], gate: never, gateAfterParts: 1 },
    });
    const { client } = clientWith(
      fake,
      limits({ store, budgets: [{ name: "b", tokens: 10_000 }] }),
    );
    const controller = new AbortController();
    let text = "";
    const error = await caught(async () => {
      for await (const c of client.stream("hi", { maxTokens: 500, signal: controller.signal })) {
        text += c.content;
        if (text.length >= 40) controller.abort();
      }
    });
    expect((error as Error).name).toBe("AbortError");
    await sleep(5);
    const reserved = estimateTokensOf("hi") + 500;
    const actual = estimateTokensOf("hi") + 10; // 40 chars received = 10 tokens
    expect(store.settled).toHaveLength(1);
    expect(store.settled[0]!.budgets[0]!.delta).toBe(actual - reserved);
  });

  it("a consumer that stops reading settles from what it received", async () => {
    const store = spyStore(memoryLimitStore());
    const fake = createFakeProvider({
      defaultReply: { chunks: ["x".repeat(40), "y".repeat(400)] },
    });
    const { client } = clientWith(
      fake,
      limits({ store, budgets: [{ name: "b", tokens: 10_000 }] }),
    );
    for await (const _ of client.stream("hi", { maxTokens: 500 })) break;
    await sleep(5);
    expect(store.settled[0]!.budgets[0]!.delta).toBe(
      estimateTokensOf("hi") + 10 - (estimateTokensOf("hi") + 500),
    );
  });

  it("a stream refused by a budget fails before the provider is called", async () => {
    const fake = createFakeProvider();
    const { client } = clientWith(fake, limits({ budgets: [{ name: "b", tokens: 10 }] }));
    const error = await caught(async () => {
      for await (const _ of client.stream("hi")) {
      }
    });
    expect(error).toBeInstanceOf(BudgetExceededError);
    expect(fake.calls).toHaveLength(0);
  });
});

describe("cool-downs", () => {
  it("a quota error cools the whole account; other accounts go on", async () => {
    const fake = createFakeProvider({
      replies: [{ error: new QuotaExceededError("no credits", { provider: "fake", status: 429 }) }],
    });
    const other = createFakeProvider({ keyFingerprint: "other-key" });
    const store = memoryLimitStore();
    const mw = limits({ store, onLimit: "fail", cooldowns: { quotaCooldownMs: 5000 } });
    const { client, events } = clientWith(fake, mw);
    const { client: otherClient } = clientWith(other, mw);
    const t = Date.now();
    expect(await caught(() => client.generate("hi"))).toBeInstanceOf(QuotaExceededError);
    const cd = ofType(events, "cooldown");
    expect(cd).toHaveLength(1);
    expect(cd[0]).toMatchObject({ provider: "fake", model: "fake-model", scope: "account" });
    expect(cd[0]!.until).toBeGreaterThanOrEqual(t + 5000);
    // Another model of the same account is cooled down too.
    const error = await caught(() => client.generate("hi", { model: "other-model" }));
    expect(error).toBeInstanceOf(RateLimitError);
    expect(error.reason).toBe("cooldown");
    expect(error.retryAfterMs).toBeGreaterThan(4000);
    expect(fake.calls).toHaveLength(1);
    await otherClient.generate("hi");
    expect(other.calls).toHaveLength(1);
  });

  it("a 429 with Retry-After cools only that model by default, and a waiting call goes ahead after it", async () => {
    const fake = createFakeProvider({
      replies: [
        { error: new RateLimitError("slow", { provider: "fake", status: 429, retryAfterMs: 300 }) },
      ],
    });
    const { client, events } = clientWith(fake, limits({}));
    await caught(() => client.generate("hi"));
    expect(ofType(events, "cooldown")[0]).toMatchObject({ scope: "model" });
    await client.generate("hi", { model: "m2" });
    const t = Date.now();
    await client.generate("hi");
    expect(Date.now() - t).toBeGreaterThanOrEqual(200);
    expect(ofType(events, "limit_wait")[0]).toMatchObject({
      limit: "cooldown",
      model: "fake-model",
    });
  });

  it("maxCooldownMs caps a long Retry-After; cool-downs off sets none", async () => {
    const err = () =>
      new RateLimitError("slow", { provider: "fake", status: 429, retryAfterMs: 3_600_000 });
    const fake = createFakeProvider({ replies: [{ error: err() }, { error: err() }] });
    const { client, events } = clientWith(fake, limits({ cooldowns: { maxCooldownMs: 1000 } }));
    const t = Date.now();
    await caught(() => client.generate("hi"));
    expect(ofType(events, "cooldown")[0]!.until).toBeLessThanOrEqual(Date.now() + 1000);
    expect(ofType(events, "cooldown")[0]!.until).toBeGreaterThanOrEqual(t + 1000);
    const { client: c2, events: e2 } = clientWith(fake, limits({ cooldowns: false }));
    await caught(() => c2.generate("hi"));
    expect(ofType(e2, "cooldown")).toHaveLength(0);
  });
});

/** A remote store (as Redis is) around a memory one: `fail` makes every call throw. */
function remoteStore(options: { cooldownDelayMs?: number } = {}) {
  const inner = memoryLimitStore();
  const state = { fail: false, acquires: 0, settles: 0 };
  const store: LimitStore = {
    remote: true,
    acquire: async (r) => {
      state.acquires++;
      if (state.fail) throw new Error("store down");
      return inner.acquire(r);
    },
    settle: async (r) => {
      state.settles++;
      if (state.fail) throw new Error("store down");
      return inner.settle(r);
    },
    cooldown: async (k, d) => {
      if (state.fail) throw new Error("store down");
      // As on Redis: the shared end is stamped a moment after the error reached the caller.
      if (options.cooldownDelayMs) await sleep(options.cooldownDelayMs);
      return inner.cooldown(k, d);
    },
  };
  return { store, state };
}

describe("review fixes", () => {
  it("an estimator returning NaN, Infinity or a negative number is a ConfigurationError, and the store stays sound", async () => {
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, -5]) {
      const store = memoryLimitStore();
      const fake = createFakeProvider({ defaultReply: { text: "ok", usage: usage(0, 1000) } });
      const rule = { tokens: 2000, windowMs: 60_000, onLimit: "fail" as const };
      const { client } = clientWith(
        fake,
        limits({ store, rateLimits: [rule], estimateTokens: () => bad }),
      );
      const error = await caught(() => client.generate("hi", { maxTokens: 1000 }));
      expect(error).toBeInstanceOf(ConfigurationError);
      expect(error.message).toContain("estimateTokens must return a finite number");
      const streamError = await caught(async () => {
        for await (const _ of client.stream("hi", { maxTokens: 1000 })) {
          // nothing
        }
      });
      expect(streamError).toBeInstanceOf(ConfigurationError);
      expect(fake.calls).toHaveLength(0);
      // The same window, with a sane estimate: 2 x 1000 fit, the third is refused.
      const sane = clientWith(
        fake,
        limits({ store, rateLimits: [rule], estimateTokens: () => 0 }),
      ).client;
      await sane.generate("a", { maxTokens: 1000 });
      await sane.generate("b", { maxTokens: 1000 });
      expect((await caught(() => sane.generate("c", { maxTokens: 1000 }))).reason).toBe(
        "local_rate_limit",
      );
    }
  });

  it("explicit undefined cool-down options keep the defaults (model scope, a real cool-down)", async () => {
    const fake = createFakeProvider({
      replies: [
        {
          error: new RateLimitError("slow", { provider: "fake", status: 429, retryAfterMs: 5000 }),
        },
      ],
    });
    const { client, events } = clientWith(
      fake,
      limits({
        onLimit: "fail",
        cooldowns: { maxCooldownMs: undefined, scope: undefined, quotaCooldownMs: undefined },
      }),
    );
    await caught(() => client.generate("hi"));
    const [cd] = ofType(events, "cooldown");
    expect(cd).toMatchObject({ scope: "model" });
    expect(Number.isFinite(cd!.until)).toBe(true);
    // The model is cooled down; another model of the account is not.
    expect((await caught(() => client.generate("hi"))).reason).toBe("cooldown");
    await client.generate("hi", { model: "m2" });
    expect(fake.calls).toHaveLength(2);
  });

  it("a Retry-After of 0 starts no cool-down", async () => {
    for (const remote of [false, true]) {
      const { store } = remoteStore();
      const fake = createFakeProvider({
        replies: [
          { error: new RateLimitError("slow", { provider: "fake", status: 429, retryAfterMs: 0 }) },
        ],
      });
      const mw = limits({ onLimit: "fail", ...(remote && { store }) });
      const { client, events } = clientWith(fake, mw);
      await caught(() => client.generate("hi"));
      await client.generate("hi");
      await mw.close();
      expect(ofType(events, "cooldown")).toEqual([]);
      expect(ofType(events, "limit_error")).toEqual([]);
      expect(fake.calls).toHaveLength(2);
    }
  });

  it("the retry of a 429 is not refused by a shared cool-down stamped a moment late (onLimit fail)", async () => {
    const { store } = remoteStore({ cooldownDelayMs: 100 });
    const fake = createFakeProvider({
      replies: [
        { error: new RateLimitError("slow", { provider: "fake", status: 429, retryAfterMs: 200 }) },
        { text: "ok" },
      ],
    });
    const mw = limits({ store, onLimit: "fail" });
    const { client } = clientWith(fake, mw, {
      retry: { maxRetries: 1, baseDelayMs: 1, jitter: 0 },
    });
    const r = await client.generate("hi");
    expect(r.content).toBe("ok");
    expect(fake.calls).toHaveLength(2);
    await mw.close();
  });

  it("budgets are refused while a remote store fails (default); rate limits fall back to local", async () => {
    const { store, state } = remoteStore();
    const fake = createFakeProvider();
    const mw = limits({
      store,
      rateLimits: [{ requests: 10 }],
      budgets: [{ name: "team", per: { tag: "team" }, tokens: 1_000_000 }],
    });
    const { client, events } = clientWith(fake, mw);
    state.fail = true;
    const error = await caught(() => client.generate("hi", { tags: ["team"] }));
    expect(error).toBeInstanceOf(ServiceUnavailableError);
    expect(error.reason).toBe("limits_unavailable");
    expect(error.message).toContain('budget "team"');
    expect(ofType(events, "limit_error").at(-1)).toMatchObject({ fallback: "refused" });
    // A call no budget applies to goes on under local limits.
    await client.generate("hi");
    expect(ofType(events, "limit_error").at(-1)).toMatchObject({ fallback: "local" });
    expect(fake.calls).toHaveLength(1);

    // budgetsOnStoreFailure: "local" counts the budget in this process meanwhile.
    const local = clientWith(
      createFakeProvider({ defaultReply: { text: "ok", usage: usage(500, 500) } }),
      limits({
        store,
        budgetsOnStoreFailure: "local",
        budgets: [{ name: "small", tokens: 1500 }],
      }),
    );
    await local.client.generate("hi", { maxTokens: 1000 });
    expect(ofType(local.events, "limit_error")[0]).toMatchObject({ fallback: "local" });
    expect(await caught(() => local.client.generate("hi", { maxTokens: 1000 }))).toBeInstanceOf(
      BudgetExceededError,
    );
  });

  it("a USD budget is rounded to whole nano-dollars: $0.00013 admits a request costing exactly that", async () => {
    // 0.00013 * 1e9 is 129999.99999999999 in floating point: floored, the cap would be one
    // nano-dollar short of a request costing exactly $0.00013.
    const fake = createFakeProvider({ defaultReply: { text: "ok", usage: usage(129, 1) } });
    const { client } = clientWith(
      fake,
      limits({ budgets: [{ name: "usd", usd: 0.00013 }], estimateTokens: () => 129 }),
      { prices: { fake: { "fake-model": { input: 1, output: 1 } } } },
    );
    await client.generate("hi", { maxTokens: 1 });
    expect(fake.calls).toHaveLength(1);
    expect(await caught(() => client.generate("hi", { maxTokens: 1 }))).toBeInstanceOf(
      BudgetExceededError,
    );
  });

  it("a store whose settle throws synchronously settles a stream once and never fails the call", async () => {
    const inner = memoryLimitStore();
    let settles = 0;
    const store: LimitStore = {
      acquire: (r) => inner.acquire(r),
      settle: (() => {
        settles++;
        throw new Error("settle broke");
      }) as unknown as LimitStore["settle"],
      cooldown: (k, d) => inner.cooldown(k, d),
    };
    const fake = createFakeProvider({
      defaultReply: { chunks: ["a", "b"], usage: usage(3, 2) },
    });
    const mw = limits({ store, rateLimits: [{ tokens: 100_000 }] });
    const { client, events } = clientWith(fake, mw);
    let text = "";
    for await (const c of client.stream("hi", { maxTokens: 50 })) text += c.content;
    expect(text).toBe("ab");
    expect((await client.generate("hi", { maxTokens: 50 })).content).toBe("ab");
    await mw.close();
    expect(settles).toBe(2);
    expect(ofType(events, "limit_error").map((e) => e.operation)).toEqual(["settle", "settle"]);
  });
});

describe("memoryLimitStore: kinds kept apart", () => {
  it("many short-lived windows and cool-downs never push out a live budget", async () => {
    const store = memoryLimitStore({ maxKeys: 2 });
    const budget = { key: "total", limit: 10, amount: 10, ttlMs: 0 };
    expect((await store.acquire({ cooldowns: [], windows: [], budgets: [budget] })).ok).toBe(true);
    for (let i = 0; i < 5; i++) {
      await store.cooldown(`c${i}`, 1000);
      await store.acquire({
        cooldowns: [],
        windows: [{ key: `w${i}`, limit: 1, windowMs: 1000, amount: 1, id: `i${i}` }],
        budgets: [],
      });
    }
    expect(await store.acquire({ cooldowns: [], windows: [], budgets: [budget] })).toMatchObject({
      ok: false,
      kind: "budget",
      spent: 10,
    });
  });
});
