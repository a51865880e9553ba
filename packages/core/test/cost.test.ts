import { describe, expect, it } from "vitest";
import {
  addCost,
  CACHED_COST,
  computeCost,
  findPrice,
  validatePriceOverrides,
} from "../src/cost.js";
import { ConfigurationError } from "../src/errors.js";
import { usageOf } from "../src/http/usage.js";
import type { ModelPrice, Usage } from "../src/types.js";

const usage = (u: Partial<Usage> & { promptTokens: number; completionTokens: number }): Usage => ({
  totalTokens: u.promptTokens + u.completionTokens,
  ...u,
});

describe("computeCost", () => {
  it("prices uncached input, cached reads, cache writes, output and reasoning apart", () => {
    const price: ModelPrice = {
      input: 3,
      cachedInput: 0.3,
      cacheWrite: 3.75,
      output: 15,
      reasoning: 20,
    };
    const c = computeCost(
      usage({
        promptTokens: 10_000,
        cachedPromptTokens: 4_000,
        cacheWriteTokens: 1_000,
        completionTokens: 2_000,
        reasoningTokens: 500,
      }),
      price,
    );
    expect(c.input).toBeCloseTo((5_000 * 3) / 1e6, 12);
    expect(c.cachedInput).toBeCloseTo((4_000 * 0.3) / 1e6, 12);
    expect(c.cacheWrite).toBeCloseTo((1_000 * 3.75) / 1e6, 12);
    expect(c.output).toBeCloseTo((1_500 * 15) / 1e6, 12);
    expect(c.reasoning).toBeCloseTo((500 * 20) / 1e6, 12);
    expect(c.total).toBeCloseTo(
      c.input + c.cachedInput + c.cacheWrite + c.output + c.reasoning,
      12,
    );
    expect(c).toMatchObject({ currency: "USD", source: "prices" });
  });

  it("charges reasoning as output when the price names no reasoning rate", () => {
    const c = computeCost(
      usage({ promptTokens: 0, completionTokens: 1_000, reasoningTokens: 600 }),
      { input: 1, output: 10 },
    );
    expect(c.reasoning).toBe(0);
    expect(c.output).toBeCloseTo(0.01, 12);
  });

  it("falls back to the input rate for cached reads and writes without their own rate", () => {
    const c = computeCost(
      usage({ promptTokens: 1_000_000, cachedPromptTokens: 500_000, completionTokens: 0 }),
      { input: 2, output: 8 },
    );
    expect(c.input).toBeCloseTo(1, 12);
    expect(c.cachedInput).toBeCloseTo(1, 12);
    expect(c.total).toBeCloseTo(2, 12);
  });

  it("applies long-context rates to the whole request above the threshold only", () => {
    const price: ModelPrice = {
      input: 1.25,
      output: 10,
      longContext: { threshold: 200_000, input: 2.5, output: 15 },
    };
    const at = computeCost(usage({ promptTokens: 200_000, completionTokens: 1_000 }), price);
    const above = computeCost(usage({ promptTokens: 200_001, completionTokens: 1_000 }), price);
    expect(at.input).toBeCloseTo(0.25, 12);
    expect(above.input).toBeCloseTo((200_001 * 2.5) / 1e6, 12);
    expect(above.output).toBeCloseTo(0.015, 12);
  });
});

