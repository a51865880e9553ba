import { type FinishPart, LLMClient, type StreamPart } from "@rephysco/core";
import { createMockServer, type MockServer, type MockUsage } from "@rephysco/testing";
import { XAIProvider } from "@rephysco/xai";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";

// xAI: completion_tokens leaves the reasoning out (total_tokens = prompt + completion +
// reasoning) and usage carries cost_in_usd_ticks, 10^10 ticks to the dollar (xai-text.json,
// xai-text.chunks.txt; docs.x.ai "Cost Tracking").
const KEY = "xai-test-0123456789abcdefSECRET";
let server: MockServer;
let grok: XAIProvider;

beforeAll(async () => {
  server = await createMockServer();
  grok = new XAIProvider({ apiKey: KEY, baseURL: `${server.url}/v1` });
});
afterEach(() => server.reset());
afterAll(() => server.close());

const user = [{ role: "user" as const, content: "Say a single word." }];

async function finishOf(stream: AsyncIterable<StreamPart>): Promise<FinishPart> {
  let finish: FinishPart | undefined;
  for await (const part of stream) if (part.type === "finish") finish = part;
  return finish!;
}

/** The recorded non-streamed answer's counts (xai-text.json). */
const GENERATE: MockUsage = {
  style: "xai",
  promptTokens: 12,
  completionTokens: 1,
  reasoningTokens: 228,
  cachedTokens: 2,
  costInUsdTicks: 1_176_500,
};
/** The recorded stream's counts (xai-text.chunks.txt). */
const STREAM: MockUsage = {
  style: "xai",
  promptTokens: 12,
  completionTokens: 1,
  reasoningTokens: 290,
  cachedTokens: 11,
  costInUsdTicks: 1_466_250,
};

function providerCost(total: number) {
  return {
    total,
    input: 0,
    cachedInput: 0,
    cacheWrite: 0,
    output: 0,
    reasoning: 0,
    currency: "USD",
    source: "provider",
  };
}

describe("xAI usage", () => {
  it("generate: reasoning is added to the completion, the total is xAI's total, the cost is xAI's", async () => {
    server.enqueue({ reasoning: "First, the user said...", text: "Hello", usage: GENERATE });
    const res = await grok.generate(user, { model: "grok-3-mini" });
    expect(res.usage).toEqual({
      promptTokens: 12,
      completionTokens: 229,
      totalTokens: 241,
      cachedPromptTokens: 2,
      reasoningTokens: 228,
      raw: {
        prompt_tokens: 12,
        completion_tokens: 1,
        total_tokens: 241,
        prompt_tokens_details: {
          text_tokens: 12,
          audio_tokens: 0,
          image_tokens: 0,
          cached_tokens: 2,
        },
        completion_tokens_details: {
          reasoning_tokens: 228,
          audio_tokens: 0,
          accepted_prediction_tokens: 0,
          rejected_prediction_tokens: 0,
        },
        num_sources_used: 0,
        cost_in_usd_ticks: 1_176_500,
      },
    });
    expect(res.usage!.totalTokens).toBe((res.usage!.raw as { total_tokens: number }).total_tokens);
    expect(res.cost).toEqual(providerCost(0.00011765));
  });

  it("stream: the same on the finish part", async () => {
    server.enqueue({
      reasoningChunks: ["First", "..."],
      chunks: ["Hello"],
      usage: STREAM,
      toolCallStyle: "xai",
    });
    const finish = await finishOf(grok.stream(user, { model: "grok-3-mini" }));
    expect(finish.usage).toMatchObject({
      promptTokens: 12,
      completionTokens: 291,
      totalTokens: 303,
      cachedPromptTokens: 11,
      reasoningTokens: 290,
      raw: expect.objectContaining({ total_tokens: 303, cost_in_usd_ticks: 1_466_250 }),
    });
    expect(finish.cost).toEqual(providerCost(0.000146625));
  });

  it("no cost_in_usd_ticks: no reported cost", async () => {
    const { costInUsdTicks: _, ...noCost } = GENERATE;
    server.enqueue({ text: "Hello", usage: noCost });
    const res = await grok.generate(user, { model: "grok-3-mini" });
    expect(res.cost).toBeUndefined();
    expect(res.usage?.completionTokens).toBe(229);
  });

  it("LLMClient keeps the cost xAI reported, for generate and stream", async () => {
    const client = new LLMClient({ provider: grok });
    server.enqueue({ text: "Hello", usage: GENERATE });
    const res = await client.generate(user, { model: "grok-3-mini" });
    // xAI's total is kept; grok-3-mini has a price, so the parts are the sheet's split of it
    // (here the sheet agrees with xAI: 10 x 0.3 + 2 x 0.075 + 229 x 0.5 per million).
    expect(res.cost).toMatchObject({ total: 0.00011765, source: "provider", currency: "USD" });
    expect(res.cost!.input).toBeCloseTo(10 * 0.3e-6, 12);
    expect(res.cost!.cachedInput).toBeCloseTo(2 * 0.075e-6, 12);
    expect(res.cost!.output).toBeCloseTo(229 * 0.5e-6, 12);
    const c = res.cost!;
    expect(c.input + c.cachedInput + c.cacheWrite + c.output + c.reasoning).toBeCloseTo(
      c.total,
      12,
    );
    // A model without a price keeps xAI's total alone.
    server.enqueue({ text: "Hello", usage: GENERATE });
    const unpriced = await client.generate(user, { model: "grok-unpriced-test" });
    expect(unpriced.cost).toEqual(providerCost(0.00011765));
    server.enqueue({ chunks: ["Hel", "lo"], usage: STREAM });
    let last: unknown;
    for await (const chunk of client.stream(user, { model: "grok-3-mini" })) {
      if (chunk.cost) last = chunk.cost;
    }
    expect(last).toMatchObject({ total: 0.000146625, source: "provider" });
  });
});
