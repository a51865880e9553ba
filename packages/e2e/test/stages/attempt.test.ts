/**
 * The attempt stage: one call to one provider, its timeouts and abort scope, and the stream
 * contract it enforces for every provider. Clients here have no cache, no listener, no fallbacks
 * and no retries unless a test says so, so the attempt stage is the whole pipeline.
 */
import {
  LLMClient,
  type LLMClientOptions,
  memoryStore,
  type Provider,
  ProviderError,
  RephyscoError,
  ServiceUnavailableError,
  type StreamChunk,
  type StreamPart,
  TimeoutError,
} from "@rephysco/core";
import { caught, createFakeProvider, drain, type FakeProvider } from "@rephysco/testing";
import { describe, expect, it } from "vitest";
import { never } from "./support.js";

const usage = { promptTokens: 3, completionTokens: 2, totalTokens: 5 };

function client(provider: Provider, options: Partial<LLMClientOptions> = {}): LLMClient {
  return new LLMClient({ provider, retry: false, ...options });
}

const upstreamAborted = (fake: FakeProvider, i = 0) => fake.calls[i]?.options.signal?.aborted;

describe("attempt stage: timeouts", () => {
  it("firstChunkTimeoutMs: no first part in time is first_chunk_timeout, and the provider's signal aborts", async () => {
    const fake = createFakeProvider({ replies: [{ text: "late", gate: never }] });
    const { chunks, error } = await drain(client(fake).stream("Hi", { firstChunkTimeoutMs: 20 }));
    expect(chunks).toEqual([]);
    expect(error).toBeInstanceOf(TimeoutError);
    expect(error).toMatchObject({ reason: "first_chunk_timeout", provider: "fake" });
    expect(error?.partialContent).toBeUndefined();
    expect(upstreamAborted(fake)).toBe(true);
  });

  it("idleTimeoutMs: a gap after the first text is idle_timeout carrying that text", async () => {
    const fake = createFakeProvider({
      replies: [{ chunks: ["Hel", "lo"], gate: never, gateAfterParts: 1 }],
    });
    const { text, error } = await drain(
      client(fake, { idleTimeoutMs: 20 }).stream("Hi", { firstChunkTimeoutMs: 60_000 }),
    );
    expect(text).toBe("Hel");
    expect(error).toBeInstanceOf(TimeoutError);
    expect(error).toMatchObject({ reason: "idle_timeout", partialContent: "Hel" });
    expect(upstreamAborted(fake)).toBe(true);
  });

  it("timeoutMs bounds a whole generate", async () => {
    const fake = createFakeProvider({ replies: [{ text: "late", gate: never }] });
    const error = await caught(() => client(fake, { timeoutMs: 20 }).generate("Hi"));
    expect(error).toBeInstanceOf(TimeoutError);
    expect(error.reason).toBe("timeout");
    expect(upstreamAborted(fake)).toBe(true);
  });

  it("timeoutMs bounds a whole stream, text already sent included", async () => {
    const fake = createFakeProvider({
      replies: [{ chunks: ["a", "b"], gate: never, gateAfterParts: 1 }],
    });
    const { text, error } = await drain(client(fake).stream("Hi", { timeoutMs: 20 }));
    expect(text).toBe("a");
    expect(error).toBeInstanceOf(TimeoutError);
    expect(error).toMatchObject({ reason: "timeout", partialContent: "a" });
  });

  it("a slow tail after the finish part is no failure: the answer ends, the upstream is closed", async () => {
    const fake = createFakeProvider({
      replies: [
        {
          parts: [
            { type: "text", text: "Done" },
            { type: "finish", reason: "stop", usage },
          ],
          gate: never,
          gateAfterParts: 2,
        },
      ],
    });
    const { chunks, text, error } = await drain(client(fake, { idleTimeoutMs: 20 }).stream("Hi"));
    expect(error).toBeUndefined();
    expect(text).toBe("Done");
    expect(chunks.at(-1)).toMatchObject({ finishReason: "stop", usage });
    expect(upstreamAborted(fake)).toBe(true);
  });
});

