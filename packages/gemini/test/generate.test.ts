import { ContentFilterError, ProviderError } from "@rephysco/core";
import type { MockServer } from "@rephysco/testing";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { GeminiProvider } from "../src/index.js";
import { call, rejection, setup, user } from "./helpers.js";

let server: MockServer;
let provider: GeminiProvider;

beforeAll(async () => {
  ({ server, provider } = await setup());
});
beforeEach(() => server.reset());
afterAll(() => server.close());

const RATINGS = [
  { category: "HARM_CATEGORY_HATE_SPEECH", probability: "NEGLIGIBLE" },
  { category: "HARM_CATEGORY_SEXUALLY_EXPLICIT", probability: "HIGH", blocked: true },
];

describe("generate", () => {
  it("returns text, model, usage, finish reason and the raw body", async () => {
    server.enqueue({
      text: "There are 3 r's in strawberry.",
      model: "gemini-2.5-flash-001",
      usage: { promptTokens: 9, completionTokens: 28 },
    });
    const res = await provider.generate([user("How many r's?")], call());
    expect(res).toMatchObject({
      content: "There are 3 r's in strawberry.",
      model: "gemini-2.5-flash-001",
      provider: "gemini",
      finishReason: "stop",
      cached: false,
      usage: { promptTokens: 9, completionTokens: 28, totalTokens: 37 },
    });
    expect(res.reasoning).toBeUndefined();
    expect(res.usage?.reasoningTokens).toBeUndefined();
    expect(res.raw).toMatchObject({
      responseId: expect.any(String),
      modelVersion: "gemini-2.5-flash-001",
    });
    expect(res.raw).not.toHaveProperty("sdkHttpResponse");
    expect(JSON.parse(JSON.stringify(res.raw))).toEqual(res.raw);
  });

  it("keeps thought parts apart as reasoning, with thoughtsTokenCount as reasoningTokens", async () => {
    server.enqueue({
      reasoning: "Count the letters one by one.",
      text: "3",
      usage: { promptTokens: 9, completionTokens: 1, reasoningTokens: 244 },
    });
    const res = await provider.generate([user("How many r's?")], call());
    expect(res.content).toBe("3");
    expect(res.reasoning).toBe("Count the letters one by one.");
    // completionTokens counts the thoughts (candidatesTokenCount + thoughtsTokenCount).
    expect(res.usage).toEqual({
      promptTokens: 9,
      completionTokens: 245,
      totalTokens: 254,
      reasoningTokens: 244,
      raw: expect.objectContaining({
        candidatesTokenCount: 1,
        thoughtsTokenCount: 244,
        totalTokenCount: 254,
      }),
    });
  });

  it("joins several text parts and skips parts without text (thought signatures)", async () => {
    server.enqueue({
      text: "unused",
      extra: {
        candidates: [
          {
            content: {
              role: "model",
              parts: [
                { text: "Hello" },
                { text: "", thoughtSignature: "EtoF" },
                { text: " world" },
              ],
            },
            finishReason: "STOP",
            index: 0,
          },
        ],
      },
    });
    const res = await provider.generate([user("Hi")], call());
    expect(res.content).toBe("Hello world");
  });

  it.each([
    ["STOP", "stop"],
    ["MAX_TOKENS", "length"],
    ["LANGUAGE", "other"],
    ["OTHER", "other"],
    ["MALFORMED_FUNCTION_CALL", "other"],
    ["FINISH_REASON_UNSPECIFIED", "other"],
    ["SOME_FUTURE_REASON", "other"],
  ])("maps finishReason %s to %s", async (native, mapped) => {
    server.enqueue({ text: "partial", finishReason: native });
    const res = await provider.generate([user("Hi")], call());
    expect(res.finishReason).toBe(mapped);
    expect(res.content).toBe("partial");
  });

  it.each([
    "SAFETY",
    "BLOCKLIST",
    "PROHIBITED_CONTENT",
    "SPII",
    "IMAGE_SAFETY",
    "RECITATION",
    "IMAGE_PROHIBITED_CONTENT",
  ])(
    "raises ContentFilterError for finishReason %s, with the reason and safety ratings",
    async (reason) => {
      server.enqueue({
        text: "unused",
        extra: {
          candidates: [{ finishReason: reason, safetyRatings: RATINGS, index: 0 }],
        },
      });
      const e = await rejection(provider.generate([user("Hi")], call()));
      expect(e).toBeInstanceOf(ContentFilterError);
      const err = e as ContentFilterError;
      expect(err.provider).toBe("gemini");
      expect(err.code).toBe(reason);
      expect(err.retryable).toBe(false);
      expect(err.data).toEqual({ finishReason: reason, safetyRatings: RATINGS });
      expect(err.message).toContain(reason);
    },
  );

  it("keeps text received before a RECITATION stop as partialContent", async () => {
    server.enqueue({ text: "Four score and seven", finishReason: "RECITATION" });
    const e = (await rejection(provider.generate([user("Recite")], call()))) as ContentFilterError;
    expect(e).toBeInstanceOf(ContentFilterError);
    expect(e.partialContent).toBe("Four score and seven");
    expect(e.data).toEqual({ finishReason: "RECITATION", safetyRatings: [] });
  });

  it("raises ContentFilterError when the prompt is blocked (promptFeedback.blockReason)", async () => {
    const feedback = {
      blockReason: "SAFETY",
      safetyRatings: [{ category: "HARM_CATEGORY_HARASSMENT", probability: "MEDIUM" }],
    };
    server.enqueue({ text: "unused", extra: { candidates: undefined, promptFeedback: feedback } });
    const e = (await rejection(
      provider.generate([user("something bad")], call()),
    )) as ContentFilterError;
    expect(e).toBeInstanceOf(ContentFilterError);
    expect(e.code).toBe("SAFETY");
    expect(e.data).toEqual({ blockReason: "SAFETY", safetyRatings: feedback.safetyRatings });
    expect(e.message).toMatch(/prompt/);
  });

  it("raises a malformed-response ProviderError, with an excerpt, for a body with no candidates and no feedback", async () => {
    server.enqueue({ text: "unused", extra: { candidates: undefined } });
    const e = (await rejection(provider.generate([user("Hi")], call()))) as ProviderError;
    expect(e).toBeInstanceOf(ProviderError);
    expect(e.constructor).toBe(ProviderError);
    expect(e.reason).toBe("malformed_response");
    expect(e.message).toContain("usageMetadata");
    expect(e.retryable).toBe(false);
  });

  it("raises a malformed-response ProviderError for a body that is not JSON", async () => {
    server.enqueue({ malformed: '{"candidates": [' });
    const e = (await rejection(provider.generate([user("Hi")], call()))) as ProviderError;
    expect(e).toBeInstanceOf(ProviderError);
    expect(e.reason).toBe("malformed_response");
  });
});
