import { createProvider } from "@rephysco/core";
import { findPrice } from "@rephysco/core/http";
import { OPENAI_PRICES, OpenAIModels } from "@rephysco/openai";
import { describePriceSheet } from "@rephysco/testing";
import { describe, expect, it } from "vitest";

/** Known model ids left out of the sheet, each with the reason. */
const UNPRICED: Readonly<Record<string, string>> = {};

describePriceSheet("OPENAI_PRICES", {
  sheet: OPENAI_PRICES,
  knownModels: Object.values(OpenAIModels),
  unpriced: UNPRICED,
});

describe("OPENAI_PRICES", () => {
  it("a dated or prefixed model id the provider answers with finds its base price", () => {
    const provider = createProvider("openai", { apiKey: "k-0123456789" });
    expect(provider.prices).toBe(OPENAI_PRICES);
    expect(
      findPrice("openai", ["gpt-4o-mini-2024-07-18"], provider.prices?.models, undefined),
    ).toBe(OPENAI_PRICES.models["gpt-4o-mini"]);
  });
});
