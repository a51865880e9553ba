import { createProvider, listProviders } from "@rephysco/core";
import * as entry from "@rephysco/siliconflow";
import { describe, expect, it } from "vitest";
import { SILICONFLOW_CONFIG } from "../src/siliconflow-provider.js";

describe("public surface of @rephysco/siliconflow", () => {
  it("exports the factory, the class, the model ids and the price sheet, nothing else", () => {
    expect(Object.keys(entry).sort()).toEqual([
      "SILICONFLOW_PRICES",
      "SiliconFlowModels",
      "SiliconFlowProvider",
      "createSiliconFlow",
    ]);
  });

  it("registers what its config declares, the provider's own defaults", () => {
    const info = listProviders().find((p) => p.id === "silicon_flow");
    expect(info).toEqual({
      id: "silicon_flow",
      defaultModel: SILICONFLOW_CONFIG.defaultModel,
      apiKeyEnvVars: SILICONFLOW_CONFIG.apiKeyEnvVars,
      baseURLEnvVars: SILICONFLOW_CONFIG.baseURLEnvVars,
      packageName: "@rephysco/siliconflow",
    });
    expect(createProvider("silicon_flow", { apiKey: "k-0123456789" }).defaultModel).toBe(
      info?.defaultModel,
    );
  });
});
