import type { FinishPart, StreamPart } from "@rephysco/core";
import { OpenAIProvider } from "@rephysco/openai";
import { createMockServer, type MockServer, type MockUsage } from "@rephysco/testing";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { KEY } from "./helpers.js";

// OpenAI: prompt_tokens counts cached tokens, completion_tokens counts reasoning tokens
// (openai-text.json and the o-series docs); total_tokens = prompt + completion.
let server: MockServer;
let openai: OpenAIProvider;

beforeAll(async () => {
  server = await createMockServer();
  openai = new OpenAIProvider({ apiKey: KEY, baseURL: `${server.url}/v1` });
});
afterEach(() => server.reset());
afterAll(() => server.close());

const user = [{ role: "user" as const, content: "Hi" }];

async function finishOf(stream: AsyncIterable<StreamPart>): Promise<FinishPart> {
  let finish: FinishPart | undefined;
  for await (const part of stream) if (part.type === "finish") finish = part;
  return finish!;
}

const REASONING: MockUsage = {
  promptTokens: 1200,
  completionTokens: 300,
  reasoningTokens: 256,
  cachedTokens: 1024,
};
const REASONING_RAW = {
  prompt_tokens: 1200,
  completion_tokens: 300,
  total_tokens: 1500,
  prompt_tokens_details: { cached_tokens: 1024, audio_tokens: 0 },
  completion_tokens_details: {
    reasoning_tokens: 256,
    audio_tokens: 0,
    accepted_prediction_tokens: 0,
    rejected_prediction_tokens: 0,
  },
};
const REASONING_USAGE = {
  promptTokens: 1200,
  completionTokens: 300,
  totalTokens: 1500,
  cachedPromptTokens: 1024,
  reasoningTokens: 256,
  raw: REASONING_RAW,
};

describe("OpenAI usage", () => {
  it("generate: cached tokens within the prompt, reasoning within the completion, raw as sent", async () => {
    server.enqueue({ text: "Hi", usage: REASONING });
    const res = await openai.generate(user, { model: "o4-mini" });
    expect(res.usage).toEqual(REASONING_USAGE);
    expect(res.cost).toBeUndefined();
  });

  it("stream: the usage chunk after the finish chunk becomes the finish part's usage", async () => {
    server.enqueue({ chunks: ["H", "i"], usage: REASONING });
    const finish = await finishOf(openai.stream(user, { model: "o4-mini" }));
    expect(finish.usage).toEqual(REASONING_USAGE);
    expect(finish.cost).toBeUndefined();
  });

  it("a usage object without details has no parts; total is always prompt + completion", async () => {
    const raw = { prompt_tokens: 7, completion_tokens: 3, total_tokens: 99 };
    server.enqueue({ text: "Hi", usage: { promptTokens: 0, completionTokens: 0, raw } });
    const res = await openai.generate(user, { model: "gpt-4.1-nano" });
    expect(res.usage).toEqual({ promptTokens: 7, completionTokens: 3, totalTokens: 10, raw });
  });
});
