import { ALIYUN_PRICES, AliyunModels } from "@rephysco/aliyun";
import { createProvider } from "@rephysco/core";
import { findPrice } from "@rephysco/core/http";
import { describePriceSheet } from "@rephysco/testing";
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

describePriceSheet("ALIYUN_PRICES", {
  sheet: ALIYUN_PRICES,
  knownModels: Object.values(AliyunModels),
  unpriced: UNPRICED,
});

describe("ALIYUN_PRICES", () => {
  it("a dated or prefixed model id the provider answers with finds its base price", () => {
    const provider = createProvider("aliyun", { apiKey: "k-0123456789" });
    expect(provider.prices).toBe(ALIYUN_PRICES);
    expect(findPrice("aliyun", ["qwen-max-latest"], provider.prices?.models, undefined)).toBe(
      ALIYUN_PRICES.models["qwen-max"],
    );
  });
});
