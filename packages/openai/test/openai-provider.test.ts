import {
  AuthenticationError,
  ContentFilterError,
  createProvider,
  InvalidRequestError,
  listProviders,
  ProviderError,
  QuotaExceededError,
  RateLimitError,
  ServiceUnavailableError,
} from "@rephysco/core";
import { OpenAIModels, OpenAIProvider } from "@rephysco/openai";
import { createMockServer, type MockServer } from "@rephysco/testing";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { caught, drainParts, expectNoSecret, KEY, PNG } from "./helpers.js";

let server: MockServer;
let provider: OpenAIProvider;

beforeAll(async () => {
  server = await createMockServer();
  provider = new OpenAIProvider({ apiKey: KEY, baseURL: `${server.url}/v1` });
});
afterEach(() => {
  server.reset();
  vi.unstubAllEnvs();
});
afterAll(() => server.close());

const user = (content: string) => [{ role: "user" as const, content }];

describe("registration", () => {
  it('registers "openai" with its info when imported', () => {
    const info = listProviders().find((p) => p.id === "openai");
    expect(info).toEqual({
      id: "openai",
      defaultModel: OpenAIModels.GPT_4_1_MINI,
      apiKeyEnvVars: ["OPENAI_API_KEY"],
      baseURLEnvVars: ["OPENAI_BASE_URL"],
      packageName: "@rephysco/openai",
    });
  });

  it("creates through the registry and reads the key and base URL from the environment", async () => {
    vi.stubEnv("OPENAI_API_KEY", KEY);
    vi.stubEnv("OPENAI_BASE_URL", `${server.url}/env/v1`);
    const p = createProvider("openai", { organization: "org-1", project: "proj-1" });
    expect(p).toBeInstanceOf(OpenAIProvider);
    await p.generate(user("hi"), { model: "gpt-4o" });
    const req = server.requests[0]!;
    expect(req.path).toBe("/env/v1/chat/completions");
    expect(req.headers.authorization).toBe(`Bearer ${KEY}`);
    expect(req.headers["openai-organization"]).toBe("org-1");
    expect(req.headers["openai-project"]).toBe("proj-1");
  });

  it("fails before any request when no key is set, naming OPENAI_API_KEY", () => {
    vi.stubEnv("OPENAI_API_KEY", "");
    let error: unknown;
    try {
      new OpenAIProvider({ baseURL: `${server.url}/v1` });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(AuthenticationError);
    expect((error as Error).message).toContain("OPENAI_API_KEY");
    expect(server.requests).toHaveLength(0);
  });
});

describe("request body", () => {
  it("sends model, plain string messages, mapped parameters, headers and no stream_options", async () => {
    const p = new OpenAIProvider({
      apiKey: KEY,
      baseURL: `${server.url}/v1`,
      headers: { "x-team": "qa" },
    });
    await p.generate(
      [
        { role: "system", content: "Be brief." },
        { role: "user", content: "Hello", name: "ann" },
        { role: "assistant", content: "Hi!" },
        { role: "user", content: "Again" },
      ],
      { model: "gpt-4o", temperature: 0.2, topP: 0.9, maxTokens: 64, stop: ["\n\n"] },
    );
    const req = server.requests[0]!;
    expect(req.method).toBe("POST");
    expect(req.path).toBe("/v1/chat/completions");
    expect(req.headers.authorization).toBe(`Bearer ${KEY}`);
    expect(req.headers["x-team"]).toBe("qa");
    expect(req.headers["openai-organization"]).toBeUndefined();
    expect(req.body).toEqual({
      model: "gpt-4o",
      messages: [
        { role: "system", content: "Be brief." },
        { role: "user", content: "Hello", name: "ann" },
        { role: "assistant", content: "Hi!" },
        { role: "user", content: "Again" },
      ],
      temperature: 0.2,
      top_p: 0.9,
      max_tokens: 64,
      stop: ["\n\n"],
      stream: false,
    });
  });

  it("sends images as text + image_url parts: URLs unchanged, bytes as a sniffed data URL", async () => {
    await provider.generate(
      [
        { role: "user", content: "Plain" },
        { role: "user", content: "What is this?", images: ["https://example.com/cat.jpg", PNG] },
      ],
      { model: "gpt-4o" },
    );
    const body = server.requests[0]!.body as { messages: unknown[] };
    expect(body.messages).toEqual([
      { role: "user", content: "Plain" },
      {
        role: "user",
        content: [
          { type: "text", text: "What is this?" },
          { type: "image_url", image_url: { url: "https://example.com/cat.jpg" } },
          {
            type: "image_url",
            image_url: { url: `data:image/png;base64,${Buffer.from(PNG).toString("base64")}` },
          },
        ],
      },
    ]);
  });

  it("rejects images on a system message before sending", async () => {
    const error = await caught(() =>
      provider.generate([{ role: "system", content: "x", images: [PNG] }], { model: "gpt-4o" }),
    );
    expect(error).toBeInstanceOf(InvalidRequestError);
    expect(server.requests).toHaveLength(0);
  });

  it.each(["o3-mini", "o4-mini", "o1", "gpt-5", "gpt-5-mini"])(
    "reasoning model %s: max_completion_tokens, no sampling parameters, developer role",
    async (model) => {
      await provider.generate([{ role: "system", content: "Be brief." }, ...user("Hi")], {
        model,
        temperature: 0.3,
        topP: 0.5,
        maxTokens: 256,
        providerOptions: { reasoning_effort: "low", presence_penalty: 1, frequency_penalty: 1 },
      });
      expect(server.requests[0]!.body).toEqual({
        model,
        messages: [
          { role: "developer", content: "Be brief." },
          { role: "user", content: "Hi" },
        ],
        max_completion_tokens: 256,
        reasoning_effort: "low",
        stream: false,
      });
    },
  );

  it("gpt-5-chat-latest is not a reasoning model: max_tokens, temperature and system role stay", async () => {
    await provider.generate([{ role: "system", content: "S" }, ...user("Hi")], {
      model: "gpt-5-chat-latest",
      temperature: 0.3,
      maxTokens: 10,
    });
    expect(server.requests[0]!.body).toMatchObject({
      messages: [{ role: "system", content: "S" }, { role: "user" }],
      temperature: 0.3,
      max_tokens: 10,
    });
  });

  it("passes providerOptions through into the body", async () => {
    await provider.generate(user("Hi"), {
      model: "gpt-4o",
      providerOptions: { seed: 7, logit_bias: { "50256": -100 }, user: "u-1" },
    });
    expect(server.requests[0]!.body).toMatchObject({
      seed: 7,
      logit_bias: { "50256": -100 },
      user: "u-1",
    });
  });
});

describe("generate", () => {
  it("returns content, model, usage and finish reason", async () => {
    server.enqueue({
      text: "Hello there",
      model: "gpt-4o-2024-08-06",
      usage: { promptTokens: 11, completionTokens: 3 },
    });
    const res = await provider.generate(user("Hi"), { model: "gpt-4o" });
    expect(res).toMatchObject({
      content: "Hello there",
      model: "gpt-4o-2024-08-06",
      provider: "openai",
      cached: false,
      finishReason: "stop",
      usage: {
        promptTokens: 11,
        completionTokens: 3,
        totalTokens: 14,
        cachedPromptTokens: 0,
        reasoningTokens: 0,
      },
    });
    expect(res.reasoning).toBeUndefined();
  });

  it("maps finish_reason length", async () => {
    server.enqueue({ text: "cut", finishReason: "length" });
    expect((await provider.generate(user("Hi"), { model: "gpt-4o" })).finishReason).toBe("length");
  });

  it("raises ContentFilterError for finish_reason content_filter", async () => {
    server.enqueue({
      text: "partial",
      finishReason: "content_filter",
      headers: { "x-request-id": "req_cf" },
    });
    const error = await caught(() => provider.generate(user("Hi"), { model: "gpt-4o" }));
    expect(error).toBeInstanceOf(ContentFilterError);
    expect(error).toMatchObject({
      provider: "openai",
      requestId: "req_cf",
      partialContent: "partial",
    });
  });

  it("maps a malformed body to a non-retryable ProviderError quoting what came back", async () => {
    server.enqueue({ malformed: "{not json" });
    const error = await caught(() => provider.generate(user("Hi"), { model: "gpt-4o" }));
    expect(error).toBeInstanceOf(ProviderError);
    expect(error).not.toBeInstanceOf(ServiceUnavailableError);
    expect(error).toMatchObject({ reason: "malformed_response", retryable: false });
    expect((error as Error).message).toContain("{not json");
  });

  it("a JSON body without choices is a ProviderError, not an empty answer", async () => {
    server.enqueue({
      raw: {
        status: 200,
        headers: { "content-type": "application/json" },
        body: '{"id":"x","object":"chat.completion"}',
      },
    });
    const error = await caught(() => provider.generate(user("Hi"), { model: "gpt-4o" }));
    expect(error).toBeInstanceOf(ProviderError);
    expect((error as Error).message).toContain('"object":"chat.completion"');
  });
});

describe("stream", () => {
  it("asks for usage and yields the model, the text in order, then one finish part with usage", async () => {
    server.enqueue({
      chunks: ["Hel", "lo", " world"],
      model: "gpt-4o-mini-2024-07-18",
      usage: { promptTokens: 5, completionTokens: 3 },
    });
    const { parts, error } = await drainParts(
      provider.stream(user("Hi"), { model: "gpt-4o-mini" }),
    );
    expect(error).toBeUndefined();
    expect(server.requests[0]!.body).toMatchObject({
      stream: true,
      stream_options: { include_usage: true },
    });
    expect(parts).toEqual([
      { type: "metadata", model: "gpt-4o-mini-2024-07-18" },
      { type: "text", text: "Hel" },
      { type: "text", text: "lo" },
      { type: "text", text: " world" },
      {
        type: "finish",
        reason: "stop",
        usage: {
          promptTokens: 5,
          completionTokens: 3,
          totalTokens: 8,
          cachedPromptTokens: 0,
          reasoningTokens: 0,
          raw: expect.objectContaining({ prompt_tokens: 5, completion_tokens: 3 }),
        },
        model: "gpt-4o-mini-2024-07-18",
      },
    ]);
  });

  it("keeps stream_options given in providerOptions but always asks for usage", async () => {
    await drainParts(
      provider.stream(user("Hi"), {
        model: "gpt-4o",
        providerOptions: { stream_options: { include_obfuscation: false, include_usage: false } },
      }),
    );
    expect(server.requests[0]!.body).toMatchObject({
      stream_options: { include_obfuscation: false, include_usage: true },
    });
  });

  it("yields the text received, then raises ContentFilterError", async () => {
    server.enqueue({ chunks: ["one ", "two"], finishReason: "content_filter" });
    const { texts, error } = await drainParts(provider.stream(user("Hi"), { model: "gpt-4o" }));
    expect(texts).toEqual(["one ", "two"]);
    expect(error).toBeInstanceOf(ContentFilterError);
    expect(error?.partialContent).toBe("one two");
  });

  it("turns a mid-stream error event into the matching class after the chunks before it", async () => {
    server.enqueue({ chunks: ["a", "b", "c"], midStreamError: { afterChunks: 2 } });
    const first = await drainParts(provider.stream(user("Hi"), { model: "gpt-4o" }));
    expect(first.texts).toEqual(["a", "b"]);
    expect(first.error).toBeInstanceOf(ServiceUnavailableError);
    expect(first.error?.message).toContain("The server had an error");

    server.enqueue({
      chunks: ["a", "b"],
      midStreamError: {
        afterChunks: 1,
        body: {
          error: {
            message: "Rate limit reached",
            type: "requests",
            param: null,
            code: "rate_limit_exceeded",
          },
        },
      },
    });
    const second = await drainParts(provider.stream(user("Hi"), { model: "gpt-4o" }));
    expect(second.error).toBeInstanceOf(RateLimitError);
    expect(second.error).toMatchObject({ code: "rate_limit_exceeded", status: undefined });
  });

  it("raises ServiceUnavailableError when the connection is reset mid-stream", async () => {
    server.enqueue({ chunks: ["a", "b", "c"], resetAfterChunks: 2 });
    const { texts, error } = await drainParts(provider.stream(user("Hi"), { model: "gpt-4o" }));
    expect(texts).toEqual(["a", "b"]);
    expect(error).toBeInstanceOf(ServiceUnavailableError);
  });

  it("raises ServiceUnavailableError when the stream ends without a finish reason or [DONE]", async () => {
    server.enqueue({ chunks: ["a", "b"], omitFinish: true, omitDone: true });
    const { texts, error } = await drainParts(provider.stream(user("Hi"), { model: "gpt-4o" }));
    expect(texts).toEqual(["a", "b"]);
    expect(error).toBeInstanceOf(ServiceUnavailableError);
    expect(error).toMatchObject({ reason: "incomplete_stream", partialContent: "ab" });
  });

  it("raises ServiceUnavailableError when the connection is reset before any response", async () => {
    server.enqueue({ reset: true });
    const { error } = await drainParts(provider.stream(user("Hi"), { model: "gpt-4o" }));
    expect(error).toBeInstanceOf(ServiceUnavailableError);
    expect(error?.reason).toBe("connection_failed");
  });
});

describe("errors", () => {
  const openaiError = (
    status: number,
    error: Record<string, unknown>,
    headers?: Record<string, string>,
  ) => ({
    error: { status, body: { error: { param: null, ...error } }, ...(headers && { headers }) },
  });

  it("401 invalid_api_key: AuthenticationError with status, code, request id, and no key anywhere", async () => {
    server.enqueue(
      openaiError(
        401,
        {
          message: `Incorrect API key provided: ${KEY}. You can find your API key at https://platform.openai.com/account/api-keys.`,
          type: "invalid_request_error",
          code: "invalid_api_key",
        },
        { "x-request-id": "req_401" },
      ),
    );
    const error = await caught(() => provider.generate(user("Hi"), { model: "gpt-4o" }));
    expect(error).toBeInstanceOf(AuthenticationError);
    expect(error).toMatchObject({
      provider: "openai",
      status: 401,
      code: "invalid_api_key",
      requestId: "req_401",
      retryable: false,
    });
    expect(error.message).toContain("Incorrect API key provided: [REDACTED]");
    expect(error.cause).toBeDefined();
    expectNoSecret(error, KEY);
  });

  it("429 rate_limit_exceeded: RateLimitError honouring retry-after-ms", async () => {
    server.enqueue(
      openaiError(
        429,
        { message: "Rate limit reached for gpt-4o", type: "tokens", code: "rate_limit_exceeded" },
        { "retry-after-ms": "1500" },
      ),
    );
    const error = await caught(() => provider.generate(user("Hi"), { model: "gpt-4o" }));
    expect(error).toBeInstanceOf(RateLimitError);
    expect(error).toMatchObject({
      status: 429,
      code: "rate_limit_exceeded",
      retryAfterMs: 1500,
      retryable: true,
    });
  });

  it("429 with Retry-After seconds", async () => {
    server.enqueue(
      openaiError(
        429,
        { message: "slow down", type: "requests", code: "rate_limit_exceeded" },
        { "retry-after": "3" },
      ),
    );
    const error = await caught(() => provider.generate(user("Hi"), { model: "gpt-4o" }));
    expect(error.retryAfterMs).toBe(3000);
  });

  it("429 insufficient_quota: QuotaExceededError, not retryable", async () => {
    server.enqueue(
      openaiError(429, {
        message: "You exceeded your current quota, please check your plan and billing details.",
        type: "insufficient_quota",
        code: "insufficient_quota",
      }),
    );
    const error = await caught(() => provider.generate(user("Hi"), { model: "gpt-4o" }));
    expect(error).toBeInstanceOf(QuotaExceededError);
    expect(error).not.toBeInstanceOf(RateLimitError);
    expect(error).toMatchObject({ status: 429, code: "insufficient_quota", retryable: false });
  });

  it("400 unsupported_parameter: InvalidRequestError with the provider's message", async () => {
    server.enqueue(
      openaiError(400, {
        message: "Unsupported parameter: 'max_tokens' is not supported with this model.",
        type: "invalid_request_error",
        code: "unsupported_parameter",
      }),
    );
    const error = await caught(() => provider.generate(user("Hi"), { model: "gpt-4o" }));
    expect(error).toBeInstanceOf(InvalidRequestError);
    expect(error).toMatchObject({ status: 400, code: "unsupported_parameter" });
    expect(error.message).toContain("Unsupported parameter");
    expect(error.body).toEqual({
      error: {
        message: "Unsupported parameter: 'max_tokens' is not supported with this model.",
        type: "invalid_request_error",
        param: null,
        code: "unsupported_parameter",
      },
    });
  });

  it.each([500, 502, 503])(
    "%i server_error: ServiceUnavailableError, retryable",
    async (status) => {
      server.enqueue(
        openaiError(status, {
          message: "The server had an error while processing your request. Sorry about that!",
          type: "server_error",
          code: null,
        }),
      );
      const error = await caught(() => provider.generate(user("Hi"), { model: "gpt-4o" }));
      expect(error).toBeInstanceOf(ServiceUnavailableError);
      expect(error).toMatchObject({ status, code: "server_error", retryable: true });
    },
  );

  it("errors on the streaming request itself are mapped the same way", async () => {
    server.enqueue(
      openaiError(401, {
        message: "bad key",
        type: "invalid_request_error",
        code: "invalid_api_key",
      }),
    );
    const { parts, error } = await drainParts(provider.stream(user("Hi"), { model: "gpt-4o" }));
    expect(parts).toHaveLength(0);
    expect(error).toBeInstanceOf(AuthenticationError);
    expect(error?.status).toBe(401);
  });

  it("sends exactly one request per call (SDK retries are off)", async () => {
    server.enqueue(openaiError(503, { message: "overloaded", type: "server_error", code: null }));
    await caught(() => provider.generate(user("Hi"), { model: "gpt-4o" }));
    expect(server.requests).toHaveLength(1);
  });
});

describe("abort", () => {
  it("rejects generate with the signal's reason and closes the request", async () => {
    server.enqueue({ text: "late", delayMs: 5_000 });
    const controller = new AbortController();
    const pending = caught(() =>
      provider.generate(user("Hi"), { model: "gpt-4o", signal: controller.signal }),
    );
    await vi.waitFor(() => expect(server.requests).toHaveLength(1));
    const reason = new DOMException("user gave up", "AbortError");
    controller.abort(reason);
    expect(await pending).toBe(reason);
  });

  it("rejects a stream aborted mid-way with an AbortError after the chunks received", async () => {
    server.enqueue({ chunks: ["a", "b", "c"], stallAfterChunks: 1 });
    const controller = new AbortController();
    const chunks: string[] = [];
    let error: unknown;
    try {
      for await (const part of provider.stream(user("Hi"), {
        model: "gpt-4o",
        signal: controller.signal,
      })) {
        if (part.type !== "text") continue;
        chunks.push(part.text);
        controller.abort();
      }
    } catch (e) {
      error = e;
    }
    expect(chunks).toEqual(["a"]);
    expect((error as Error).name).toBe("AbortError");
  });
});
