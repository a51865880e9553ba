import { createProvider } from "@rephysco/core";
import { findPrice, validatePriceOverrides } from "@rephysco/core/http";
import { XAI_PRICES, XAIModels } from "@rephysco/xai";
import { describe, expect, it } from "vitest";

/** Known model ids left out of the sheet, each with the reason. */
const UNPRICED: Readonly<Record<string, string>> = {
  "grok-4": "no price read from docs.x.ai for Grok 4",
  "grok-4-0709": "no price read from docs.x.ai for Grok 4",
  "grok-4-latest": "no price read from docs.x.ai for Grok 4",
  "grok-4-fast-reasoning": "no price read from docs.x.ai for Grok 4 Fast",
  "grok-4-fast-non-reasoning": "no price read from docs.x.ai for Grok 4 Fast",
  "grok-code-fast-1": "no price read from docs.x.ai for Grok Code Fast",
  "grok-latest": "an alias xAI moves to the newest model: its price moves with it",
};

describe("XAI_PRICES", () => {
  it("is well formed: every price passes the client's validation", () => {
    expect(() => validatePriceOverrides({ x: XAI_PRICES.models })).not.toThrow();
  });

  it("is dated and names https sources", () => {
    expect(XAI_PRICES.asOf).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(Number.isNaN(Date.parse(XAI_PRICES.asOf))).toBe(false);
    expect(XAI_PRICES.sources.length).toBeGreaterThan(0);
    for (const url of XAI_PRICES.sources) expect(new URL(url).protocol).toBe("https:");
  });

  it("prices every known model id, or lists it as unpriced with a reason", () => {
    for (const id of Object.values(XAIModels)) {
      const priced = findPrice("p", [id], XAI_PRICES.models, undefined) !== undefined;
      expect({ id, accounted: priced || Boolean(UNPRICED[id]) }).toEqual({ id, accounted: true });
      expect({ id, both: priced && Boolean(UNPRICED[id]) }).toEqual({ id, both: false });
    }
  });

  it("lists as unpriced only known model ids", () => {
    const known = new Set<string>(Object.values(XAIModels));
    for (const id of Object.keys(UNPRICED)) expect(known.has(id)).toBe(true);
  });

  it("a dated or prefixed model id the provider answers with finds its base price", () => {
    const provider = createProvider("xai", { apiKey: "k-0123456789" });
    expect(provider.prices).toBe(XAI_PRICES);
    expect(findPrice("xai", ["grok-3-mini-latest"], provider.prices?.models, undefined)).toBe(
      XAI_PRICES.models["grok-3-mini"],
    );
  });
});
