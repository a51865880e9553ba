import { AnthropicProvider, createAnthropic } from "@rephysco/anthropic";
import {
  AuthenticationError,
  ContentFilterError,
  createProvider,
  InvalidRequestError,
  LLMClient,
  listProviders,
  type Message,
  type ProviderError,
  QuotaExceededError,
  RateLimitError,
  ServiceUnavailableError,
  type StreamPart,
} from "@rephysco/core";
import { createMockServer, type MockReply, type MockServer, vendorErrors } from "@rephysco/testing";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { convertToAnthropicMessages } from "../src/convert-to-anthropic-messages.js";
import { mapAnthropicFinishReason } from "../src/map-anthropic-finish-reason.js";

const KEY = "sk-ant-api03-unit-test-key-000000";
const MODEL = "claude-haiku-4-5";
let server: MockServer;
let claude: AnthropicProvider;

beforeAll(async () => {
  server = await createMockServer();
  claude = createAnthropic({ apiKey: KEY, baseURL: `${server.url}/v1` });
});
afterAll(async () => {
  await server.close();
});
beforeEach(() => server.reset());

const hi: Message[] = [{ role: "user", content: "Hi" }];

async function rejectionOf(run: () => Promise<unknown>): Promise<unknown> {
  try {
    await run();
  } catch (error) {
    return error;
  }
  throw new Error("expected a failure");
}

async function collect<T>(iterable: AsyncIterable<T>, into: T[] = []): Promise<T[]> {
  for await (const c of iterable) into.push(c);
  return into;
}

const textsOf = (parts: readonly StreamPart[]) =>
  parts.flatMap((p) => (p.type === "text" ? [p.text] : []));

describe("request", () => {
  it("posts to <baseURL>/messages with x-api-key, anthropic-version and a default max_tokens", async () => {
    await claude.generate([{ role: "system", content: "Be brief." }, ...hi], { model: MODEL });
    const req = server.requests[0]!;
    expect(req.method).toBe("POST");
    expect(req.path).toBe("/v1/messages");
    expect(req.headers["x-api-key"]).toBe(KEY);
    expect(req.headers["anthropic-version"]).toBe("2023-06-01");
    expect(req.headers.authorization).toBeUndefined();
    expect(req.body).toEqual({
      model: MODEL,
      max_tokens: 4096,
      system: "Be brief.",
      messages: [{ role: "user", content: "Hi" }],
    });
  });

  it("maps generation options and passes providerOptions through", async () => {
    await collect(
      claude.stream(hi, {
        model: MODEL,
        maxTokens: 256,
        temperature: 0.2,
        topP: 0.9,
        stop: ["END"],
        providerOptions: { thinking: { type: "enabled", budget_tokens: 1024 }, top_k: 5 },
      }),
    );
    expect(server.requests[0]?.body).toEqual({
      model: MODEL,
      max_tokens: 256,
      messages: [{ role: "user", content: "Hi" }],
      temperature: 0.2,
      top_p: 0.9,
      stop_sequences: ["END"],
      stream: true,
      thinking: { type: "enabled", budget_tokens: 1024 },
      top_k: 5,
    });
  });

  it("uses defaultMaxTokens, anthropicVersion and extra headers from the settings", async () => {
    const custom = createAnthropic({
      apiKey: KEY,
      baseURL: `${server.url}/v1/`,
      defaultMaxTokens: 1000,
      anthropicVersion: "2023-01-01",
      headers: { "anthropic-beta": "test-beta" },
    });
    await custom.generate(hi, { model: MODEL });
    const req = server.requests[0]!;
    expect(req.path).toBe("/v1/messages");
    expect(req.headers["anthropic-version"]).toBe("2023-01-01");
    expect(req.headers["anthropic-beta"]).toBe("test-beta");
    expect((req.body as { max_tokens: number }).max_tokens).toBe(1000);
  });
});

