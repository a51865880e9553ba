import type { FinishPart, StreamPart } from "@rephysco/core";
import type { MockServer } from "@rephysco/testing";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { GeminiProvider } from "../src/index.js";
import { call, setup, user } from "./helpers.js";

// Gemini counts apart what the other providers count together: totalTokenCount =
// promptTokenCount (cached content included) + toolUsePromptTokenCount + candidatesTokenCount
// + thoughtsTokenCount (google-text.json: 9 + 28 + 244 = 281).
let server: MockServer;
let provider: GeminiProvider;

beforeAll(async () => {
  ({ server, provider } = await setup());
});
beforeEach(() => server.reset());
afterAll(() => server.close());

async function finishOf(stream: AsyncIterable<StreamPart>): Promise<FinishPart> {
  let finish: FinishPart | undefined;
  for await (const part of stream) if (part.type === "finish") finish = part;
  return finish!;
}

describe("Gemini usage", () => {
  it("generate: thoughts within the completion, the total is Gemini's total (google-text.json)", async () => {
    server.enqueue({
      reasoning: "Count.",
      text: "There are 3 r's.",
      usage: { promptTokens: 9, completionTokens: 28, reasoningTokens: 244 },
    });
    const res = await provider.generate([user("How many r's?")], call());
    expect(res.usage).toEqual({
      promptTokens: 9,
      completionTokens: 272,
      totalTokens: 281,
      reasoningTokens: 244,
      raw: {
        promptTokenCount: 9,
        candidatesTokenCount: 28,
        totalTokenCount: 281,
        promptTokensDetails: [{ modality: "TEXT", tokenCount: 9 }],
        thoughtsTokenCount: 244,
      },
    });
    expect(res.usage!.totalTokens).toBe(res.usage!.raw!.totalTokenCount);
  });

  it("generate: cached content within the prompt, tool-use prompt tokens added to it", async () => {
    server.enqueue({
      text: "Sunny.",
      usage: {
        promptTokens: 1200,
        cachedTokens: 1000,
        toolUsePromptTokens: 150,
        completionTokens: 30,
        reasoningTokens: 70,
      },
    });
    const res = await provider.generate([user("Weather?")], call());
    expect(res.usage).toEqual({
      promptTokens: 1350,
      completionTokens: 100,
      totalTokens: 1450,
      cachedPromptTokens: 1000,
      reasoningTokens: 70,
      raw: {
        promptTokenCount: 1200,
        candidatesTokenCount: 30,
        totalTokenCount: 1450,
        cachedContentTokenCount: 1000,
        promptTokensDetails: [{ modality: "TEXT", tokenCount: 1200 }],
        cacheTokensDetails: [{ modality: "TEXT", tokenCount: 1000 }],
        thoughtsTokenCount: 70,
        toolUsePromptTokenCount: 150,
        toolUsePromptTokensDetails: [{ modality: "TEXT", tokenCount: 150 }],
      },
    });
    expect(res.usage!.totalTokens).toBe(res.usage!.raw!.totalTokenCount);
  });

  it("stream: the finish part carries the last (cumulative) usageMetadata", async () => {
    server.enqueue({
      reasoningChunks: ["Let me ", "count."],
      chunks: ["There are ", "3."],
      usage: { promptTokens: 9, cachedTokens: 4, completionTokens: 23, reasoningTokens: 185 },
    });
    const finish = await finishOf(provider.stream([user("How many r's?")], call()));
    expect(finish.usage).toEqual({
      promptTokens: 9,
      completionTokens: 208,
      totalTokens: 217,
      cachedPromptTokens: 4,
      reasoningTokens: 185,
      raw: expect.objectContaining({
        promptTokenCount: 9,
        candidatesTokenCount: 23,
        thoughtsTokenCount: 185,
        cachedContentTokenCount: 4,
        totalTokenCount: 217,
      }),
    });
  });
});
