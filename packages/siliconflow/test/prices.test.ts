import { createProvider } from "@rephysco/core";
import { findPrice, validatePriceOverrides } from "@rephysco/core/http";
import { SILICONFLOW_PRICES, SiliconFlowModels } from "@rephysco/siliconflow";
import { describe, expect, it } from "vitest";

// No USD price could be read from siliconflow.com: every model is unpriced.
const UNPRICED: Readonly<Record<string, string>> = Object.fromEntries(
  Object.values(SiliconFlowModels).map((id) => [id, "no USD price read from siliconflow.com"]),
);

describe("SILICONFLOW_PRICES", () => {
  it("is well formed: every price passes the client's validation", () => {
    expect(() => validatePriceOverrides({ x: SILICONFLOW_PRICES.models })).not.toThrow();
  });

  it("is dated and names https sources", () => {
    expect(SILICONFLOW_PRICES.asOf).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(Number.isNaN(Date.parse(SILICONFLOW_PRICES.asOf))).toBe(false);
    expect(SILICONFLOW_PRICES.sources.length).toBeGreaterThan(0);
    for (const url of SILICONFLOW_PRICES.sources) expect(new URL(url).protocol).toBe("https:");
  });

  it("prices every known model id, or lists it as unpriced with a reason", () => {
    for (const id of Object.values(SiliconFlowModels)) {
      const priced = findPrice("p", [id], SILICONFLOW_PRICES.models, undefined) !== undefined;
      expect({ id, accounted: priced || Boolean(UNPRICED[id]) }).toEqual({ id, accounted: true });
      expect({ id, both: priced && Boolean(UNPRICED[id]) }).toEqual({ id, both: false });
    }
  });

  it("lists as unpriced only known model ids", () => {
    const known = new Set<string>(Object.values(SiliconFlowModels));
    for (const id of Object.keys(UNPRICED)) expect(known.has(id)).toBe(true);
  });

  it("is the provider's table", () => {
    expect(createProvider("silicon_flow", { apiKey: "k-0123456789" }).prices).toBe(
      SILICONFLOW_PRICES,
    );
  });
});
