import {
  isProvider,
  LLMClient,
  type Message,
  type ProviderCallOptions,
  RateLimitError,
  type StreamChunk,
  type StreamPart,
} from "@rephysco/core";
import { describe, expect, it } from "vitest";
import { createFakeProvider } from "../src/index.js";

const hi: Message[] = [{ role: "user", content: "Hi" }];
const call = (extra: Partial<ProviderCallOptions> = {}): ProviderCallOptions => ({
  model: "m-1",
  ...extra,
});
const usage = { promptTokens: 3, completionTokens: 2, totalTokens: 5 };

async function items<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error("expected a rejection");
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

describe("createFakeProvider", () => {
  it("is a Provider with the names and cache identity given, or the defaults", () => {
    const plain = createFakeProvider();
    expect(isProvider(plain)).toBe(true);
    expect(plain).toMatchObject({
      name: "fake",
      defaultModel: "fake-model",
      baseURL: "fake:",
      keyFingerprint: "none",
      cacheIdentity: "",
      capabilities: { images: true, reasoning: true },
    });
    const named = createFakeProvider({ name: "backup", defaultModel: "b-1", cacheIdentity: "v2" });
    expect(named).toMatchObject({ name: "backup", defaultModel: "b-1", cacheIdentity: "v2" });
    expect(named.scrub("secret")).toBe("secret");
  });

  it("generate answers a text reply with every field, defaults filled in", async () => {
    const fake = createFakeProvider({
      replies: [
        { chunks: ["Hel", "lo"], reasoning: "Think.", usage, model: "m-2", finishReason: "length" },
        { text: "Plain" },
      ],
    });
    expect(await fake.generate(hi, call())).toEqual({
      content: "Hello",
      reasoning: "Think.",
      model: "m-2",
      provider: "fake",
      usage,
      finishReason: "length",
      cached: false,
    });
    expect(await fake.generate(hi, call())).toEqual({
      content: "Plain",
      model: "m-1",
      provider: "fake",
      finishReason: "stop",
      cached: false,
    });
  });

  it("stream sends metadata, reasoning, each chunk, then one finish part", async () => {
    const fake = createFakeProvider({
      replies: [{ chunks: ["Hel", "lo"], reasoning: "Think.", usage, model: "m-2" }, { text: "" }],
    });
    expect(await items(fake.stream(hi, call()))).toEqual([
      { type: "metadata", model: "m-2" },
      { type: "reasoning", text: "Think." },
      { type: "text", text: "Hel" },
      { type: "text", text: "lo" },
      { type: "finish", reason: "stop", usage, model: "m-2" },
    ]);
    // No empty text parts: an empty answer is a finish alone.
    expect(await items(fake.stream(hi, call()))).toEqual([
      { type: "finish", reason: "stop", model: "m-1" },
    ]);
  });

  it("legacyChunks yields the old chunk shape", async () => {
    const fake = createFakeProvider({
      legacyChunks: true,
      replies: [{ chunks: ["Hel", "lo"], reasoning: "Think.", usage, model: "m-2" }],
    });
    const chunks: StreamChunk[] = (await items(fake.stream(hi, call()))) as StreamChunk[];
    expect(chunks).toEqual([
      { content: "", model: "m-2" },
      { content: "", reasoning: "Think." },
      { content: "Hel" },
      { content: "lo" },
      { content: "", finishReason: "stop", usage, model: "m-2" },
    ]);
  });

  it("an error reply rejects generate and throws from a stream before any item", async () => {
    const error = new RateLimitError("slow down", { provider: "fake" });
    const fake = createFakeProvider({ replies: [{ error }, { error }] });
    expect(await rejection(fake.generate(hi, call()))).toBe(error);
    const seen: unknown[] = [];
    const thrown = await rejection(
      (async () => {
        for await (const item of fake.stream(hi, call())) seen.push(item);
      })(),
    );
    expect(thrown).toBe(error);
    expect(seen).toEqual([]);
  });

  it("a parts reply is streamed exactly (no finish added), then its error; generate assembles it", async () => {
    const parts: StreamPart[] = [
      { type: "text", text: "cut " },
      { type: "text", text: "short" },
    ];
    const boom = new Error("boom");
    const fake = createFakeProvider({
      replies: [{ parts }, { parts, error: boom }, { parts }, { parts, error: boom }],
    });
    expect(await items(fake.stream(hi, call()))).toEqual(parts);
    const seen: unknown[] = [];
    const thrown = await rejection(
      (async () => {
        for await (const item of fake.stream(hi, call())) seen.push(item);
      })(),
    );
    expect(thrown).toBe(boom);
    expect(seen).toEqual(parts);
    expect(await fake.generate(hi, call())).toEqual({
      content: "cut short",
      model: "m-1",
      provider: "fake",
      cached: false,
    });
    expect(await rejection(fake.generate(hi, call()))).toBe(boom);
  });

  it("records every call in order and answers function replies from it", async () => {
    const seen: unknown[] = [];
    const fake = createFakeProvider({
      replies: [
        (messages, options, mode) => {
          seen.push({ messages, model: options.model, mode });
          return { text: `to ${messages.at(-1)?.content}` };
        },
        async () => ({ text: "async" }),
      ],
    });
    const streamed = fake.stream(hi, call({ temperature: 0.5 }));
    // Recorded when called, before the stream is read.
    expect(fake.calls).toHaveLength(1);
    expect(await items(streamed)).toContainEqual({ type: "text", text: "to Hi" });
    expect((await fake.generate(hi, call())).content).toBe("async");
    expect(fake.calls).toEqual([
      { messages: hi, options: call({ temperature: 0.5 }), mode: "stream" },
      { messages: hi, options: call(), mode: "generate" },
    ]);
    expect(seen).toEqual([{ messages: hi, model: "m-1", mode: "stream" }]);
  });

  it("answers the queue in order, then the default reply, else an echo; enqueue adds", async () => {
    const echo = createFakeProvider({ replies: [{ text: "first" }] });
    expect(echo.pending).toBe(1);
    expect((await echo.generate(hi, call())).content).toBe("first");
    expect((await echo.generate(hi, call())).content).toBe("Echo: Hi");
    echo.enqueue({ text: "a" }, { text: "b" });
    expect(echo.pending).toBe(2);
    expect((await echo.generate(hi, call())).content).toBe("a");
    expect((await echo.generate(hi, call())).content).toBe("b");
    const fixed = createFakeProvider({ defaultReply: { text: "always" } });
    expect((await fixed.generate(hi, call())).content).toBe("always");
    expect((await fixed.generate(hi, call())).content).toBe("always");
  });

  it("a gate holds generate until it opens", async () => {
    const gate = deferred();
    const fake = createFakeProvider({ replies: [{ text: "late", gate: gate.promise }] });
    let answered = false;
    const pending = fake.generate(hi, call()).then((r) => {
      answered = true;
      return r;
    });
    // Let every queued callback run: the gate is still closed.
    await new Promise((resolve) => setImmediate(resolve));
    expect(answered).toBe(false);
    gate.resolve();
    expect((await pending).content).toBe("late");
  });

  it("gateAfterParts holds a stream after that many items", async () => {
    const gate = deferred();
    const fake = createFakeProvider({
      replies: [{ chunks: ["a", "b"], gate: gate.promise, gateAfterParts: 1 }],
    });
    const iterator = fake.stream(hi, call())[Symbol.asyncIterator]();
    expect((await iterator.next()).value).toEqual({ type: "text", text: "a" });
    let moved = false;
    const second = iterator.next().then((r) => {
      moved = true;
      return r;
    });
    await new Promise((resolve) => setImmediate(resolve));
    expect(moved).toBe(false);
    gate.resolve();
    expect((await second).value).toEqual({ type: "text", text: "b" });
  });

  it("an abort ends a wait with the signal's reason, for generate and stream", async () => {
    const reason = new Error("caller left");
    const never = new Promise(() => {});
    const fake = createFakeProvider({
      defaultReply: { text: "never", gate: never },
    });
    const controller = new AbortController();
    const generating = fake.generate(hi, call({ signal: controller.signal }));
    const streaming = items(fake.stream(hi, call({ signal: controller.signal })));
    controller.abort(reason);
    expect(await rejection(generating)).toBe(reason);
    expect(await rejection(streaming)).toBe(reason);
    // Already aborted: rejects at once, even without a wait.
    const again = createFakeProvider();
    expect(await rejection(again.generate(hi, call({ signal: controller.signal })))).toBe(reason);
    expect(await rejection(items(again.stream(hi, call({ signal: controller.signal }))))).toBe(
      reason,
    );
  });

  it("an abort mid-stream stops the stream with the signal's reason", async () => {
    const controller = new AbortController();
    const fake = createFakeProvider({ replies: [{ chunks: ["one", "two", "three"] }] });
    const seen: unknown[] = [];
    const thrown = await rejection(
      (async () => {
        for await (const part of fake.stream(hi, call({ signal: controller.signal }))) {
          seen.push(part);
          controller.abort();
        }
      })(),
    );
    expect((thrown as Error).name).toBe("AbortError");
    expect(seen).toEqual([{ type: "text", text: "one" }]);
  });

  it("delayMs and chunkDelayMs hold the answer until the signal aborts them", async () => {
    const fake = createFakeProvider({
      replies: [
        { text: "slow", delayMs: 60_000 },
        { chunks: ["a", "b"], chunkDelayMs: 60_000 },
      ],
    });
    const first = new AbortController();
    const generating = fake.generate(hi, call({ signal: first.signal }));
    first.abort();
    expect((await rejection(generating)) as Error).toMatchObject({ name: "AbortError" });
    const second = new AbortController();
    const iterator = fake.stream(hi, call({ signal: second.signal }))[Symbol.asyncIterator]();
    expect((await iterator.next()).value).toEqual({ type: "text", text: "a" });
    const next = iterator.next();
    second.abort();
    expect((await rejection(next)) as Error).toMatchObject({ name: "AbortError" });
  });

  it("drives an LLMClient: retried once, then answered (the README example)", async () => {
    const fake = createFakeProvider({
      replies: [
        { error: new RateLimitError("slow down", { provider: "fake", retryAfterMs: 1 }) },
        { chunks: ["Hel", "lo"], usage },
      ],
    });
    const client = new LLMClient({ provider: fake });
    const answer = await client.generate("Hi");
    expect(answer).toMatchObject({ content: "Hello", provider: "fake", usage, cached: false });
    expect(fake.calls).toHaveLength(2);
    expect(fake.calls[1]!.messages).toEqual(hi);
  });
});
