import { createProvider, hasProvider, listProviders } from "@rephysco/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { convertGeminiUsage } from "../src/convert-gemini-usage.js";
import { GEMINI_DEFAULT_MODEL } from "../src/gemini-models.js";
import { createGemini, GeminiModels, GeminiProvider } from "../src/index.js";
import { mapGeminiFinishReason } from "../src/map-gemini-finish-reason.js";
import { call, setup, TEST_KEY, user } from "./helpers.js";

let ctx: Awaited<ReturnType<typeof setup>>;
beforeAll(async () => {
  ctx = await setup();
});
afterAll(() => ctx.server.close());

describe("registry", () => {
  it('registers "gemini" on import, with what it needs to be found and configured', () => {
    expect(hasProvider("gemini")).toBe(true);
    expect(listProviders().find((p) => p.id === "gemini")).toEqual({
      id: "gemini",
      defaultModel: "gemini-2.5-flash",
      apiKeyEnvVars: ["GEMINI_API_KEY", "GOOGLE_API_KEY"],
      baseURLEnvVars: ["GEMINI_BASE_URL", "GOOGLE_GEMINI_BASE_URL"],
      packageName: "@rephysco/gemini",
    });
  });

  it("creates a working provider from the registry with typed settings", async () => {
    const p = createProvider("gemini", {
      apiKey: TEST_KEY,
      baseURL: ctx.server.url,
      maxImageBytes: 10,
    });
    expect(p).toBeInstanceOf(GeminiProvider);
    expect(p.name).toBe("gemini");
    expect(p.defaultModel).toBe(GEMINI_DEFAULT_MODEL);
    expect(p.capabilities).toEqual({
      images: true,
      reasoning: true,
      tools: true,
      structuredOutput: true,
    });
    const res = await p.generate([user("ping")], call());
    expect(res.content).toBe("Echo: ping");
  });

  it("createGemini builds a provider; the default base URL is Google's", () => {
    const p = createGemini({ apiKey: TEST_KEY });
    expect(p).toBeInstanceOf(GeminiProvider);
    expect(p.baseURL).toBe("https://generativelanguage.googleapis.com");
    expect(p.keyFingerprint).not.toContain(TEST_KEY);
  });

  it("exports the factory, the class, the model ids and the price sheet, nothing else", async () => {
    expect(Object.keys(await import("../src/index.js")).sort()).toEqual([
      "GEMINI_PRICES",
      "GeminiModels",
      "GeminiProvider",
      "createGemini",
    ]);
  });

  it("exports model constants, the seed's models included", () => {
    expect(GeminiModels).toMatchObject({
      GEMINI_1_5_PRO: "gemini-1.5-pro",
      GEMINI_2_0_FLASH: "gemini-2.0-flash",
      GEMINI_2_0_FLASH_LITE: "gemini-2.0-flash-lite",
      GEMINI_1_5_FLASH_8B: "gemini-1.5-flash-8b",
      GEMINI_2_5_FLASH: "gemini-2.5-flash",
      GEMINI_2_5_PRO: "gemini-2.5-pro",
      GEMINI_2_5_FLASH_LITE: "gemini-2.5-flash-lite",
    });
  });
});

describe("mapping helpers", () => {
  it("mapGeminiFinishReason", () => {
    expect(mapGeminiFinishReason(undefined)).toBeUndefined();
    expect(mapGeminiFinishReason("STOP")).toBe("stop");
    expect(mapGeminiFinishReason("MAX_TOKENS")).toBe("length");
    expect(mapGeminiFinishReason("SPII")).toBe("content_filter");
    expect(mapGeminiFinishReason("IMAGE_PROHIBITED_CONTENT")).toBe("content_filter");
    expect(mapGeminiFinishReason("NO_IMAGE")).toBe("other");
  });

  it("convertGeminiUsage", () => {
    expect(convertGeminiUsage(undefined)).toBeUndefined();
    expect(
      convertGeminiUsage({
        promptTokenCount: 9,
        candidatesTokenCount: 28,
        totalTokenCount: 281,
        thoughtsTokenCount: 244,
      }),
    ).toEqual({
      promptTokens: 9,
      // candidatesTokenCount + thoughtsTokenCount: every output token, reasoning included.
      completionTokens: 272,
      totalTokens: 281,
      reasoningTokens: 244,
      raw: {
        promptTokenCount: 9,
        candidatesTokenCount: 28,
        totalTokenCount: 281,
        thoughtsTokenCount: 244,
      },
    });
    // A blocked prompt reports no candidates count.
    expect(convertGeminiUsage({ promptTokenCount: 7, totalTokenCount: 7 })).toEqual({
      promptTokens: 7,
      completionTokens: 0,
      totalTokens: 7,
      raw: { promptTokenCount: 7, totalTokenCount: 7 },
    });
  });
});