describe("messages", () => {
  it("sends images as base64 blocks or URL sources, before the text", () => {
    const prompt = convertToAnthropicMessages([
      {
        role: "user",
        content: "Compare",
        images: ["https://example.com/a.png", "data:image/jpeg;base64,/9j/AAAA"],
      },
    ]);
    expect(prompt.messages).toEqual([
      {
        role: "user",
        content: [
          { type: "image", source: { type: "url", url: "https://example.com/a.png" } },
          { type: "image", source: { type: "base64", media_type: "image/jpeg", data: "/9j/AAAA" } },
          { type: "text", text: "Compare" },
        ],
      },
    ]);
  });

  it("joins system messages and merges consecutive turns of one role", () => {
    const prompt = convertToAnthropicMessages([
      { role: "system", content: "A" },
      { role: "user", content: "one" },
      { role: "user", content: "two" },
      { role: "system", content: "B" },
      { role: "assistant", content: "three" },
    ]);
    expect(prompt.system).toBe("A\n\nB");
    expect(prompt.messages).toEqual([
      {
        role: "user",
        content: [
          { type: "text", text: "one" },
          { type: "text", text: "two" },
        ],
      },
      { role: "assistant", content: "three" },
    ]);
  });

  it("rejects a tool message without toolCallId and images on assistant messages", () => {
    expect(() => convertToAnthropicMessages([{ role: "tool", content: "x" }])).toThrow(
      InvalidRequestError,
    );
    expect(() =>
      convertToAnthropicMessages([
        { role: "assistant", content: "x", images: ["https://e.com/a.png"] },
      ]),
    ).toThrow(InvalidRequestError);
  });
});

