import * as entry from "@rephysco/aliyun";
import { createProvider, listProviders } from "@rephysco/core";
import { describe, expect, it } from "vitest";
import { ALIYUN_CONFIG } from "../src/aliyun-provider.js";

describe("public surface of @rephysco/aliyun", () => {
  it("exports the factory, the class, the model ids and the price sheet, nothing else", () => {
    expect(Object.keys(entry).sort()).toEqual([
      "ALIYUN_PRICES",
      "AliyunModels",
      "AliyunProvider",
      "createAliyun",
    ]);
  });

  it("registers what its config declares, the provider's own defaults", () => {
    const info = listProviders().find((p) => p.id === "aliyun");
    expect(info).toEqual({
      id: "aliyun",
      defaultModel: ALIYUN_CONFIG.defaultModel,
      apiKeyEnvVars: ALIYUN_CONFIG.apiKeyEnvVars,
      baseURLEnvVars: ALIYUN_CONFIG.baseURLEnvVars,
      packageName: "@rephysco/aliyun",
    });
    expect(createProvider("aliyun", { apiKey: "k-0123456789" }).defaultModel).toBe(
      info?.defaultModel,
    );
  });
});
