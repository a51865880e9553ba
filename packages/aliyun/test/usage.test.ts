import { AliyunProvider } from "@rephysco/aliyun";
import { type FinishPart, LLMClient, type StreamPart } from "@rephysco/core";
import { createMockServer, type MockServer } from "@rephysco/testing";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";

// DashScope compatible mode: completion_tokens counts the reasoning (24 + 1355 = 1379 with 1084
// reasoning tokens in alibaba-reasoning.chunks.txt); prompt_tokens_details.cached_tokens.
const KEY = "sk-dashscope-test-0123456789abcdef";
let server: MockServer;
let qwen: AliyunProvider;

beforeAll(async () => {
  server = await createMockServer();
  qwen = new AliyunProvider({ apiKey: KEY, baseURL: `${server.url}/compatible-mode/v1` });
});
afterEach(() => server.reset());
afterAll(() => server.close());

const user = [{ role: "user" as const, content: "Hi" }];

async function finishOf(stream: AsyncIterable<StreamPart>): Promise<FinishPart> {
  let finish: FinishPart | undefined;
  for await (const part of stream) if (part.type === "finish") finish = part;
  return finish!;
}

describe("DashScope usage", () => {
  it("generate: the recorded shape without reasoning (alibaba-text.json)", async () => {
    server.enqueue({
      text: "## The Festival",
      usage: { style: "dashscope", promptTokens: 18, completionTokens: 1064, cachedTokens: 0 },
    });
    const res = await qwen.generate(user, { model: "qwen3-max" });
    const raw = {
      prompt_tokens: 18,
      completion_tokens: 1064,
      total_tokens: 1082,
      prompt_tokens_details: { cached_tokens: 0 },
    };
    expect(res.usage).toEqual({
      promptTokens: 18,
      completionTokens: 1064,
      totalTokens: 1082,
      cachedPromptTokens: 0,
      raw,
    });
  });

  it("stream with thinking: reasoning within the completion, cached tokens within the prompt", async () => {
    server.enqueue({
      nullFields: true,
      reasoningChunks: ["We", " think"],
      chunks: ["The word"],
      usage: {
        style: "dashscope",
        promptTokens: 24,
        completionTokens: 1355,
        reasoningTokens: 1084,
        cachedTokens: 16,
      },
    });
    const finish = await finishOf(
      qwen.stream(user, { model: "qwen3-max", providerOptions: { enable_thinking: true } }),
    );
    expect(finish.usage).toEqual({
      promptTokens: 24,
      completionTokens: 1355,
      totalTokens: 1379,
      cachedPromptTokens: 16,
      reasoningTokens: 1084,
      raw: {
        prompt_tokens: 24,
        completion_tokens: 1355,
        total_tokens: 1379,
        completion_tokens_details: { reasoning_tokens: 1084 },
        prompt_tokens_details: { cached_tokens: 16 },
      },
    });
    expect(finish.cost).toBeUndefined();
  });

  it("explicit context cache: cache_creation_input_tokens are cache writes within the prompt, priced at 125%", async () => {
    // The documented explicit-cache usage: the prompt's cached prefix written on this request.
    const raw = {
      prompt_tokens: 1324,
      completion_tokens: 7,
      total_tokens: 1331,
      prompt_tokens_details: {
        cached_tokens: 0,
        cache_creation_input_tokens: 1292,
        cache_type: "ephemeral",
      },
    };
    server.enqueue({ text: "ok", usage: { promptTokens: 0, completionTokens: 0, raw } });
    const client = new LLMClient({ provider: qwen, retry: false });
    const res = await client.generate(user, { model: "qwen-plus" });
    expect(res.usage).toEqual({
      promptTokens: 1324,
      completionTokens: 7,
      totalTokens: 1331,
      cachedPromptTokens: 0,
      cacheWriteTokens: 1292,
      raw,
    });
    // qwen-plus: input 0.4, cache write 0.5 (125%), output 1.2 per million tokens.
    expect(res.cost!.input).toBeCloseTo((32 * 0.4) / 1e6, 12);
    expect(res.cost!.cacheWrite).toBeCloseTo((1292 * 0.5) / 1e6, 12);
    expect(res.cost!.output).toBeCloseTo((7 * 1.2) / 1e6, 12);
  });
});
