import {
  ContentFilterError,
  ProviderError,
  QuotaExceededError,
  ServiceUnavailableError,
} from "@rephysco/core";
import { OpenAIProvider } from "@rephysco/openai";
import { OpenAICompatibleProvider } from "@rephysco/openai/compatible";
import { createMockServer, findSecret, type MockServer } from "@rephysco/testing";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { drain, drainParts, KEY, streamOf } from "./helpers.js";

let server: MockServer;
let provider: OpenAIProvider;

beforeAll(async () => {
  server = await createMockServer();
  provider = new OpenAIProvider({ apiKey: KEY, baseURL: `${server.url}/v1` });
});
afterEach(() => server.reset());
afterAll(() => server.close());

const user = (content: string) => [{ role: "user" as const, content }];
const sse = (...events: string[]) => events.map((e) => `data: ${e}\n\n`);
const chunk = (
  delta: Record<string, unknown>,
  finish: string | null = null,
  model: string | undefined = "m-real",
) =>
  JSON.stringify({
    id: "c1",
    object: "chat.completion.chunk",
    ...(model !== undefined && { model }),
    choices: [{ index: 0, delta, finish_reason: finish }],
  });
const lenientProvider = () =>
  new OpenAICompatibleProvider(
    {
      id: "nodone",
      defaultModel: "m",
      defaultBaseURL: "http://x.invalid",
      apiKeyEnvVars: [],
      requireDoneMarker: false,
    },
    { apiKey: KEY, baseURL: `${server.url}/v1` },
  );
const rawStream = (body: string | string[]) => ({
  raw: { status: 200, headers: { "content-type": "text/event-stream" }, body },
});

describe("stream parts", () => {
  it("metadata when the model is first named and when it changes, text as it comes, one finish last", async () => {
    server.enqueue(
      rawStream(
        sse(
          chunk({ role: "assistant", content: "" }, null, "m-1"),
          chunk({ content: "a" }, null, "m-1"),
          chunk({ content: "b" }, null, "m-2"),
          chunk({}, "stop", "m-2"),
          "[DONE]",
        ),
      ),
    );
    const { parts, error } = await drainParts(provider.stream(user("Hi"), { model: "gpt-4o" }));
    expect(error).toBeUndefined();
    expect(parts).toEqual([
      { type: "metadata", model: "m-1" },
      { type: "text", text: "a" },
      { type: "metadata", model: "m-2" },
      { type: "text", text: "b" },
      { type: "finish", reason: "stop", model: "m-2" },
    ]);
  });

  it("text and finish reason in one chunk: the text part, then the finish part last", async () => {
    server.enqueue(
      rawStream(sse(chunk({ content: "a" }), chunk({ content: "b" }, "length"), "[DONE]")),
    );
    const { parts, error } = await drainParts(provider.stream(user("Hi"), { model: "gpt-4o" }));
    expect(error).toBeUndefined();
    expect(parts).toEqual([
      { type: "metadata", model: "m-real" },
      { type: "text", text: "a" },
      { type: "text", text: "b" },
      { type: "finish", reason: "length", model: "m-real" },
    ]);
  });

  it("usage sent after the finish reason is on the finish part", async () => {
    server.enqueue({
      chunks: ["Hel", "lo"],
      model: "m-real",
      usage: { promptTokens: 2, completionTokens: 2 },
    });
    const { parts } = await drainParts(provider.stream(user("Hi"), { model: "gpt-4o" }));
    expect(parts.at(-1)).toEqual({
      type: "finish",
      reason: "stop",
      usage: {
        promptTokens: 2,
        completionTokens: 2,
        totalTokens: 4,
        cachedPromptTokens: 0,
        reasoningTokens: 0,
        raw: expect.objectContaining({ prompt_tokens: 2, completion_tokens: 2 }),
      },
      model: "m-real",
    });
    expect(parts.filter((p) => p.type === "finish")).toHaveLength(1);
  });

  it("ignores events after [DONE]", async () => {
    server.enqueue(
      rawStream(
        sse(chunk({ content: "a" }), chunk({}, "stop"), "[DONE]", chunk({ content: "late" })),
      ),
    );
    const { parts, error } = await drainParts(provider.stream(user("Hi"), { model: "gpt-4o" }));
    expect(error).toBeUndefined();
    expect(parts).toEqual([
      { type: "metadata", model: "m-real" },
      { type: "text", text: "a" },
      { type: "finish", reason: "stop", model: "m-real" },
    ]);
  });
});

