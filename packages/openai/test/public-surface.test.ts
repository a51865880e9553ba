import { createProvider, listProviders } from "@rephysco/core";
import * as entry from "@rephysco/openai";
import * as compatible from "@rephysco/openai/compatible";
import { describe, expect, it } from "vitest";
import { OPENAI_CONFIG } from "../src/openai-provider.js";

describe("public surface of @rephysco/openai", () => {
  it("exports the factory, the class, the model ids and the price sheet, nothing else", () => {
    expect(Object.keys(entry).sort()).toEqual([
      "OPENAI_PRICES",
      "OpenAIModels",
      "OpenAIProvider",
      "createOpenAI",
    ]);
  });

  it("/compatible exports the compatible base (its class and factory) and no helpers", () => {
    expect(Object.keys(compatible).sort()).toEqual([
      "OpenAICompatibleProvider",
      "createOpenAICompatible",
    ]);
  });

  it("registers what its config declares, the provider's own defaults", () => {
    const info = listProviders().find((p) => p.id === "openai");
    expect(info).toEqual({
      id: "openai",
      defaultModel: OPENAI_CONFIG.defaultModel,
      apiKeyEnvVars: OPENAI_CONFIG.apiKeyEnvVars,
      baseURLEnvVars: OPENAI_CONFIG.baseURLEnvVars,
      packageName: "@rephysco/openai",
    });
    expect(createProvider("openai", { apiKey: "k-0123456789" }).defaultModel).toBe(
      info?.defaultModel,
    );
  });
});