describe("attempt stage: partial output", () => {
  it("an error after text and reasoning carries both; the text already sent stays sent", async () => {
    const cut = new ServiceUnavailableError("upstream cut", { provider: "fake", code: "cut" });
    const fake = createFakeProvider({
      replies: [
        {
          parts: [
            { type: "reasoning", text: "Hmm. " },
            { type: "text", text: "Hel" },
            { type: "text", text: "lo" },
          ],
          error: cut,
        },
      ],
    });
    const { text, chunks, error } = await drain(client(fake).stream("Hi"));
    expect(text).toBe("Hello");
    expect(chunks[0]).toMatchObject({ content: "", reasoning: "Hmm. " });
    expect(error).toBeInstanceOf(ServiceUnavailableError);
    expect(error).toMatchObject({
      message: "upstream cut",
      code: "cut",
      partialContent: "Hello",
      partialReasoning: "Hmm. ",
    });
  });

  it("an error before any output carries no partial output", async () => {
    const cut = new ServiceUnavailableError("down", { provider: "fake" });
    const fake = createFakeProvider({ replies: [{ error: cut }] });
    const { chunks, error } = await drain(client(fake).stream("Hi"));
    expect(chunks).toEqual([]);
    expect(error).toBe(cut);
    expect(error?.partialContent).toBeUndefined();
  });

  it("metadata never goes up alone: a failure after it is a failure before output", async () => {
    const fake = createFakeProvider({
      replies: [
        {
          parts: [{ type: "metadata", model: "m-2" }],
          error: new ServiceUnavailableError("down", { provider: "fake" }),
        },
      ],
    });
    const { chunks, error } = await drain(client(fake).stream("Hi"));
    expect(chunks).toEqual([]);
    expect(error).toBeInstanceOf(ServiceUnavailableError);
    expect(error?.partialContent).toBeUndefined();
  });

  it("a raw error a provider lets escape is classified as a connection failure and scrubbed by the provider", async () => {
    const fake = createFakeProvider({
      replies: [
        {
          parts: [{ type: "text", text: "Hel" }],
          // As Node reports it: a socket error carries its errno code.
          error: Object.assign(new Error("socket hang up sk-SECRET"), { code: "ECONNRESET" }),
        },
      ],
    });
    const scrubbing: Provider = {
      ...fake,
      stream: fake.stream,
      scrub: <T>(value: T): T => {
        if (value instanceof Error) value.message = value.message.replace("sk-SECRET", "***");
        return value;
      },
    };
    const { error } = await drain(client(scrubbing).stream("Hi"));
    expect(error).toBeInstanceOf(ServiceUnavailableError);
    expect(error?.message).toContain("socket hang up");
    expect(error?.message).not.toContain("sk-SECRET");
    expect(error?.partialContent).toBe("Hel");
  });

  it("a raw error without a transport code (a provider's own bug) is a plain ProviderError, not retried", async () => {
    const fake = createFakeProvider({
      replies: [{ error: new Error("cannot read the answer") }, { text: "never asked" }],
    });
    const c = new LLMClient({ provider: fake, retry: { baseDelayMs: 1 } });
    const error = await caught(() => c.generate("Hi"));
    expect(error).toBeInstanceOf(ProviderError);
    expect(error).not.toBeInstanceOf(ServiceUnavailableError);
    expect(error.retryable).toBe(false);
    expect((error.cause as Error).message).toBe("cannot read the answer");
    expect(fake.calls).toHaveLength(1);
  });
});

describe("attempt stage: a stream without a finish (providers that are not ours)", () => {
  const textWithoutFinish: StreamPart[] = [
    { type: "text", text: "Hel" },
    { type: "text", text: "lo" },
  ];

  for (const legacyChunks of [false, true]) {
    const shape = legacyChunks
      ? "legacy chunks without finishReason"
      : "parts without a finish part";
    it(`${shape}: incomplete_stream with the text as partialContent, and nothing cached`, async () => {
      const store = memoryStore();
      const fake = createFakeProvider({
        legacyChunks,
        replies: [{ parts: textWithoutFinish }, { parts: textWithoutFinish }],
      });
      const c = client(fake, { cache: store });
      const first = await drain(c.stream("Hi"));
      expect(first.text).toBe("Hello");
      expect(first.error).toBeInstanceOf(ServiceUnavailableError);
      expect(first.error).toMatchObject({ reason: "incomplete_stream", partialContent: "Hello" });
      expect(first.chunks.some((chunk) => chunk.finishReason !== undefined)).toBe(false);
      await c.flush();
      expect(store.size).toBe(0);
      // The identical call is not answered from the cache: it goes to the provider again.
      const second = await drain(c.stream("Hi"));
      expect(second.error).toMatchObject({ reason: "incomplete_stream" });
      expect(fake.calls).toHaveLength(2);
    });
  }

  it("a stream with no parts at all is incomplete_stream without partial output", async () => {
    const fake = createFakeProvider({ replies: [{ parts: [] }] });
    const { chunks, error } = await drain(client(fake).stream("Hi"));
    expect(chunks).toEqual([]);
    expect(error).toMatchObject({ reason: "incomplete_stream" });
    expect(error?.partialContent).toBeUndefined();
  });
});

