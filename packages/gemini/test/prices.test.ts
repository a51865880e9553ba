import { createProvider } from "@rephysco/core";
import { findPrice } from "@rephysco/core/http";
import { GEMINI_PRICES, GeminiModels } from "@rephysco/gemini";
import { describePriceSheet } from "@rephysco/testing";
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

describePriceSheet("GEMINI_PRICES", {
  sheet: GEMINI_PRICES,
  knownModels: Object.values(GeminiModels),
  unpriced: UNPRICED,
});

describe("GEMINI_PRICES", () => {
  it("a dated or prefixed model id the provider answers with finds its base price", () => {
    const provider = createProvider("gemini", { apiKey: "k-0123456789" });
    expect(provider.prices).toBe(GEMINI_PRICES);
    expect(
      findPrice("gemini", ["models/gemini-2.5-flash"], provider.prices?.models, undefined),
    ).toBe(GEMINI_PRICES.models["gemini-2.5-flash"]);
  });
});
