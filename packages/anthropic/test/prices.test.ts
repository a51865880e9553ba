import { ANTHROPIC_PRICES, AnthropicModels } from "@rephysco/anthropic";
import { createProvider } from "@rephysco/core";
import { findPrice } from "@rephysco/core/http";
import { describePriceSheet } from "@rephysco/testing";
import { describe, expect, it } from "vitest";

/** Known model ids left out of the sheet, each with the reason. */
const UNPRICED: Readonly<Record<string, string>> = {};

describePriceSheet("ANTHROPIC_PRICES", {
  sheet: ANTHROPIC_PRICES,
  knownModels: Object.values(AnthropicModels),
  unpriced: UNPRICED,
});

describe("ANTHROPIC_PRICES", () => {
  it("a dated or prefixed model id the provider answers with finds its base price", () => {
    const provider = createProvider("anthropic", { apiKey: "k-0123456789" });
    expect(provider.prices).toBe(ANTHROPIC_PRICES);
    expect(
      findPrice("anthropic", ["claude-sonnet-4-5-20250929"], provider.prices?.models, undefined),
    ).toBe(ANTHROPIC_PRICES.models["claude-sonnet-4-5"]);
  });
});
