import { createProvider } from "@rephysco/core";
import { SILICONFLOW_PRICES, SiliconFlowModels } from "@rephysco/siliconflow";
import { describePriceSheet } from "@rephysco/testing";
import { describe, expect, it } from "vitest";

// No USD price could be read from siliconflow.com: every model is unpriced.
const UNPRICED: Readonly<Record<string, string>> = Object.fromEntries(
  Object.values(SiliconFlowModels).map((id) => [id, "no USD price read from siliconflow.com"]),
);

describePriceSheet("SILICONFLOW_PRICES", {
  sheet: SILICONFLOW_PRICES,
  knownModels: Object.values(SiliconFlowModels),
  unpriced: UNPRICED,
});

describe("SILICONFLOW_PRICES", () => {
  it("is the provider's table", () => {
    expect(createProvider("silicon_flow", { apiKey: "k-0123456789" }).prices).toBe(
      SILICONFLOW_PRICES,
    );
  });
});
