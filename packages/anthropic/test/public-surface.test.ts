import * as entry from "@rephysco/anthropic";
import { createProvider, listProviders } from "@rephysco/core";
import { describe, expect, it } from "vitest";
import { ANTHROPIC_CONFIG } from "../src/anthropic-provider.js";

describe("public surface of @rephysco/anthropic", () => {
  it("exports the factory, the class, the model ids and the price sheet, nothing else", () => {
    expect(Object.keys(entry).sort()).toEqual([
      "ANTHROPIC_PRICES",
      "AnthropicModels",
      "AnthropicProvider",
      "createAnthropic",
    ]);
  });

  it("registers what its config declares, the provider's own defaults", () => {
    const info = listProviders().find((p) => p.id === "anthropic");
    expect(info).toEqual({
      id: "anthropic",
      defaultModel: ANTHROPIC_CONFIG.defaultModel,
      apiKeyEnvVars: ANTHROPIC_CONFIG.apiKeyEnvVars,
      baseURLEnvVars: ANTHROPIC_CONFIG.baseURLEnvVars,
      packageName: "@rephysco/anthropic",
    });
    expect(createProvider("anthropic", { apiKey: "k-0123456789" }).defaultModel).toBe(
      info?.defaultModel,
    );
  });
});