describe("responses", () => {
  it("splits thinking from text and counts cache tokens in the prompt", async () => {
    server.enqueue({
      reasoning: "Hmm.",
      text: "Answer",
      extra: {
        usage: {
          input_tokens: 10,
          cache_creation_input_tokens: 20,
          cache_read_input_tokens: 70,
          output_tokens: 5,
        },
      },
    });
    const r = await claude.generate(hi, { model: MODEL });
    expect(r.content).toBe("Answer");
    expect(r.reasoning).toBe("Hmm.");
    expect(r.usage).toEqual({
      promptTokens: 100,
      completionTokens: 5,
      totalTokens: 105,
      cachedPromptTokens: 70,
      cacheWriteTokens: 20,
      raw: {
        input_tokens: 10,
        cache_creation_input_tokens: 20,
        cache_read_input_tokens: 70,
        output_tokens: 5,
      },
    });
  });

  it("streams the model, thinking deltas before text deltas (no pings), the signed thinking as metadata, then one finish", async () => {
    server.enqueue({
      reasoningChunks: ["a", "b"],
      chunks: ["X", "Y"],
      usage: { promptTokens: 3, completionTokens: 4 },
    });
    const parts = await collect(claude.stream(hi, { model: MODEL }));
    expect(parts).toEqual([
      { type: "metadata", model: MODEL },
      { type: "reasoning", text: "a" },
      { type: "reasoning", text: "b" },
      { type: "text", text: "X" },
      { type: "text", text: "Y" },
      {
        type: "metadata",
        providerMetadata: {
          anthropic: {
            thinking: [{ type: "thinking", thinking: "ab", signature: expect.any(String) }],
          },
        },
      },
      {
        type: "finish",
        reason: "stop",
        usage: {
          promptTokens: 3,
          completionTokens: 4,
          totalTokens: 7,
          cachedPromptTokens: 0,
          cacheWriteTokens: 0,
          // message_start's usage with message_delta's output count laid over it.
          raw: {
            input_tokens: 3,
            cache_creation_input_tokens: 0,
            cache_read_input_tokens: 0,
            output_tokens: 4,
          },
        },
        model: MODEL,
      },
    ]);
  });

  it("reports the model of message_start, not the one asked for", async () => {
    server.enqueue({ chunks: ["X"], model: "claude-haiku-4-5-20251001" });
    const parts = await collect(claude.stream(hi, { model: MODEL }));
    expect(parts[0]).toEqual({ type: "metadata", model: "claude-haiku-4-5-20251001" });
    expect(parts.at(-1)).toMatchObject({ type: "finish", model: "claude-haiku-4-5-20251001" });
  });

  it("maps stop reasons", () => {
    expect(mapAnthropicFinishReason("end_turn")).toBe("stop");
    expect(mapAnthropicFinishReason("stop_sequence")).toBe("stop");
    expect(mapAnthropicFinishReason("max_tokens")).toBe("length");
    expect(mapAnthropicFinishReason("refusal")).toBe("content_filter");
    expect(mapAnthropicFinishReason("tool_use")).toBe("tool_calls");
    expect(mapAnthropicFinishReason("pause_turn")).toBe("other");
    expect(mapAnthropicFinishReason(null)).toBe("other");
  });

  it("raises ContentFilterError with the partial text and thinking for a streamed refusal", async () => {
    server.enqueue({ reasoningChunks: ["hm"], chunks: ["I can", "not"], finishReason: "refusal" });
    const parts: StreamPart[] = [];
    const error = await rejectionOf(() => collect(claude.stream(hi, { model: MODEL }), parts));
    expect(textsOf(parts)).toEqual(["I can", "not"]);
    expect(parts.some((p) => p.type === "finish")).toBe(false);
    expect(error).toBeInstanceOf(ContentFilterError);
    expect((error as ContentFilterError).partialContent).toBe("I cannot");
    expect((error as ContentFilterError).partialReasoning).toBe("hm");
    expect((error as ContentFilterError).requestId).toMatch(/^req_/);
  });

  it("raises ServiceUnavailableError when message_stop never comes", async () => {
    server.enqueue({ chunks: ["a"], omitDone: true });
    const parts: StreamPart[] = [];
    const error = await rejectionOf(() => collect(claude.stream(hi, { model: MODEL }), parts));
    expect(error).toBeInstanceOf(ServiceUnavailableError);
    expect((error as ServiceUnavailableError).reason).toBe("incomplete_stream");
    expect(textsOf(parts)).toEqual(["a"]);
    expect(parts.some((p) => p.type === "finish")).toBe(false);
  });

  it("message_stop with no stop reason before it: no finish is invented, and the client reports incomplete_stream", async () => {
    server.enqueue({ chunks: ["a", "b"], omitFinish: true });
    const parts = await collect(claude.stream(hi, { model: MODEL }));
    expect(parts).toEqual([
      { type: "metadata", model: MODEL },
      { type: "text", text: "a" },
      { type: "text", text: "b" },
    ]);

    server.enqueue({ chunks: ["a", "b"], omitFinish: true });
    const client = new LLMClient({ provider: claude, model: MODEL, retry: false });
    const error = await rejectionOf(() => collect(client.stream(hi)));
    expect(error).toBeInstanceOf(ServiceUnavailableError);
    expect(error).toMatchObject({ reason: "incomplete_stream", partialContent: "ab" });
  });
});

