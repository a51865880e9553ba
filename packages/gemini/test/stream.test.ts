import {
  ContentFilterError,
  ProviderError,
  RateLimitError,
  ServiceUnavailableError,
} from "@rephysco/core";
import type { MockServer } from "@rephysco/testing";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { GeminiProvider } from "../src/index.js";
import { call, collect, setup, streamOf, user } from "./helpers.js";

let server: MockServer;
let provider: GeminiProvider;

beforeAll(async () => {
  ({ server, provider } = await setup());
});
beforeEach(() => server.reset());
afterAll(() => server.close());

describe("stream", () => {
  it("yields chunks in order; the last one carries finishReason and the final usage", async () => {
    server.enqueue({
      chunks: ["There are ", "3 r's ", "in strawberry."],
      usage: { promptTokens: 9, completionTokens: 23 },
    });
    const { chunks, error } = await collect(streamOf(provider, [user("How many r's?")], call()));
    expect(error).toBeUndefined();
    expect(chunks.map((c) => c.content)).toEqual(["There are ", "3 r's ", "in strawberry.", ""]);
    expect(
      chunks.slice(0, -1).every((c) => c.finishReason === undefined && c.usage === undefined),
    ).toBe(true);
    const last = chunks.at(-1)!;
    expect(last.finishReason).toBe("stop");
    expect(last.usage).toEqual({
      promptTokens: 9,
      completionTokens: 23,
      totalTokens: 32,
      raw: expect.objectContaining({ promptTokenCount: 9, candidatesTokenCount: 23 }),
    });
    expect(chunks.every((c) => c.provider === "gemini" && c.model === "gemini-2.5-flash")).toBe(
      true,
    );
  });

  it("streams thoughts as reasoning, never as content, before the answer", async () => {
    server.enqueue({
      reasoningChunks: ["Let me count. ", "s-t-r-a-w..."],
      chunks: ["3"],
      usage: { promptTokens: 9, completionTokens: 1, reasoningTokens: 185 },
    });
    const { chunks } = await collect(streamOf(provider, [user("How many r's?")], call()));
    expect(chunks.map((c) => [c.reasoning ?? null, c.content])).toEqual([
      ["Let me count. ", ""],
      ["s-t-r-a-w...", ""],
      [null, "3"],
      [null, ""],
    ]);
    // completionTokens counts the thoughts (candidatesTokenCount + thoughtsTokenCount).
    expect(chunks.at(-1)!.usage).toEqual({
      promptTokens: 9,
      completionTokens: 186,
      totalTokens: 195,
      reasoningTokens: 185,
      raw: expect.objectContaining({ thoughtsTokenCount: 185, totalTokenCount: 195 }),
    });
  });

  it("maps MAX_TOKENS to length on the last chunk", async () => {
    server.enqueue({ chunks: ["a", "b"], finishReason: "MAX_TOKENS" });
    const { chunks } = await collect(streamOf(provider, [user("Hi")], call()));
    expect(chunks.at(-1)!.finishReason).toBe("length");
  });

  it("a stream that ends without a finish reason is a cut answer, after the text received", async () => {
    server.enqueue({ chunks: ["a", "b"], omitFinish: true });
    const { chunks, error } = await collect(streamOf(provider, [user("Hi")], call()));
    expect(error).toBeInstanceOf(ServiceUnavailableError);
    expect(error).toMatchObject({ reason: "incomplete_stream", partialContent: "ab" });
    expect(chunks.map((c) => c.content)).toEqual(["a", "b"]);
    expect(chunks.some((c) => c.finishReason)).toBe(false);
    // Exactly one request: the SDK's automatic continuation is off.
    expect(server.requests).toHaveLength(1);
  });

  it.each(["SAFETY", "RECITATION", "PROHIBITED_CONTENT"])(
    "on a %s stop, yields the text already received, then throws ContentFilterError",
    async (reason) => {
      server.enqueue({ chunks: ["Once upon ", "a time"], finishReason: reason });
      const { chunks, error } = await collect(streamOf(provider, [user("Tell a story")], call()));
      expect(chunks.map((c) => c.content)).toEqual(["Once upon ", "a time"]);
      expect(chunks.some((c) => c.finishReason)).toBe(false);
      expect(error).toBeInstanceOf(ContentFilterError);
      const e = error as ContentFilterError;
      expect(e.code).toBe(reason);
      expect(e.partialContent).toBe("Once upon a time");
      expect(e.data).toMatchObject({ finishReason: reason });
    },
  );

  it("yields text that arrives on the filtered event itself before throwing", async () => {
    server.enqueue({
      raw: {
        status: 200,
        headers: { "content-type": "text/event-stream" },
        body: [
          `data: ${JSON.stringify({ candidates: [{ content: { role: "model", parts: [{ text: "Hello " }] }, index: 0 }] })}\r\n\r\n`,
          `data: ${JSON.stringify({
            candidates: [
              {
                content: { role: "model", parts: [{ text: "there" }] },
                finishReason: "SAFETY",
                safetyRatings: [
                  { category: "HARM_CATEGORY_HARASSMENT", probability: "HIGH", blocked: true },
                ],
                index: 0,
              },
            ],
          })}\r\n\r\n`,
        ],
      },
    });
    const { chunks, error } = await collect(streamOf(provider, [user("Hi")], call()));
    expect(chunks.map((c) => c.content)).toEqual(["Hello ", "there"]);
    expect(error).toBeInstanceOf(ContentFilterError);
    expect((error as ContentFilterError).partialContent).toBe("Hello there");
    expect((error as ContentFilterError).data).toEqual({
      finishReason: "SAFETY",
      safetyRatings: [{ category: "HARM_CATEGORY_HARASSMENT", probability: "HIGH", blocked: true }],
    });
  });

  it("throws ContentFilterError when the prompt is blocked", async () => {
    server.enqueue({
      chunks: [],
      extra: { candidates: undefined, promptFeedback: { blockReason: "PROHIBITED_CONTENT" } },
    });
    const { chunks, error } = await collect(streamOf(provider, [user("bad")], call()));
    expect(chunks).toEqual([]);
    expect(error).toBeInstanceOf(ContentFilterError);
    expect((error as ContentFilterError).code).toBe("PROHIBITED_CONTENT");
    expect((error as ContentFilterError).data).toEqual({
      blockReason: "PROHIBITED_CONTENT",
      safetyRatings: [],
    });
  });

  it("throws ServiceUnavailableError when the socket is cut mid-stream, after yielding what arrived", async () => {
    server.enqueue({ chunks: ["one ", "two ", "three"], resetAfterChunks: 2 });
    const { chunks, error } = await collect(streamOf(provider, [user("Count")], call()));
    expect(chunks.map((c) => c.content)).toEqual(["one ", "two "]);
    expect(error).toBeInstanceOf(ServiceUnavailableError);
    expect((error as ServiceUnavailableError).retryable).toBe(true);
    expect(server.requests).toHaveLength(1);
  });

  it("throws ServiceUnavailableError when the body ends inside an event", async () => {
    const event = JSON.stringify({
      candidates: [{ content: { role: "model", parts: [{ text: "Hel" }] }, index: 0 }],
    });
    server.enqueue({
      raw: {
        status: 200,
        headers: { "content-type": "text/event-stream" },
        body: [`data: ${event}\r\n\r\n`, 'data: {"candidates":[{"content":'],
      },
    });
    const { chunks, error } = await collect(streamOf(provider, [user("Hi")], call()));
    expect(chunks.map((c) => c.content)).toEqual(["Hel"]);
    expect(error).toBeInstanceOf(ServiceUnavailableError);
    expect((error as ServiceUnavailableError).reason).toBe("incomplete_stream");
  });

  it("maps an error event inside the stream like an HTTP error", async () => {
    server.enqueue({
      chunks: ["a", "b", "c"],
      midStreamError: {
        afterChunks: 1,
        body: {
          error: { code: 429, message: "Resource exhausted.", status: "RESOURCE_EXHAUSTED" },
        },
      },
    });
    const { chunks, error } = await collect(streamOf(provider, [user("Hi")], call()));
    expect(chunks.map((c) => c.content)).toEqual(["a"]);
    expect(error).toBeInstanceOf(RateLimitError);
    expect((error as RateLimitError).code).toBe("RESOURCE_EXHAUSTED");
    expect((error as RateLimitError).status).toBe(429);
  });

  it("maps the default mid-stream error (500 INTERNAL) to ServiceUnavailableError", async () => {
    server.enqueue({ chunks: ["a", "b"], midStreamError: { afterChunks: 1 } });
    const { error } = await collect(streamOf(provider, [user("Hi")], call()));
    expect(error).toBeInstanceOf(ServiceUnavailableError);
    expect((error as ServiceUnavailableError).code).toBe("INTERNAL");
  });

  it("throws a malformed-response ProviderError for an event that is not JSON", async () => {
    server.enqueue({ malformed: "{not json" });
    const { error } = await collect(streamOf(provider, [user("Hi")], call()));
    expect(error).toBeInstanceOf(ProviderError);
    expect((error as ProviderError).reason).toBe("malformed_response");
  });

  it("throws a malformed-response ProviderError for an event with neither candidates nor feedback nor usage", async () => {
    server.enqueue({
      raw: {
        status: 200,
        headers: { "content-type": "text/event-stream" },
        body: ['data: {"modelVersion":"x"}\r\n\r\n'],
      },
    });
    const { error } = await collect(streamOf(provider, [user("Hi")], call()));
    expect(error).toBeInstanceOf(ProviderError);
    expect((error as ProviderError).reason).toBe("malformed_response");
    expect((error as ProviderError).message).toContain("modelVersion");
  });

  it("closes the connection when the consumer stops early", async () => {
    server.enqueue({ chunks: ["a", "b", "c"], stallAfterChunks: 1 });
    for await (const chunk of streamOf(provider, [user("Hi")], call())) {
      expect(chunk.content).toBe("a");
      break;
    }
    await server.whenIdle();
    expect(server.requests[0]!.aborted).toBe(true);
  });
});
