import {
  AuthenticationError,
  ContentFilterError,
  createProvider,
  InvalidRequestError,
  isAbortError,
  LLMClient,
  type Message,
  memoryStore,
  type Provider,
  type ProviderCallOptions,
  ProviderError,
  RateLimitError,
  ServiceUnavailableError,
  type StreamChunk,
  type StreamPart,
} from "@rephysco/core";
import { createMockServer, type MockServer } from "../mock-server.js";
import { caught, findSecret } from "../test-utils.js";
import type { ProviderConformanceOptions } from "./conformance-options.js";
import { type ErrorCase, errorBody, RETRY_AFTER_SECONDS } from "./dialect-errors.js";
import { describeToolCases } from "./tool-cases.js";
import { vitest } from "./vitest-api.js";
import { readConversation } from "./wire-inspector.js";

// A real 1x1 PNG, so that providers which sniff or validate images accept it.
const PNG_1X1 =
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==";

/**
 * A provider's stream in the chunk shape the checks read: providers may yield stream parts or
 * legacy chunks (the client accepts both), so parts are shown as the chunks they stand for.
 */
async function* asChunks(
  iterable: AsyncIterable<StreamPart | StreamChunk>,
): AsyncGenerator<StreamChunk, void, undefined> {
  for await (const item of iterable) {
    if (typeof (item as { type?: unknown }).type !== "string") {
      yield item as StreamChunk;
      continue;
    }
    const part = item as StreamPart;
    if (part.type === "text") yield { content: part.text };
    else if (part.type === "reasoning") yield { content: "", reasoning: part.text };
    else if (part.type === "refusal") yield { content: "", refusal: part.text };
    else if (part.type === "tool-call-start")
      yield {
        content: "",
        toolCallDelta: { index: part.index, id: part.id, name: part.name, argumentsDelta: "" },
      };
    else if (part.type === "tool-call-delta")
      yield {
        content: "",
        toolCallDelta: { index: part.index, argumentsDelta: part.argumentsDelta },
      };
    else if (part.type === "metadata")
      yield { content: "", ...(part.model && { model: part.model }) };
    else if (part.type === "finish")
      yield {
        content: "",
        finishReason: part.reason,
        ...(part.usage && { usage: part.usage }),
        ...(part.model && { model: part.model }),
      };
  }
}

async function collect(
  iterable: AsyncIterable<StreamPart | StreamChunk>,
  into: StreamChunk[] = [],
): Promise<StreamChunk[]> {
  for await (const chunk of asChunks(iterable)) into.push(chunk);
  return into;
}

const user = (content: string): Message => ({ role: "user", content });

/**
 * Declares the provider conformance suite: one vitest `describe` block that runs a provider
 * against a fresh local mock server speaking its dialect and checks the contract every Rephysco
 * provider keeps: generate and stream (text order, usage, finish reasons, content filter), the
 * system prompt and multi-turn history on the wire, images and reasoning when supported, the error
 * table (401/403, 400, 404, 429 with Retry-After, 5xx, malformed bodies, resets, cut streams),
 * aborts, cache compatibility (stable cache keys, replay through `LLMClient` with a memory store),
 * and, through `LLMClient`, tool calling (a call in generate and stream with its fragments,
 * parallel calls, a tool loop with `maxSteps`, a tool history after a JSON round trip, tool names
 * the provider rejects) and structured output (`generateObject`, `streamObject`), each checked on
 * the wire in the dialect's form. A provider that declares no `capabilities.tools` /
 * `structuredOutput` must refuse those calls (`unsupported_feature`) before any request.
 *
 * Call it at the top level of a test file, after importing the provider package so that it is
 * registered. Requires vitest in the calling project.
 *
 * @example
 * ```ts
 * import "@rephysco/anthropic";
 * import { describeProviderConformance } from "@rephysco/testing";
 *
 * describeProviderConformance({
 *   name: "@rephysco/anthropic",
 *   providerId: "anthropic",
 *   dialect: "anthropic",
 *   model: "claude-haiku-4-5",
 *   settings: (server) => ({ baseURL: `${server.url}/v1`, apiKey: "sk-ant-conformance-key" }),
 * });
 * ```
 */
