import { createProvider } from "@rephysco/core";
import { findPrice, validatePriceOverrides } from "@rephysco/core/http";
import { OPENAI_PRICES, OpenAIModels } from "@rephysco/openai";
import { describe, expect, it } from "vitest";

/** Known model ids left out of the sheet, each with the reason. */
const UNPRICED: Readonly<Record<string, string>> = {};

describe("OPENAI_PRICES", () => {
  it("is well formed: every price passes the client's validation", () => {
    expect(() => validatePriceOverrides({ x: OPENAI_PRICES.models })).not.toThrow();
  });

  it("is dated and names https sources", () => {
    expect(OPENAI_PRICES.asOf).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(Number.isNaN(Date.parse(OPENAI_PRICES.asOf))).toBe(false);
    expect(OPENAI_PRICES.sources.length).toBeGreaterThan(0);
    for (const url of OPENAI_PRICES.sources) expect(new URL(url).protocol).toBe("https:");
  });

  it("prices every known model id, or lists it as unpriced with a reason", () => {
    for (const id of Object.values(OpenAIModels)) {
      const priced = findPrice("p", [id], OPENAI_PRICES.models, undefined) !== undefined;
      expect({ id, accounted: priced || Boolean(UNPRICED[id]) }).toEqual({ id, accounted: true });
      expect({ id, both: priced && Boolean(UNPRICED[id]) }).toEqual({ id, both: false });
    }
  });

  it("lists as unpriced only known model ids", () => {
    const known = new Set<string>(Object.values(OpenAIModels));
    for (const id of Object.keys(UNPRICED)) expect(known.has(id)).toBe(true);
  });

  it("a dated or prefixed model id the provider answers with finds its base price", () => {
    const provider = createProvider("openai", { apiKey: "k-0123456789" });
    expect(provider.prices).toBe(OPENAI_PRICES);
    expect(
      findPrice("openai", ["gpt-4o-mini-2024-07-18"], provider.prices?.models, undefined),
    ).toBe(OPENAI_PRICES.models["gpt-4o-mini"]);
  });
});
