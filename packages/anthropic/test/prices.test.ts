import { ANTHROPIC_PRICES, AnthropicModels } from "@rephysco/anthropic";
import { createProvider } from "@rephysco/core";
import { findPrice, validatePriceOverrides } from "@rephysco/core/http";
import { describe, expect, it } from "vitest";

/** Known model ids left out of the sheet, each with the reason. */
const UNPRICED: Readonly<Record<string, string>> = {};

describe("ANTHROPIC_PRICES", () => {
  it("is well formed: every price passes the client's validation", () => {
    expect(() => validatePriceOverrides({ x: ANTHROPIC_PRICES.models })).not.toThrow();
  });

  it("is dated and names https sources", () => {
    expect(ANTHROPIC_PRICES.asOf).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(Number.isNaN(Date.parse(ANTHROPIC_PRICES.asOf))).toBe(false);
    expect(ANTHROPIC_PRICES.sources.length).toBeGreaterThan(0);
    for (const url of ANTHROPIC_PRICES.sources) expect(new URL(url).protocol).toBe("https:");
  });

  it("prices every known model id, or lists it as unpriced with a reason", () => {
    for (const id of Object.values(AnthropicModels)) {
      const priced = findPrice("p", [id], ANTHROPIC_PRICES.models, undefined) !== undefined;
      expect({ id, accounted: priced || Boolean(UNPRICED[id]) }).toEqual({ id, accounted: true });
      expect({ id, both: priced && Boolean(UNPRICED[id]) }).toEqual({ id, both: false });
    }
  });

  it("lists as unpriced only known model ids", () => {
    const known = new Set<string>(Object.values(AnthropicModels));
    for (const id of Object.keys(UNPRICED)) expect(known.has(id)).toBe(true);
  });

  it("a dated or prefixed model id the provider answers with finds its base price", () => {
    const provider = createProvider("anthropic", { apiKey: "k-0123456789" });
    expect(provider.prices).toBe(ANTHROPIC_PRICES);
    expect(
      findPrice("anthropic", ["claude-sonnet-4-5-20250929"], provider.prices?.models, undefined),
    ).toBe(ANTHROPIC_PRICES.models["claude-sonnet-4-5"]);
  });
});