describe("findPrice", () => {
  const table = {
    "gpt-4o": { input: 2.5, output: 10 },
    "gpt-4o-mini": { input: 0.15, output: 0.6 },
    "gemini-2.5-flash": { input: 0.3, output: 2.5 },
    "claude-sonnet-4-5": { input: 3, output: 15 },
  };

  it("finds exact ids, dated ids, and Gemini's models/ prefix, never a shorter sibling", () => {
    expect(findPrice("openai", ["gpt-4o-mini"], table, undefined)).toBe(table["gpt-4o-mini"]);
    expect(findPrice("openai", ["gpt-4o-mini-2024-07-18"], table, undefined)).toBe(
      table["gpt-4o-mini"],
    );
    expect(findPrice("openai", ["gpt-4o-2024-08-06"], table, undefined)).toBe(table["gpt-4o"]);
    expect(findPrice("anthropic", ["claude-sonnet-4-5-20250929"], table, undefined)).toBe(
      table["claude-sonnet-4-5"],
    );
    expect(findPrice("gemini", ["models/gemini-2.5-flash"], table, undefined)).toBe(
      table["gemini-2.5-flash"],
    );
    // A model the table does not know is unknown, even when a prefix of it is known.
    expect(findPrice("openai", ["gpt-4o-audio-preview"], table, undefined)).toBeUndefined();
    expect(findPrice("openai", ["gpt-4"], table, undefined)).toBeUndefined();
  });

  it("tries the answering model, then the asked one", () => {
    expect(findPrice("openai", ["some-snapshot", "gpt-4o"], table, undefined)).toBe(
      table["gpt-4o"],
    );
    expect(findPrice("openai", [undefined, "gpt-4o"], table, undefined)).toBe(table["gpt-4o"]);
  });

  it("lets overrides win, extend, and remove (null)", () => {
    const mine = { input: 1, output: 1 };
    const overrides = {
      openai: { "gpt-4o": mine, "gpt-4o-mini": null, "my-finetune": { input: 5, output: 5 } },
    };
    expect(findPrice("openai", ["gpt-4o-2024-08-06"], table, overrides)).toBe(mine);
    expect(findPrice("openai", ["gpt-4o-mini"], table, overrides)).toBeUndefined();
    expect(findPrice("openai", ["my-finetune"], table, overrides)).toEqual({ input: 5, output: 5 });
    expect(findPrice("other", ["gpt-4o"], undefined, overrides)).toBeUndefined();
  });

  it("lets an override of the asked id win over the table's price of the answered id", () => {
    const sheet = { "claude-3-7-sonnet": { input: 3, output: 15 } };
    const mine = { input: 1, output: 1 };
    // The provider answers with a dated id that strips to a priced base id; the user priced
    // (or removed) the alias they asked for: theirs wins.
    const models = ["claude-3-7-sonnet-20250219", "claude-3-7-sonnet-latest"];
    expect(
      findPrice("anthropic", models, sheet, { anthropic: { "claude-3-7-sonnet-latest": mine } }),
    ).toBe(mine);
    expect(
      findPrice("anthropic", models, sheet, { anthropic: { "claude-3-7-sonnet-latest": null } }),
    ).toBeUndefined();
    expect(findPrice("anthropic", models, sheet, { anthropic: {} })).toBe(
      sheet["claude-3-7-sonnet"],
    );
  });

  it("ignores inherited keys", () => {
    expect(findPrice("openai", ["constructor"], table, undefined)).toBeUndefined();
    expect(findPrice("__proto__", ["toString"], table, {})).toBeUndefined();
  });
});

describe("addCost", () => {
  it("sums parts and is unknown when either side is", () => {
    const a = computeCost(usage({ promptTokens: 1_000, completionTokens: 100 }), {
      input: 1,
      output: 2,
    });
    const sum = addCost(a, a)!;
    expect(sum.total).toBeCloseTo(2 * a.total, 12);
    expect(sum.input).toBeCloseTo(2 * a.input, 12);
    expect(addCost(a, undefined)).toBeUndefined();
    expect(addCost(undefined, a)).toBeUndefined();
    expect(addCost(a, CACHED_COST)!.total).toBeCloseTo(a.total, 12);
  });
});

describe("validatePriceOverrides", () => {
  it("accepts tables, null removals and long-context prices", () => {
    const o = {
      openai: {
        a: { input: 0, output: 0 },
        b: null,
        c: { input: 1, output: 2, longContext: { threshold: 10, input: 2, output: 4 } },
      },
    };
    expect(validatePriceOverrides(o)).toBe(o);
    expect(validatePriceOverrides(undefined)).toBeUndefined();
  });

  it.each([
    [[], "prices must be an object"],
    [{ openai: 3 }, "prices.openai must be an object"],
    [{ openai: { m: { input: -1, output: 1 } } }, 'prices.openai["m"].input'],
    [{ openai: { m: { input: 1 } } }, 'prices.openai["m"].output'],
    [{ openai: { m: { input: 1, output: Number.NaN } } }, 'prices.openai["m"].output'],
    [{ openai: { m: { input: 1, output: 1, cachedInput: "0.5" } } }, "cachedInput"],
    [{ openai: { m: { input: 1, output: 1, longContext: { input: 1, output: 1 } } } }, "threshold"],
  ])("refuses %j, naming the entry", (value, message) => {
    expect(() => validatePriceOverrides(value)).toThrow(ConfigurationError);
    expect(() => validatePriceOverrides(value)).toThrow(message);
  });
});

describe("usageOf", () => {
  it("totals prompt and completion, keeps reported parts within their totals, and raw", () => {
    const raw = { prompt_tokens: 10 };
    expect(
      usageOf({
        promptTokens: 10,
        completionTokens: 5,
        cachedPromptTokens: 4,
        reasoningTokens: 9,
        raw,
      }),
    ).toEqual({
      promptTokens: 10,
      completionTokens: 5,
      totalTokens: 15,
      cachedPromptTokens: 4,
      reasoningTokens: 5,
      raw,
    });
  });

  it("makes bad counts 0 and drops bad parts", () => {
    expect(
      usageOf({
        promptTokens: "7",
        completionTokens: Number.POSITIVE_INFINITY,
        cachedPromptTokens: -1,
        cacheWriteTokens: null,
        raw: [1],
      }),
    ).toEqual({ promptTokens: 0, completionTokens: 0, totalTokens: 0 });
  });
});