describe("stream completeness", () => {
  it("a stream that ends after the finish chunk but without [DONE] is an incomplete_stream error", async () => {
    server.enqueue({
      chunks: ["Hel", "lo"],
      usage: { promptTokens: 2, completionTokens: 2 },
      omitDone: true,
      headers: { "x-request-id": "req_cut" },
    });
    const { parts, texts, error } = await drainParts(
      provider.stream(user("Hi"), { model: "gpt-4o" }),
    );
    expect(texts).toEqual(["Hel", "lo"]);
    expect(parts.some((p) => p.type === "finish")).toBe(false);
    expect(error).toBeInstanceOf(ServiceUnavailableError);
    expect(error).toMatchObject({
      reason: "incomplete_stream",
      retryable: true,
      requestId: "req_cut",
      partialContent: "Hello",
    });
  });

  it("[DONE] without any finish reason: no finish is invented, and the client reports incomplete_stream", async () => {
    server.enqueue(rawStream(sse(chunk({ content: "a" }), "[DONE]")));
    const direct = await drainParts(provider.stream(user("Hi"), { model: "gpt-4o" }));
    expect(direct.error).toBeUndefined();
    expect(direct.parts).toEqual([
      { type: "metadata", model: "m-real" },
      { type: "text", text: "a" },
    ]);

    server.enqueue(rawStream(sse(chunk({ content: "a" }), "[DONE]")));
    const { chunks, error } = await drain(streamOf(provider, user("Hi"), { model: "gpt-4o" }));
    expect(chunks.map((c) => c.content)).toEqual(["a"]);
    expect(error).toBeInstanceOf(ServiceUnavailableError);
    expect(error).toMatchObject({ reason: "incomplete_stream", partialContent: "a" });
  });

  it("requireDoneMarker: false accepts a stream without [DONE]", async () => {
    server.enqueue({
      chunks: ["Hel", "lo"],
      usage: { promptTokens: 2, completionTokens: 2 },
      omitDone: true,
    });
    const { parts, texts, error } = await drainParts(
      lenientProvider().stream(user("Hi"), { model: "m" }),
    );
    expect(error).toBeUndefined();
    expect(texts.join("")).toBe("Hello");
    expect(parts.at(-1)).toMatchObject({
      type: "finish",
      reason: "stop",
      usage: { promptTokens: 2, completionTokens: 2, totalTokens: 4 },
    });
  });

  it("requireDoneMarker: false and no finish reason: no finish part, and the client reports incomplete_stream", async () => {
    server.enqueue({ chunks: ["a"], omitFinish: true, omitDone: true });
    const direct = await drainParts(lenientProvider().stream(user("Hi"), { model: "m" }));
    expect(direct.error).toBeUndefined();
    expect(direct.texts).toEqual(["a"]);
    expect(direct.parts.some((p) => p.type === "finish")).toBe(false);

    server.enqueue({ chunks: ["a"], omitFinish: true, omitDone: true });
    const { error } = await drain(streamOf(lenientProvider(), user("Hi"), { model: "m" }));
    expect(error).toMatchObject({ reason: "incomplete_stream", partialContent: "a" });
  });

  it("a body cut in the middle of an event is a retryable ServiceUnavailableError", async () => {
    server.enqueue(
      rawStream([...sse(chunk({ content: "a" })), `data: ${chunk({ content: "b" })}`]),
    );
    const { texts, error } = await drainParts(provider.stream(user("Hi"), { model: "gpt-4o" }));
    expect(texts).toEqual(["a"]);
    expect(error).toBeInstanceOf(ServiceUnavailableError);
    expect(error?.reason).toBe("incomplete_stream");
  });
});

