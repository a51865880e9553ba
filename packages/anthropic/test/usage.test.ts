import { type AnthropicProvider, createAnthropic } from "@rephysco/anthropic";
import type { FinishPart, StreamPart } from "@rephysco/core";
import { createMockServer, type MockServer } from "@rephysco/testing";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";

// Anthropic: input_tokens leaves out cache reads and writes; output_tokens counts thinking
// (newer models also report output_tokens_details.thinking_tokens). Streams: message_start
// carries the input counts, message_delta the final output count and, in newer API versions,
// the input and cache counts again (anthropic-text.chunks.txt,
// anthropic-code-execution-20260120-prompt-cache.1.chunks.txt,
// anthropic-message-delta-input-tokens.chunks.txt in vercel/ai).
const KEY = "sk-ant-api03-unit-test-key-000000";
const MODEL = "claude-sonnet-4-5";
let server: MockServer;
let claude: AnthropicProvider;

beforeAll(async () => {
  server = await createMockServer();
  claude = createAnthropic({ apiKey: KEY, baseURL: `${server.url}/v1` });
});
afterEach(() => server.reset());
afterAll(() => server.close());

const hi = [{ role: "user" as const, content: "Hi" }];

async function finishOf(stream: AsyncIterable<StreamPart>): Promise<FinishPart> {
  let finish: FinishPart | undefined;
  for await (const part of stream) if (part.type === "finish") finish = part;
  return finish!;
}

describe("Anthropic usage", () => {
  it("generate: cache reads and writes are added to the prompt, thinking_tokens are the reasoning", async () => {
    server.enqueue({
      reasoning: "Hmm.",
      text: "Answer",
      usage: {
        promptTokens: 6,
        cachedTokens: 6289,
        cacheWriteTokens: 3337,
        completionTokens: 1699,
        reasoningTokens: 139,
      },
    });
    const res = await claude.generate(hi, { model: MODEL });
    expect(res.usage).toEqual({
      promptTokens: 9632,
      completionTokens: 1699,
      totalTokens: 11331,
      cachedPromptTokens: 6289,
      cacheWriteTokens: 3337,
      reasoningTokens: 139,
      raw: {
        input_tokens: 6,
        cache_creation_input_tokens: 3337,
        cache_read_input_tokens: 6289,
        output_tokens: 1699,
        output_tokens_details: { thinking_tokens: 139 },
      },
    });
  });

  it("generate without thinking_tokens: no reasoning count (thinking is within output_tokens)", async () => {
    server.enqueue({
      reasoning: "Hmm.",
      text: "Answer",
      usage: { promptTokens: 12, completionTokens: 30 },
    });
    const res = await claude.generate(hi, { model: MODEL });
    expect(res.usage).toEqual({
      promptTokens: 12,
      completionTokens: 30,
      totalTokens: 42,
      cachedPromptTokens: 0,
      cacheWriteTokens: 0,
      raw: {
        input_tokens: 12,
        cache_creation_input_tokens: 0,
        cache_read_input_tokens: 0,
        output_tokens: 30,
      },
    });
  });

  it("stream: message_start's input and cache counts with message_delta's output count", async () => {
    server.enqueue({
      chunks: ["Hel", "lo"],
      usage: { promptTokens: 2, cachedTokens: 100, cacheWriteTokens: 3068, completionTokens: 69 },
    });
    const finish = await finishOf(claude.stream(hi, { model: MODEL }));
    expect(finish.usage).toEqual({
      promptTokens: 3170,
      completionTokens: 69,
      totalTokens: 3239,
      cachedPromptTokens: 100,
      cacheWriteTokens: 3068,
      // message_start's object (output_tokens 1 there) with message_delta's output_tokens over it.
      raw: {
        input_tokens: 2,
        cache_creation_input_tokens: 3068,
        cache_read_input_tokens: 100,
        output_tokens: 69,
      },
    });
  });

  it("stream: message_delta repeating the input and cache counts (newer API versions)", async () => {
    server.enqueue({
      reasoningChunks: ["th", "ink"],
      chunks: ["Hi"],
      usage: {
        promptTokens: 6,
        cachedTokens: 6289,
        cacheWriteTokens: 3337,
        completionTokens: 198,
        reasoningTokens: 40,
        deltaInputUsage: true,
      },
    });
    const finish = await finishOf(claude.stream(hi, { model: MODEL }));
    expect(finish.usage).toEqual({
      promptTokens: 9632,
      completionTokens: 198,
      totalTokens: 9830,
      cachedPromptTokens: 6289,
      cacheWriteTokens: 3337,
      reasoningTokens: 40,
      raw: {
        input_tokens: 6,
        cache_creation_input_tokens: 3337,
        cache_read_input_tokens: 6289,
        output_tokens: 198,
        output_tokens_details: { thinking_tokens: 40 },
      },
    });
  });

  it("stream: message_delta's counts win; its nulls keep message_start's values", async () => {
    server.enqueue({
      chunks: ["p", "ong"],
      usage: { promptTokens: 43, cachedTokens: 5, completionTokens: 2 },
      extra: {
        usage: {
          input_tokens: 61,
          cache_creation_input_tokens: null,
          cache_read_input_tokens: null,
          output_tokens: 2,
        },
      },
    });
    const finish = await finishOf(claude.stream(hi, { model: MODEL }));
    expect(finish.usage).toEqual({
      promptTokens: 66,
      completionTokens: 2,
      totalTokens: 68,
      cachedPromptTokens: 5,
      cacheWriteTokens: 0,
      raw: {
        input_tokens: 61,
        cache_creation_input_tokens: 0,
        cache_read_input_tokens: 5,
        output_tokens: 2,
      },
    });
  });
});
