import type { FinishPart, StreamPart } from "@rephysco/core";
import { SiliconFlowModels, SiliconFlowProvider } from "@rephysco/siliconflow";
import { createMockServer, type MockServer } from "@rephysco/testing";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";

// SiliconFlow serves DeepSeek and Qwen models with OpenAI-style usage: completion_tokens counts
// the reasoning (completion_tokens_details.reasoning_tokens). DeepSeek-style cache counts
// (prompt_cache_hit_tokens / prompt_cache_miss_tokens, within prompt_tokens) are read when
// prompt_tokens_details is absent.
const KEY = "sk-siliconflow-test-0123456789abcdef";
let server: MockServer;
let sf: SiliconFlowProvider;

beforeAll(async () => {
  server = await createMockServer();
  sf = new SiliconFlowProvider({ apiKey: KEY, baseURL: `${server.url}/v1` });
});
afterEach(() => server.reset());
afterAll(() => server.close());

const user = [{ role: "user" as const, content: "Q" }];

async function finishOf(stream: AsyncIterable<StreamPart>): Promise<FinishPart> {
  let finish: FinishPart | undefined;
  for await (const part of stream) if (part.type === "finish") finish = part;
  return finish!;
}

describe("SiliconFlow usage", () => {
  it("generate, DeepSeek style: prompt_cache_hit_tokens are the cached part of the prompt", async () => {
    server.enqueue({
      reasoning: "Let me compute",
      text: "42",
      usage: {
        style: "deepseek",
        promptTokens: 100,
        completionTokens: 30,
        reasoningTokens: 28,
        cachedTokens: 64,
      },
    });
    const res = await sf.generate(user, { model: SiliconFlowModels.DEEPSEEK_R1 });
    expect(res.usage).toEqual({
      promptTokens: 100,
      completionTokens: 30,
      totalTokens: 130,
      cachedPromptTokens: 64,
      reasoningTokens: 28,
      raw: {
        prompt_tokens: 100,
        completion_tokens: 30,
        total_tokens: 130,
        completion_tokens_details: { reasoning_tokens: 28 },
        prompt_cache_hit_tokens: 64,
        prompt_cache_miss_tokens: 36,
      },
    });
  });

  it("stream, OpenAI style: cached_tokens and reasoning_tokens", async () => {
    server.enqueue({
      reasoningChunks: ["Let me ", "compute"],
      chunks: ["4", "2"],
      usage: { promptTokens: 3, completionTokens: 11, reasoningTokens: 9, cachedTokens: 2 },
    });
    const finish = await finishOf(sf.stream(user, { model: SiliconFlowModels.DEEPSEEK_R1 }));
    expect(finish.usage).toEqual({
      promptTokens: 3,
      completionTokens: 11,
      totalTokens: 14,
      cachedPromptTokens: 2,
      reasoningTokens: 9,
      raw: expect.objectContaining({
        prompt_tokens: 3,
        completion_tokens: 11,
        prompt_tokens_details: { cached_tokens: 2, audio_tokens: 0 },
      }),
    });
  });

  it("a usage object with only the three counts (SiliconFlow's documented example)", async () => {
    const raw = { prompt_tokens: 9, completion_tokens: 12, total_tokens: 21 };
    server.enqueue({ text: "Hello", usage: { promptTokens: 0, completionTokens: 0, raw } });
    const res = await sf.generate(user, { model: SiliconFlowModels.DEEPSEEK_V3 });
    expect(res.usage).toEqual({ promptTokens: 9, completionTokens: 12, totalTokens: 21, raw });
  });
});
