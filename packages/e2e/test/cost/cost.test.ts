/**
 * Cost end to end, over the mock server: the price sheet that ships with @rephysco/openai times the
 * usage the response reports. Every expectation is computed here from the sheet's numbers and
 * `response.usage` (the normalized usage), never hard-coded, so a change to how usage is mapped
 * or to a price keeps these tests meaningful.
 */
import type { Cost, ModelPrice, RephyscoEvent, Usage } from "@rephysco/core";
import { memoryStore, tool } from "@rephysco/core";
import { OPENAI_PRICES } from "@rephysco/openai";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { openaiClient, useMockServer } from "../helpers.js";

const ctx = useMockServer();

const M = 1e6;

/** The cost of `usage` at `price` (no long-context tier: these prompts are small). */
function expected(usage: Usage, price: ModelPrice): Cost {
  const cached = usage.cachedPromptTokens ?? 0;
  const writes = usage.cacheWriteTokens ?? 0;
  const parts = {
    input: ((usage.promptTokens - cached - writes) * price.input) / M,
    cachedInput: (cached * (price.cachedInput ?? price.input)) / M,
    cacheWrite: (writes * (price.cacheWrite ?? price.input)) / M,
    output: (usage.completionTokens * price.output) / M,
    reasoning: 0,
  };
  return {
    ...parts,
    total: parts.input + parts.cachedInput + parts.cacheWrite + parts.output,
    currency: "USD",
    source: "prices",
  };
}

function expectCost(actual: Cost | undefined, want: Cost): void {
  expect(actual).toBeDefined();
  expect(actual!.source).toBe(want.source);
  expect(actual!.currency).toBe("USD");
  for (const k of ["total", "input", "cachedInput", "cacheWrite", "output", "reasoning"] as const)
    expect(actual![k]).toBeCloseTo(want[k], 12);
}

const MINI = OPENAI_PRICES.models["gpt-4o-mini"]!;

describe("cost from the provider's price sheet", () => {
  it("generate on a priced model returns cost with its parts", async () => {
    const { server } = ctx;
    server.enqueue({ text: "Hello.", usage: { promptTokens: 1200, completionTokens: 300 } });
    const { client } = openaiClient(server);
    const r = await client.generate("Hi");
    expect(r.usage).toBeDefined();
    expectCost(r.cost, expected(r.usage!, MINI));
    expect(r.cost!.total).toBeGreaterThan(0);
  });

  it("a stream's usage chunk carries the cost, and the finish event too", async () => {
    const { server } = ctx;
    server.enqueue({
      chunks: ["One", " two"],
      usage: { promptTokens: 800, completionTokens: 150 },
    });
    const { client, events } = openaiClient(server);
    let usage: Usage | undefined;
    let cost: Cost | undefined;
    for await (const c of client.stream("Hi")) {
      if (c.usage) usage = c.usage;
      if (c.cost) cost = c.cost;
    }
    expect(usage).toBeDefined();
    const want = expected(usage!, MINI);
    expectCost(cost, want);
    const finish = events.find(
      (e): e is Extract<RephyscoEvent, { type: "finish" }> => e.type === "finish",
    );
    expectCost(finish?.cost, want);
  });

  it("a dated model id the server answers with finds its base price", async () => {
    const { server } = ctx;
    server.enqueue({
      text: "ok",
      model: "gpt-4o-mini-2024-07-18",
      usage: { promptTokens: 100, completionTokens: 10 },
    });
    const { client } = openaiClient(server);
    const r = await client.generate("Hi");
    expect(r.model).toBe("gpt-4o-mini-2024-07-18");
    expectCost(r.cost, expected(r.usage!, MINI));
  });

  it("an unknown model has cost undefined, never 0", async () => {
    const { server } = ctx;
    server.enqueue({ text: "ok", usage: { promptTokens: 100, completionTokens: 10 } });
    const { client } = openaiClient(server, { model: "my-fine-tune-x" });
    const r = await client.generate("Hi");
    expect(r.usage).toBeDefined();
    expect(r.cost).toBeUndefined();
  });
});