describe("attempt stage: legacy chunks", () => {
  it("a provider yielding StreamChunks streams what one yielding parts does", async () => {
    const reply = { chunks: ["Hel", "lo"], reasoning: "Think.", usage, model: "m-2" };
    const viaParts = await drain(client(createFakeProvider({ replies: [reply] })).stream("Hi"));
    const viaChunks = await drain(
      client(createFakeProvider({ replies: [reply], legacyChunks: true })).stream("Hi"),
    );
    expect(viaParts.error).toBeUndefined();
    expect(viaChunks.error).toBeUndefined();
    expect(viaChunks.chunks).toEqual(viaParts.chunks);
    expect(viaChunks.chunks.at(-1)).toEqual({
      content: "",
      model: "m-2",
      provider: "fake",
      finishReason: "stop",
      usage,
    });
  });

  it("usage sent in a chunk after the finish reason is kept on the finish", async () => {
    const fake = createFakeProvider();
    const legacy: Provider = {
      ...fake,
      generate: fake.generate,
      async *stream(): AsyncGenerator<StreamChunk> {
        yield { content: "Hi", model: "m-2" };
        yield { content: "", finishReason: "length" };
        yield { content: "", usage };
      },
    };
    const { chunks, text, error } = await drain(client(legacy).stream("Hi"));
    expect(error).toBeUndefined();
    expect(text).toBe("Hi");
    expect(chunks.at(-1)).toMatchObject({ finishReason: "length", usage, model: "m-2" });
  });

  it("legacy chunks whose finish reason came before a slow tail end as a success", async () => {
    const fake = createFakeProvider({
      legacyChunks: true,
      replies: [
        {
          parts: [
            { type: "text", text: "Done" },
            { type: "finish", reason: "stop" },
          ],
          gate: never,
          gateAfterParts: 2,
        },
      ],
    });
    const { chunks, error } = await drain(client(fake, { idleTimeoutMs: 20 }).stream("Hi"));
    expect(error).toBeUndefined();
    expect(chunks.map((c) => c.content).join("")).toBe("Done");
    expect(chunks.at(-1)?.finishReason).toBe("stop");
  });
});

describe("attempt stage: the caller's abort", () => {
  it("ends a generate with the signal's reason and aborts the provider's signal", async () => {
    const reason = new DOMException("caller left", "AbortError");
    const controller = new AbortController();
    const fake = createFakeProvider({
      replies: [
        () => {
          queueMicrotask(() => controller.abort(reason));
          return { text: "never", gate: never };
        },
      ],
    });
    const error = await caught(() => client(fake).generate("Hi", { signal: controller.signal }));
    expect(error).toBe(reason);
    expect(upstreamAborted(fake)).toBe(true);
  });

  it("ends a stream mid-answer with the signal's reason; the provider's signal aborts", async () => {
    const controller = new AbortController();
    const fake = createFakeProvider({
      replies: [{ chunks: ["one", "two"], gate: never, gateAfterParts: 1 }],
    });
    const seen: string[] = [];
    const error = await caught(async () => {
      for await (const chunk of client(fake).stream("Hi", { signal: controller.signal })) {
        seen.push(chunk.content);
        controller.abort();
      }
    });
    expect(error).toBe(controller.signal.reason);
    expect(error).not.toBeInstanceOf(RephyscoError);
    expect(seen).toEqual(["one"]);
    expect(upstreamAborted(fake)).toBe(true);
  });
});