describe("errors by type", () => {
  const cases: [string, MockReply, typeof ProviderError, number][] = [
    [
      "authentication_error",
      vendorErrors.anthropic.authenticationError(),
      AuthenticationError,
      401,
    ],
    ["permission_error", vendorErrors.anthropic.permissionError(), AuthenticationError, 403],
    [
      "invalid_request_error",
      vendorErrors.anthropic.invalidRequestError(),
      InvalidRequestError,
      400,
    ],
    ["not_found_error", vendorErrors.anthropic.notFoundError(), InvalidRequestError, 404],
    [
      "rate_limit_error",
      vendorErrors.anthropic.rateLimitError({ retryAfter: 7 }),
      RateLimitError,
      429,
    ],
    ["api_error", vendorErrors.anthropic.apiError(), ServiceUnavailableError, 500],
    ["overloaded_error", vendorErrors.anthropic.overloadedError(), ServiceUnavailableError, 529],
    [
      "billing_error",
      {
        error: {
          status: 402,
          body: { type: "error", error: { type: "billing_error", message: "Billing issue" } },
        },
      },
      QuotaExceededError,
      402,
    ],
    [
      "credit balance (invalid_request_error)",
      {
        error: {
          status: 400,
          body: {
            type: "error",
            error: {
              type: "invalid_request_error",
              message: "Your credit balance is too low to access the Anthropic API.",
            },
          },
        },
      },
      QuotaExceededError,
      400,
    ],
    [
      "overloaded_error behind a proxy that rewrites the status",
      {
        error: {
          status: 400,
          body: { type: "error", error: { type: "overloaded_error", message: "Overloaded" } },
        },
      },
      ServiceUnavailableError,
      400,
    ],
  ];
  for (const [name, reply, Class, status] of cases) {
    it(`${name} -> ${Class.kind}`, async () => {
      server.enqueue(reply);
      const error = (await rejectionOf(() =>
        claude.generate(hi, { model: MODEL }),
      )) as ProviderError;
      expect(error).toBeInstanceOf(Class);
      expect(error.status).toBe(status);
      expect(error.provider).toBe("anthropic");
      expect(error.message).toContain("anthropic HTTP");
    });
  }

  it("keeps the type as code, the request id and Retry-After", async () => {
    server.enqueue(vendorErrors.anthropic.rateLimitError({ retryAfter: 7, requestId: "req_abc" }));
    const error = (await rejectionOf(() =>
      claude.generate(hi, { model: MODEL }),
    )) as RateLimitError;
    expect(error.code).toBe("rate_limit_error");
    expect(error.requestId).toBe("req_abc");
    expect(error.retryAfterMs).toBe(7000);
    expect(error.body).toMatchObject({ error: { type: "rate_limit_error" } });
  });

  it("raises the class of an error event received mid-stream, after the text so far", async () => {
    server.enqueue({ chunks: ["one ", "two"], midStreamError: { afterChunks: 1 } });
    const parts: StreamPart[] = [];
    const error = (await rejectionOf(() =>
      collect(claude.stream(hi, { model: MODEL }), parts),
    )) as ServiceUnavailableError;
    expect(textsOf(parts)).toEqual(["one "]);
    expect(error).toBeInstanceOf(ServiceUnavailableError);
    expect(error.status).toBe(529);
    expect(error.code).toBe("overloaded_error");
    expect(error.retryable).toBe(true);
    // The provider itself keeps what was delivered, for callers that use it without LLMClient.
    expect(error.partialContent).toBe("one ");

    server.enqueue({
      chunks: ["x"],
      midStreamError: {
        afterChunks: 1,
        body: { type: "error", error: { type: "invalid_request_error", message: "bad" } },
      },
    });
    const invalid = await rejectionOf(() => collect(claude.stream(hi, { model: MODEL })));
    expect(invalid).toBeInstanceOf(InvalidRequestError);
  });
});

describe("registration and configuration", () => {
  it("registers itself as anthropic on import", () => {
    expect(listProviders().find((p) => p.id === "anthropic")).toMatchObject({
      defaultModel: "claude-sonnet-4-5",
      apiKeyEnvVars: ["ANTHROPIC_API_KEY"],
      packageName: "@rephysco/anthropic",
    });
    const p = createProvider("anthropic", { apiKey: KEY });
    expect(p).toBeInstanceOf(AnthropicProvider);
    expect(p.baseURL).toBe("https://api.anthropic.com/v1");
    expect(p.capabilities).toEqual({
      images: true,
      reasoning: true,
      tools: true,
      structuredOutput: true,
    });
  });

  it("names ANTHROPIC_API_KEY when no key is found", () => {
    const saved = process.env.ANTHROPIC_API_KEY;
    delete process.env.ANTHROPIC_API_KEY;
    try {
      expect(() => createAnthropic()).toThrow(/ANTHROPIC_API_KEY/);
      expect(() => createAnthropic()).toThrow(AuthenticationError);
    } finally {
      if (saved !== undefined) process.env.ANTHROPIC_API_KEY = saved;
    }
  });
});