describe("the client's prices option", () => {
  it("overrides the sheet's price of a model", async () => {
    const { server } = ctx;
    server.enqueue({ text: "ok", usage: { promptTokens: 1000, completionTokens: 100 } });
    const mine: ModelPrice = { input: 1, output: 2 };
    const { client } = openaiClient(server, { prices: { openai: { "gpt-4o-mini": mine } } });
    const r = await client.generate("Hi");
    expectCost(r.cost, expected(r.usage!, mine));
  });

  it("extends the sheet with a model it does not know", async () => {
    const { server } = ctx;
    server.enqueue({ text: "ok", usage: { promptTokens: 1000, completionTokens: 100 } });
    const mine: ModelPrice = { input: 0.5, cachedInput: 0.1, output: 1.5 };
    const { client } = openaiClient(server, {
      model: "my-fine-tune-x",
      prices: { openai: { "my-fine-tune-x": mine }, "my-llm": { "m-1": { input: 1, output: 1 } } },
    });
    const r = await client.generate("Hi");
    expectCost(r.cost, expected(r.usage!, mine));
  });

  it("null removes a model's price: cost undefined", async () => {
    const { server } = ctx;
    server.enqueue({ text: "ok", usage: { promptTokens: 1000, completionTokens: 100 } });
    const { client } = openaiClient(server, { prices: { openai: { "gpt-4o-mini": null } } });
    const r = await client.generate("Hi");
    expect(r.usage).toBeDefined();
    expect(r.cost).toBeUndefined();
  });
});

describe("cost with the cache", () => {
  it("a cache hit costs 0, with source cache", async () => {
    const { server } = ctx;
    server.enqueue({ text: "ok", usage: { promptTokens: 500, completionTokens: 50 } });
    const { client } = openaiClient(server, { cache: memoryStore() });
    const first = await client.generate("Same question");
    await client.flush();
    const second = await client.generate("Same question");
    expect(second.cached).toBe(true);
    expectCost(first.cost, expected(first.usage!, MINI));
    expect(second.cost).toMatchObject({ total: 0, source: "cache" });
    expect(server.requests).toHaveLength(1);
  });

  it("two identical calls in flight are charged once: the other is shared, total 0", async () => {
    const { server } = ctx;
    server.enqueue({
      text: "ok",
      delayMs: 100,
      usage: { promptTokens: 500, completionTokens: 50 },
    });
    const { client } = openaiClient(server, { cache: memoryStore() });
    const [a, b] = await Promise.all([client.generate("In flight"), client.generate("In flight")]);
    expect(server.requests).toHaveLength(1);
    const sources = [a.cost?.source, b.cost?.source].sort();
    expect(sources).toEqual(["prices", "shared"]);
    const charged = a.cost?.source === "prices" ? a : b;
    const shared = charged === a ? b : a;
    expectCost(charged.cost, expected(charged.usage!, MINI));
    expect(shared.cost).toMatchObject({ total: 0, source: "shared" });
  });
});

describe("cost of a tool loop", () => {
  it("each step has its own cost and the answer's cost is their sum", async () => {
    const { server } = ctx;
    server.enqueue({
      toolCalls: [{ id: "c1", name: "get_weather", arguments: { city: "Paris" } }],
      usage: { promptTokens: 400, completionTokens: 20 },
    });
    server.enqueue({ text: "Sunny in Paris.", usage: { promptTokens: 450, completionTokens: 30 } });
    const weather = tool({
      description: "Current weather in a city",
      parameters: z.object({ city: z.string() }),
      execute: ({ city }) => `sunny in ${city}`,
    });
    const { client } = openaiClient(server);
    const r = await client.generate("Weather?", { tools: { get_weather: weather }, maxSteps: 3 });
    expect(r.steps).toHaveLength(2);
    let total = 0;
    for (const step of r.steps!) {
      expect(step.usage).toBeDefined();
      const want = expected(step.usage!, MINI);
      expectCost(step.cost, want);
      total += want.total;
    }
    expect(r.cost?.total).toBeCloseTo(total, 12);
    expect(r.cost?.input).toBeCloseTo(
      r.steps!.reduce((s, x) => s + x.cost!.input, 0),
      12,
    );
  });
});