export function describeProviderConformance(options: ProviderConformanceOptions): void {
  const { describe, it, expect, beforeAll, afterAll, beforeEach } = vitest();
  const { providerId, dialect, model } = options;

  describe(`${options.name} provider conformance (${dialect} dialect)`, () => {
    let server: MockServer;
    let provider: Provider;
    let apiKey = "";

    const call = (extra: Partial<ProviderCallOptions> = {}): ProviderCallOptions => ({
      model,
      ...(options.providerOptions && { providerOptions: options.providerOptions }),
      ...extra,
    });
    const lastBody = () => {
      const req = server.requests.at(-1);
      expect(req, "the provider sent no request to the mock server").toBeDefined();
      return req!.body;
    };

    beforeAll(async () => {
      server = await createMockServer();
      const settings = options.settings(server);
      apiKey = settings.apiKey ?? "";
      // Shorter "keys" are not scrubbed (they would redact ordinary words), so the leak checks
      // below need a realistic one.
      expect(apiKey.length, "settings.apiKey must be at least 8 characters").toBeGreaterThanOrEqual(
        8,
      );
      provider = createProvider(providerId, settings);
    });
    afterAll(async () => {
      await server?.close();
    });
    beforeEach(() => {
      server.reset();
    });

    const supports = (flag: "images" | "reasoning") =>
      (flag === "images" ? options.supportsImages : options.supportsReasoning) ??
      provider.capabilities[flag];

    describe("generate", () => {
      it("returns the text, model, provider, usage and a stop finish", async () => {
        server.enqueue({ text: "Hello there", usage: { promptTokens: 7, completionTokens: 2 } });
        const r = await provider.generate([user("Hi")], call());
        expect(r.content).toBe("Hello there");
        expect(r.provider).toBe(provider.name);
        expect(typeof r.model).toBe("string");
        expect(r.finishReason).toBe("stop");
        expect(r.cached).toBe(false);
        expect(r.usage).toMatchObject({ promptTokens: 7, completionTokens: 2, totalTokens: 9 });
        expect(server.requests).toHaveLength(1);
        expect(server.requests[0]?.dialect).toBe(dialect);
        expect(server.requests[0]?.stream).toBe(false);
      });

      it("maps a token-limit finish to length", async () => {
        server.enqueue({ text: "Cut sho", finishReason: "length" });
        const r = await provider.generate([user("Hi")], call());
        expect(r.finishReason).toBe("length");
        expect(r.content).toBe("Cut sho");
      });

      it("raises ContentFilterError for a content-filter finish", async () => {
        server.enqueue({ text: "", finishReason: "content_filter" });
        const error = await caught(() => provider.generate([user("Hi")], call()));
        expect(error).toBeInstanceOf(ContentFilterError);
      });
    });

    describe("stream", () => {
      it("yields the text in order; the last chunk carries the finish reason and usage", async () => {
        server.enqueue({
          chunks: ["Hel", "lo ", "world"],
          usage: { promptTokens: 5, completionTokens: 3 },
        });
        const chunks = await collect(provider.stream([user("Hi")], call()));
        expect(chunks.map((c) => c.content).filter((t) => t !== "")).toEqual([
          "Hel",
          "lo ",
          "world",
        ]);
        const last = chunks.at(-1)!;
        expect(last.finishReason).toBe("stop");
        expect(chunks.slice(0, -1).every((c) => c.finishReason === undefined)).toBe(true);
        expect(last.usage).toMatchObject({ promptTokens: 5, completionTokens: 3, totalTokens: 8 });
        expect(server.requests[0]?.stream).toBe(true);
      });

      it("maps a token-limit finish to length", async () => {
        server.enqueue({ chunks: ["Cut", " sho"], finishReason: "length" });
        const chunks = await collect(provider.stream([user("Hi")], call()));
        expect(chunks.at(-1)?.finishReason).toBe("length");
      });

      it("yields the text received, then raises ContentFilterError for a content-filter finish", async () => {
        server.enqueue({ chunks: ["Part", "ial"], finishReason: "content_filter" });
        const chunks: StreamChunk[] = [];
        const error = await caught(() => collect(provider.stream([user("Hi")], call()), chunks));
        expect(error).toBeInstanceOf(ContentFilterError);
        expect(chunks.map((c) => c.content).join("")).toBe("Partial");
      });
    });

    describe("conversation on the wire", () => {
      it("sends the system prompt in the dialect's system slot, not as a turn", async () => {
        await provider.generate(
          [{ role: "system", content: "You are terse." }, user("Hi")],
          call(),
        );
        const conv = readConversation(dialect, lastBody());
        expect(conv.system).toContain("You are terse.");
        expect(conv.turns.map((t) => t.text)).toEqual(["Hi"]);
      });

      it("sends multi-turn history in order with the right roles", async () => {
        const history: Message[] = [
          user("one"),
          { role: "assistant", content: "two" },
          user("three"),
          { role: "assistant", content: "four" },
          user("five"),
        ];
        await provider.generate(history, call());
        const conv = readConversation(dialect, lastBody());
        expect(conv.turns.map((t) => [t.role, t.text])).toEqual([
          ["user", "one"],
          ["assistant", "two"],
          ["user", "three"],
          ["assistant", "four"],
          ["user", "five"],
        ]);
      });

      it("sends the same conversation when streaming", async () => {
        await collect(
          provider.stream([{ role: "system", content: "Be brief." }, user("Hi")], call()),
        );
        const conv = readConversation(dialect, lastBody());
        expect(conv.system).toContain("Be brief.");
        expect(conv.turns.map((t) => t.text)).toEqual(["Hi"]);
      });
    });

    describe("images", () => {
      it("sends image bytes inline with their media type (when supported)", async () => {
        if (!supports("images")) {
          // Not a skip: a provider without image support must refuse images, never drop them silently.
          const error = await caught(() =>
            provider.generate(
              [
                {
                  role: "user",
                  content: "What is this?",
                  images: [Buffer.from(PNG_1X1, "base64")],
                },
              ],
              call(),
            ),
          );
          expect(error).toBeInstanceOf(InvalidRequestError);
          return;
        }
        await provider.generate(
          [{ role: "user", content: "What is this?", images: [Buffer.from(PNG_1X1, "base64")] }],
          call(),
        );
        const conv = readConversation(dialect, lastBody());
        const turn = conv.turns.at(-1)!;
        expect(turn.text).toBe("What is this?");
        expect(turn.images).toEqual([{ base64: PNG_1X1, mediaType: "image/png" }]);
      });
    });

    describe("reasoning", () => {
      it("keeps reasoning apart from the answer in generate and stream (when supported)", async () => {
        server.enqueue({ reasoning: "Let me think.", text: "42" });
        if (!supports("reasoning")) {
          // Without reasoning support the answer must still be exactly the answer text.
          const r = await provider.generate([user("Q")], call());
          expect(r.content).toBe("42");
          return;
        }
        const r = await provider.generate([user("Q")], call());
        expect(r.content).toBe("42");
        expect(r.reasoning).toBe("Let me think.");
        server.enqueue({ reasoningChunks: ["Let me ", "think."], chunks: ["4", "2"] });
        const chunks = await collect(provider.stream([user("Q")], call()));
        expect(chunks.map((c) => c.reasoning ?? "").join("")).toBe("Let me think.");
        expect(chunks.map((c) => c.content).join("")).toBe("42");
        const firstAnswer = chunks.findIndex((c) => c.content !== "");
        const lastReasoning = chunks.findLastIndex((c) => (c.reasoning ?? "") !== "");
        expect(lastReasoning).toBeLessThan(firstAnswer);
      });
    });

    describe("errors", () => {
      const table: [ErrorCase, typeof ProviderError][] = [
        [401, AuthenticationError],
        [403, AuthenticationError],
        [400, InvalidRequestError],
        [404, InvalidRequestError],
        [500, ServiceUnavailableError],
        [503, ServiceUnavailableError],
      ];
      for (const [status, Class] of table) {
        it(`maps HTTP ${status} to ${Class.kind} without leaking the key`, async () => {
          const reply = { error: { status, body: errorBody(dialect, status, apiKey) } };
          server.enqueue([reply, reply]);
          const error = await caught(() => provider.generate([user("Hi")], call()));
          expect(error).toBeInstanceOf(Class);
          expect((error as ProviderError).status).toBe(status);
          expect((error as ProviderError).provider).toBe(provider.name);
          const streamError = await caught(() => collect(provider.stream([user("Hi")], call())));
          expect(streamError).toBeInstanceOf(Class);
          for (const e of [error, streamError]) expect(findSecret(e, apiKey)).toBeUndefined();
        });
      }

      it("maps HTTP 429 to RateLimitError with Retry-After in ms", async () => {
        const reply = {
          error: {
            status: 429,
            body: errorBody(dialect, 429, apiKey),
            ...(dialect !== "gemini" && {
              headers: { "retry-after": String(RETRY_AFTER_SECONDS) },
            }),
          },
        };
        server.enqueue([reply, reply]);
        const error = await caught(() => provider.generate([user("Hi")], call()));
        expect(error).toBeInstanceOf(RateLimitError);
        expect((error as RateLimitError).retryAfterMs).toBe(RETRY_AFTER_SECONDS * 1000);
        expect((error as RateLimitError).retryable).toBe(true);
        const streamError = await caught(() => collect(provider.stream([user("Hi")], call())));
        expect(streamError).toBeInstanceOf(RateLimitError);
        expect((streamError as RateLimitError).retryAfterMs).toBe(RETRY_AFTER_SECONDS * 1000);
        for (const e of [error, streamError]) expect(findSecret(e, apiKey)).toBeUndefined();
      });

      it("raises a ProviderError, never an answer, for a malformed body", async () => {
        server.enqueue({ malformed: `{"id": "broken", "echo": "${apiKey}", "choices": [` });
        const error = await caught(() => provider.generate([user("Hi")], call()));
        expect(error).toBeInstanceOf(ProviderError);
        expect(findSecret(error, apiKey)).toBeUndefined();
      });

      it("raises a ProviderError for a malformed stream event", async () => {
        server.enqueue({ malformed: '{"broken": ' });
        const error = await caught(() => collect(provider.stream([user("Hi")], call())));
        expect(error).toBeInstanceOf(ProviderError);
      });

      it("raises ServiceUnavailableError when the connection is reset before a response", async () => {
        server.enqueue({ reset: true });
        const error = await caught(() => provider.generate([user("Hi")], call()));
        expect(error).toBeInstanceOf(ServiceUnavailableError);
      });

      it("raises ServiceUnavailableError for a stream cut mid-answer, after the text received", async () => {
        server.enqueue({ chunks: ["one ", "two ", "three"], resetAfterChunks: 1 });
        const chunks: StreamChunk[] = [];
        const error = await caught(() => collect(provider.stream([user("Hi")], call()), chunks));
        expect(error).toBeInstanceOf(ServiceUnavailableError);
        expect(chunks.map((c) => c.content).join("")).toBe("one ");
        expect(chunks.some((c) => c.finishReason !== undefined)).toBe(false);
      });

      it("never reports a finish for a stream that ends without one", async () => {
        // The provider reports no finish part; the client (the one place that enforces the
        // stream contract) turns that into incomplete_stream with the text received.
        server.enqueue({ chunks: ["one ", "two"], omitFinish: true, omitDone: true });
        const chunks: StreamChunk[] = [];
        const client = new LLMClient({ provider, model, retry: false });
        const error = await caught(() => collect(client.stream([user("Hi")]), chunks));
        expect(error).toBeInstanceOf(ServiceUnavailableError);
        expect((error as ServiceUnavailableError).reason).toBe("incomplete_stream");
        expect((error as ServiceUnavailableError).partialContent).toBe("one two");
        expect(chunks.some((c) => c.finishReason !== undefined)).toBe(false);
      });
    });

    describe("abort", () => {
      it("rejects generate with an AbortError when the signal aborts in flight", async () => {
        const controller = new AbortController();
        server.enqueue(() => {
          controller.abort();
          return { text: "too late", delayMs: 10_000 };
        });
        const error = await caught(() =>
          provider.generate([user("Hi")], call({ signal: controller.signal })),
        );
        expect(isAbortError(error)).toBe(true);
        expect(error).not.toBeInstanceOf(ProviderError);
      });

      it("rejects a stream with an AbortError when the signal aborts mid-answer", async () => {
        const controller = new AbortController();
        server.enqueue({ chunks: ["one ", "two"], stallAfterChunks: 1 });
        const chunks: StreamChunk[] = [];
        const error = await caught(async () => {
          for await (const chunk of asChunks(
            provider.stream([user("Hi")], call({ signal: controller.signal })),
          )) {
            chunks.push(chunk);
            if (chunk.content !== "") controller.abort();
          }
        });
        expect(isAbortError(error)).toBe(true);
        expect(chunks.map((c) => c.content).join("")).toBe("one ");
      });
    });

    describe("cache compatibility", () => {
      it("shares cache entries between identical settings, never with another key", async () => {
        // The cache identity (base URL, credential fingerprint, settings identity) decides: an
        // identically configured provider hits the entry, one with another key misses.
        const settings = options.settings(server);
        const store = memoryStore();
        const ask = (s: typeof settings) =>
          new LLMClient({ provider: createProvider(providerId, s), model, cache: store }).generate([
            { role: "system", content: "S" },
            user("Hi"),
          ]);
        server.enqueue([{ text: "first" }, { text: "second" }]);
        expect((await ask(settings)).cached).toBe(false);
        expect(await ask(settings)).toMatchObject({ content: "first", cached: true });
        expect(await ask({ ...settings, apiKey: `${apiKey}-other` })).toMatchObject({
          content: "second",
          cached: false,
        });
        expect(provider.keyFingerprint).not.toContain(apiKey);
      });

      it("replays a generated answer from LLMClient's cache without a second request", async () => {
        const client = new LLMClient({
          provider: providerId,
          model,
          settings: options.settings(server),
          cache: memoryStore(),
          retry: false,
        });
        server.enqueue({ text: "cached answer" });
        const first = await client.generate(
          "Hi",
          options.providerOptions ? { providerOptions: options.providerOptions } : {},
        );
        const second = await client.generate(
          "Hi",
          options.providerOptions ? { providerOptions: options.providerOptions } : {},
        );
        expect(first.cached).toBe(false);
        expect(second.cached).toBe(true);
        expect(second.content).toBe("cached answer");
        expect(server.requests).toHaveLength(1);
      });

      it("replays a stream from LLMClient's cache with the same text and finish", async () => {
        const client = new LLMClient({
          provider: providerId,
          model,
          settings: options.settings(server),
          cache: memoryStore(),
          retry: false,
        });
        server.enqueue({ chunks: ["str", "eam"] });
        const opts = options.providerOptions ? { providerOptions: options.providerOptions } : {};
        const first = await collect(client.stream("Hi", opts));
        const second = await collect(client.stream("Hi", opts));
        expect(second.map((c) => c.content).join("")).toBe("stream");
        expect(second.map((c) => c.content).join("")).toBe(first.map((c) => c.content).join(""));
        expect(second.at(-1)?.finishReason).toBe("stop");
        expect(second.every((c) => c.cached === true)).toBe(true);
        expect(server.requests).toHaveLength(1);
      });
    });

    describeToolCases({ options, server: () => server, provider: () => provider });
  });
}
