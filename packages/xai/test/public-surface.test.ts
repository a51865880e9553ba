import { createProvider, listProviders } from "@rephysco/core";
import * as entry from "@rephysco/xai";
import { describe, expect, it } from "vitest";
import { XAI_CONFIG } from "../src/xai-provider.js";

describe("public surface of @rephysco/xai", () => {
  it("exports the factory, the class, the model ids and the price sheet, nothing else", () => {
    expect(Object.keys(entry).sort()).toEqual([
      "XAIModels",
      "XAIProvider",
      "XAI_PRICES",
      "createXAI",
    ]);
  });

  it("registers what its config declares, the provider's own defaults", () => {
    const info = listProviders().find((p) => p.id === "xai");
    expect(info).toEqual({
      id: "xai",
      defaultModel: XAI_CONFIG.defaultModel,
      apiKeyEnvVars: XAI_CONFIG.apiKeyEnvVars,
      baseURLEnvVars: XAI_CONFIG.baseURLEnvVars,
      packageName: "@rephysco/xai",
    });
    expect(createProvider("xai", { apiKey: "k-0123456789" }).defaultModel).toBe(info?.defaultModel);
  });
});
