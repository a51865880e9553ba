import { createProvider } from "@rephysco/core";
import { findPrice, validatePriceOverrides } from "@rephysco/core/http";
import { GEMINI_PRICES, GeminiModels } from "@rephysco/gemini";
import { describe, expect, it } from "vitest";

/** Known model ids left out of the sheet, each with the reason. */
const UNPRICED: Readonly<Record<string, string>> = {
  "gemini-2.0-flash": "shut down 2026-06-01; the pricing page no longer lists it",
  "gemini-2.0-flash-lite": "shut down 2026-06-01; the pricing page no longer lists it",
  "gemini-1.5-pro": "retired; not on the pricing page",
  "gemini-1.5-flash": "retired; not on the pricing page",
  "gemini-1.5-flash-8b": "retired; not on the pricing page",
  "gemini-flash-latest": "an alias Google moves to the newest Flash: its price moves with it",
  "gemini-flash-lite-latest":
    "an alias Google moves to the newest Flash-Lite: its price moves with it",
};

describe("GEMINI_PRICES", () => {
  it("is well formed: every price passes the client's validation", () => {
    expect(() => validatePriceOverrides({ x: GEMINI_PRICES.models })).not.toThrow();
  });

  it("is dated and names https sources", () => {
    expect(GEMINI_PRICES.asOf).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(Number.isNaN(Date.parse(GEMINI_PRICES.asOf))).toBe(false);
    expect(GEMINI_PRICES.sources.length).toBeGreaterThan(0);
    for (const url of GEMINI_PRICES.sources) expect(new URL(url).protocol).toBe("https:");
  });

  it("prices every known model id, or lists it as unpriced with a reason", () => {
    for (const id of Object.values(GeminiModels)) {
      const priced = findPrice("p", [id], GEMINI_PRICES.models, undefined) !== undefined;
      expect({ id, accounted: priced || Boolean(UNPRICED[id]) }).toEqual({ id, accounted: true });
      expect({ id, both: priced && Boolean(UNPRICED[id]) }).toEqual({ id, both: false });
    }
  });

  it("lists as unpriced only known model ids", () => {
    const known = new Set<string>(Object.values(GeminiModels));
    for (const id of Object.keys(UNPRICED)) expect(known.has(id)).toBe(true);
  });

  it("a dated or prefixed model id the provider answers with finds its base price", () => {
    const provider = createProvider("gemini", { apiKey: "k-0123456789" });
    expect(provider.prices).toBe(GEMINI_PRICES);
    expect(
      findPrice("gemini", ["models/gemini-2.5-flash"], provider.prices?.models, undefined),
    ).toBe(GEMINI_PRICES.models["gemini-2.5-flash"]);
  });
});