describe("malformed stream events", () => {
  it("an event that is not JSON is a non-retryable ProviderError malformed_response", async () => {
    server.enqueue({ malformed: "{not json" });
    const { error } = await drainParts(provider.stream(user("Hi"), { model: "gpt-4o" }));
    expect(error).toBeInstanceOf(ProviderError);
    expect(error).not.toBeInstanceOf(ServiceUnavailableError);
    expect(error).toMatchObject({ reason: "malformed_response", retryable: false });
    expect(error?.message).toContain("{not json");
  });

  it("JSON that is not an object (null, a number) is malformed too, after the text before it", async () => {
    server.enqueue(rawStream(sse(chunk({ content: "a" }), "null", "[DONE]")));
    const { texts, error } = await drainParts(provider.stream(user("Hi"), { model: "gpt-4o" }));
    expect(texts).toEqual(["a"]);
    expect(error).toMatchObject({ reason: "malformed_response", retryable: false });
  });

  it("a key that matches no key pattern, echoed in a broken event, appears nowhere in the error", async () => {
    const plainKey = "plainkey0123456789XYZ";
    const p = new OpenAIProvider({ apiKey: plainKey, baseURL: `${server.url}/v1` });
    server.enqueue({ malformed: `${plainKey} {"oops"` });
    const { error } = await drainParts(p.stream(user("Hi"), { model: "gpt-4o" }));
    expect(error).toMatchObject({ reason: "malformed_response" });
    expect(error?.cause).toBeDefined();
    expect(findSecret(error, plainKey)).toBeUndefined();
  });
});

describe("stream error events", () => {
  it("maps an error event by code through the vendor table", async () => {
    server.enqueue(
      rawStream(
        sse(
          chunk({ content: "a" }),
          JSON.stringify({
            error: {
              message: "quota gone",
              type: "insufficient_quota",
              code: "insufficient_quota",
            },
          }),
        ),
      ),
    );
    const { texts, error } = await drainParts(provider.stream(user("Hi"), { model: "gpt-4o" }));
    expect(texts).toEqual(["a"]);
    expect(error).toBeInstanceOf(QuotaExceededError);
    expect(error).toMatchObject({ code: "insufficient_quota", retryable: false });
    expect(error?.message).toContain("quota gone");
  });

  it("content filter: yields the text, then throws ContentFilterError even without [DONE]", async () => {
    server.enqueue({ chunks: ["x", "y"], finishReason: "content_filter", omitDone: true });
    const { parts, texts, error } = await drainParts(
      provider.stream(user("Hi"), { model: "gpt-4o" }),
    );
    expect(texts).toEqual(["x", "y"]);
    expect(parts.some((p) => p.type === "finish")).toBe(false);
    expect(error).toBeInstanceOf(ContentFilterError);
    expect(error?.partialContent).toBe("xy");
  });
});

describe("early stop", () => {
  it("closes the connection when the consumer stops reading", async () => {
    server.enqueue({ chunks: ["a", "b", "c"], stallAfterChunks: 1 });
    const seen: string[] = [];
    for await (const part of provider.stream(user("Hi"), { model: "gpt-4o" })) {
      if (part.type !== "text") continue;
      seen.push(part.text);
      break;
    }
    expect(seen).toEqual(["a"]);
    // A stalled response stays in flight until its socket closes.
    await vi.waitFor(() => expect(server.inFlight).toBe(0));
  });

  it("an abort while waiting for more events rejects with the signal's reason and closes the socket", async () => {
    server.enqueue({ chunks: ["a", "b"], stallAfterChunks: 1 });
    const controller = new AbortController();
    const reason = new DOMException("stop now", "AbortError");
    const iterator = provider
      .stream(user("Hi"), { model: "gpt-4o", signal: controller.signal })
      [Symbol.asyncIterator]();
    expect((await iterator.next()).value).toMatchObject({ type: "metadata" });
    expect((await iterator.next()).value).toEqual({ type: "text", text: "a" });
    const next = iterator.next();
    controller.abort(reason);
    await expect(next).rejects.toBe(reason);
    await vi.waitFor(() => expect(server.inFlight).toBe(0));
  });
});
