// What one caller does with its answer must not change what the next caller gets from the
// cache. Answers are typed readonly, but plain JavaScript (or a cast) can still write to them:
// the memory store keeps its own copy, so a hit is always the answer as it came from upstream.
import { memoryStore } from "@rephysco/core";
import { describe, expect, it } from "vitest";
import { collect, openaiClient, useMockServer } from "../helpers.js";

const ctx = useMockServer();

// What a caller that ignores `readonly` sees.
interface Writable {
  content: string;
  usage?: { promptTokens: number; completionTokens: number; totalTokens: number };
}

const USAGE = { promptTokens: 7, completionTokens: 3, totalTokens: 10 };

describe("memoryStore through LLMClient: answers are not shared with the cache", () => {
  it("changing a first answer, or a cache hit, does not change later hits", async () => {
    const { server } = ctx;
    server.enqueue({
      text: "the original answer",
      usage: { promptTokens: 7, completionTokens: 3 },
    });
    const { client } = openaiClient(server, { cache: memoryStore() });

    const first = (await client.generate("Tell me once.")) as unknown as Writable;
    expect(first).toMatchObject({ content: "the original answer", cached: false, usage: USAGE });
    await client.flush();
    first.content = "tampered";
    first.usage!.promptTokens = 999;
    first.usage!.totalTokens = 999;

    const second = (await client.generate("Tell me once.")) as unknown as Writable;
    expect(second).toMatchObject({ content: "the original answer", cached: true, usage: USAGE });
    second.content = "tampered again";
    second.usage!.completionTokens = 0;

    const third = await client.generate("Tell me once.");
    expect(third).toMatchObject({ content: "the original answer", cached: true, usage: USAGE });
    expect(server.requests).toHaveLength(1);
  });

  it("changing replayed stream chunks does not change later replays", async () => {
    const { server } = ctx;
    server.enqueue({
      chunks: ["Hel", "lo"],
      finishReason: "stop",
      usage: { promptTokens: 7, completionTokens: 3 },
    });
    const { client } = openaiClient(server, { cache: memoryStore() });

    const upstream = await collect(client.stream("Stream it once."));
    expect(upstream.text).toBe("Hello");
    const usage = structuredClone(upstream.chunks.find((c) => c.usage)?.usage);
    expect(usage).toMatchObject(USAGE);
    await client.flush();

    const replay = await collect(client.stream("Stream it once."));
    expect(replay.text).toBe("Hello");
    for (const chunk of replay.chunks as unknown as Writable[]) {
      chunk.content = "tampered";
      if (chunk.usage) chunk.usage.totalTokens = 999;
    }

    const again = await collect(client.stream("Stream it once."));
    expect(again.text).toBe("Hello");
    expect(again.chunks.every((c) => c.cached)).toBe(true);
    expect(again.chunks.find((c) => c.usage)?.usage).toEqual(usage);
    const answer = await client.generate("Stream it once.");
    expect(answer).toMatchObject({ content: "Hello", cached: true });
    expect(answer.usage).toEqual(usage);
    expect(server.requests).toHaveLength(1);
  });
});
