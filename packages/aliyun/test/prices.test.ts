import { ALIYUN_PRICES, AliyunModels } from "@rephysco/aliyun";
import { createProvider } from "@rephysco/core";
import { findPrice, validatePriceOverrides } from "@rephysco/core/http";
import { describe, expect, it } from "vitest";

/** Known model ids left out of the sheet, each with the reason. */
const UNPRICED: Readonly<Record<string, string>> = {
  "qwen-flash": "no international USD price read",
  "qwen3-max": "no international USD price read",
  "qwen-omni-turbo": "no international USD price read",
  "qwq-plus": "no international USD price read",
  "qwen-vl-max": "no international USD price read",
  "qwen-vl-plus": "no international USD price read",
  "deepseek-r1": "no international USD price read",
  "deepseek-v3": "no international USD price read",
};

describe("ALIYUN_PRICES", () => {
  it("is well formed: every price passes the client's validation", () => {
    expect(() => validatePriceOverrides({ x: ALIYUN_PRICES.models })).not.toThrow();
  });

  it("is dated and names https sources", () => {
    expect(ALIYUN_PRICES.asOf).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(Number.isNaN(Date.parse(ALIYUN_PRICES.asOf))).toBe(false);
    expect(ALIYUN_PRICES.sources.length).toBeGreaterThan(0);
    for (const url of ALIYUN_PRICES.sources) expect(new URL(url).protocol).toBe("https:");
  });

  it("prices every known model id, or lists it as unpriced with a reason", () => {
    for (const id of Object.values(AliyunModels)) {
      const priced = findPrice("p", [id], ALIYUN_PRICES.models, undefined) !== undefined;
      expect({ id, accounted: priced || Boolean(UNPRICED[id]) }).toEqual({ id, accounted: true });
      expect({ id, both: priced && Boolean(UNPRICED[id]) }).toEqual({ id, both: false });
    }
  });

  it("lists as unpriced only known model ids", () => {
    const known = new Set<string>(Object.values(AliyunModels));
    for (const id of Object.keys(UNPRICED)) expect(known.has(id)).toBe(true);
  });

  it("a dated or prefixed model id the provider answers with finds its base price", () => {
    const provider = createProvider("aliyun", { apiKey: "k-0123456789" });
    expect(provider.prices).toBe(ALIYUN_PRICES);
    expect(findPrice("aliyun", ["qwen-max-latest"], provider.prices?.models, undefined)).toBe(
      ALIYUN_PRICES.models["qwen-max"],
    );
  });
});
