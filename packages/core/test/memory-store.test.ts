import { describe, expect, it } from "vitest";
import { type CacheEntry, memoryStore } from "../src/index.js";

const answer = (): CacheEntry => ({
  v: 1,
  kind: "response",
  response: {
    content: "original",
    model: "m-1",
    provider: "p",
    usage: { promptTokens: 3, completionTokens: 2, totalTokens: 5 },
    finishReason: "stop",
  },
});

const streamed = (): CacheEntry => ({
  v: 1,
  kind: "stream",
  chunks: [{ content: "Hel" }, { content: "lo", finishReason: "stop" }],
});

// What plain JavaScript callers see: nothing readonly.
interface MutableAnswer {
  response: { content: string; usage: { promptTokens: number; totalTokens: number } };
}
interface MutableStream {
  chunks: { content: string }[];
}

describe("memoryStore keeps its own copy of every entry", () => {
  it("changing the object given to set does not change later hits", async () => {
    const store = memoryStore();
    const entry = answer();
    await store.set("k", entry);
    const { response } = entry as unknown as MutableAnswer;
    response.content = "changed";
    response.usage.promptTokens = 999;
    expect(await store.get("k")).toEqual(answer());
  });

  it("changing an entry that get returned does not change later hits", async () => {
    const store = memoryStore();
    await store.set("a", answer());
    await store.set("s", streamed());
    const first = (await store.get("a")) as MutableAnswer;
    first.response.content = "changed";
    first.response.usage.totalTokens = 0;
    const { chunks } = (await store.get("s")) as MutableStream;
    chunks[0]!.content = "changed";
    chunks.push({ content: " and more" });
    expect(await store.get("a")).toEqual(answer());
    expect(await store.get("s")).toEqual(streamed());
    expect(await store.get("a")).not.toBe(await store.get("a"));
  });
});
