import { createProvider } from "@rephysco/core";
import { findPrice } from "@rephysco/core/http";
import { describePriceSheet } from "@rephysco/testing";
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

describePriceSheet("XAI_PRICES", {
  sheet: XAI_PRICES,
  knownModels: Object.values(XAIModels),
  unpriced: UNPRICED,
});

describe("XAI_PRICES", () => {
  it("a dated or prefixed model id the provider answers with finds its base price", () => {
    const provider = createProvider("xai", { apiKey: "k-0123456789" });
    expect(provider.prices).toBe(XAI_PRICES);
    expect(findPrice("xai", ["grok-3-mini-latest"], provider.prices?.models, undefined)).toBe(
      XAI_PRICES.models["grok-3-mini"],
    );
  });
});
