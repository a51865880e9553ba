import {
  BudgetExceededError,
  ConfigurationError,
  QuotaExceededError,
  RateLimitError,
  type RephyscoEvent,
} from "@rephysco/core";
import { caught, createFakeProvider } from "@rephysco/testing";
import { describe, expect, it } from "vitest";
import { estimateTokens, type LimitsOptions, limits, memoryLimitStore } from "../src/index.js";
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
    ["maxWaitMs", { maxWaitMs: -1 }, "maxWaitMs must be a number of ms >= 0; got -1"],
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
    const arrivals: number[] = [];
    const fake = createFakeProvider({
      defaultReply: () => {
        arrivals.push(performance.now());
        return { text: "ok" };
      },
    });
    const { client, events } = clientWith(
      fake,
      limits({ rateLimits: [{ requests: 3, windowMs: 300, per: "global" }] }),
    );
    const started = performance.now();
    await Promise.all(Array.from({ length: 12 }, () => client.generate("hi")));
    const elapsed = performance.now() - started;
    expect(arrivals).toHaveLength(12);
    // The limiter admits at most 3 per 300 ms at its own clock; arrivals at the provider come a
    // moment after admission, so a span a little shorter than the window is checked.
    expect(maxInSpan(arrivals, 280)).toBeLessThanOrEqual(3);
    // 12 requests at 3 per 300 ms need at least three full windows.
    expect(elapsed).toBeGreaterThanOrEqual(880);
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
    const { client } = clientWith(
      fake,
      limits({ cooldowns: false, rateLimits: [{ requests: 1, provider: "nobody" }] }),
    );
    for (let i = 0; i < 3; i++) await client.generate("x");
    expect(fake.calls).toHaveLength(3);
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
