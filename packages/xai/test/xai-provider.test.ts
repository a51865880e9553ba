import {
  AuthenticationError,
  createProvider,
  InvalidRequestError,
  isRetryableError,
  QuotaExceededError,
  RateLimitError,
  ServiceUnavailableError,
} from "@rephysco/core";
import { createMockServer, type MockServer, vendorErrors } from "@rephysco/testing";
import { XAIModels, XAIProvider } from "@rephysco/xai";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { caught, drain, expectNoSecret, PNG, streamOf } from "./helpers.js";

const KEY = "xai-test-0123456789abcdefSECRET";

let server: MockServer;
let grok: XAIProvider;

beforeAll(async () => {
  server = await createMockServer();
  grok = new XAIProvider({ apiKey: KEY, baseURL: `${server.url}/v1` });
});
afterEach(() => {
  server.reset();
  vi.unstubAllEnvs();
});
afterAll(() => server.close());

const user = (content: string) => [{ role: "user" as const, content }];

describe("settings", () => {
  it("defaults to api.x.ai with XAI_API_KEY", () => {
    vi.stubEnv("XAI_API_KEY", KEY);
    vi.stubEnv("XAI_BASE_URL", "");
    const p = createProvider("xai");
    expect(p.baseURL).toBe("https://api.x.ai/v1");
    expect(p.defaultModel).toBe(XAIModels.GROK_3_MINI);
  });

  it("names XAI_API_KEY when no key is set", () => {
    vi.stubEnv("XAI_API_KEY", "");
    expect(() => createProvider("xai")).toThrow(/XAI_API_KEY/);
  });
});

describe("requests and responses", () => {
  it("sends vision images as image_url parts to grok-2-vision-1212", async () => {
    await grok.generate([{ role: "user", content: "What?", images: [PNG] }], {
      model: XAIModels.GROK_2_VISION_1212,
    });
    const req = server.requests[0]!;
    expect(req.headers.authorization).toBe(`Bearer ${KEY}`);
    expect(req.body).toEqual({
      model: "grok-2-vision-1212",
      messages: [
        {
          role: "user",
          content: [
            { type: "text", text: "What?" },
            {
              type: "image_url",
              image_url: { url: `data:image/png;base64,${Buffer.from(PNG).toString("base64")}` },
            },
          ],
        },
      ],
      stream: false,
    });
  });

  it("reads grok-3-mini reasoning_content apart from content, in both modes", async () => {
    server.enqueue({
      text: "Hello",
      reasoning: "First, the user said",
      usage: { promptTokens: 12, completionTokens: 1, reasoningTokens: 228 },
    });
    const res = await grok.generate(user("Say a word"), {
      model: "grok-3-mini",
      providerOptions: { reasoning_effort: "low" },
    });
    expect(server.requests[0]!.body).toMatchObject({ reasoning_effort: "low" });
    expect(res).toMatchObject({ content: "Hello", reasoning: "First, the user said" });
    expect(res.usage?.reasoningTokens).toBe(228);

    server.enqueue({ chunks: ["Hel", "lo"], reasoningChunks: ["First", ", the user"] });
    const { chunks, error } = await drain(
      streamOf(grok, user("Say a word"), { model: "grok-3-mini" }),
    );
    expect(error).toBeUndefined();
    expect(chunks.map((c) => c.reasoning ?? "").join("")).toBe("First, the user");
    expect(chunks.map((c) => c.content).join("")).toBe("Hello");
    expect(server.requests[1]!.body).toMatchObject({
      stream: true,
      stream_options: { include_usage: true },
    });
  });
});

describe("errors", () => {
  it("400 gRPC-shaped 'Incorrect API key' is an AuthenticationError, key scrubbed", async () => {
    server.enqueue(vendorErrors.xai.invalidKeyGrpc(KEY));
    const error = await caught(() => grok.generate(user("Hi"), { model: "grok-3" }));
    expect(error).toBeInstanceOf(AuthenticationError);
    expect(error).toMatchObject({
      provider: "xai",
      status: 400,
      code: "Client specified an invalid argument",
    });
    expect(error.message).toContain("Incorrect API key provided");
    expectNoSecret(error, KEY);
  });

  it("other 400 invalid-argument errors stay InvalidRequestErrors (both shapes)", async () => {
    server.enqueue({
      error: {
        status: 400,
        body: {
          code: "Client specified an invalid argument",
          error: "Invalid request content: max_tokens too large",
        },
      },
    });
    const grpc = await caught(() => grok.generate(user("Hi"), { model: "grok-3" }));
    expect(grpc).toBeInstanceOf(InvalidRequestError);

    server.enqueue({
      error: {
        status: 400,
        body: {
          error: {
            message: "Invalid value: temperature must be between 0 and 2",
            type: "invalid_request_error",
            code: "invalid_value",
          },
        },
      },
    });
    const openaiShape = await caught(() => grok.generate(user("Hi"), { model: "grok-3" }));
    expect(openaiShape).toBeInstanceOf(InvalidRequestError);
    expect(openaiShape.code).toBe("invalid_value");
  });

  it("a 429 for exhausted credits is a QuotaExceededError the retry policy skips", async () => {
    server.enqueue(vendorErrors.xai.creditsExhausted());
    const error = await caught(() => grok.generate(user("Hi"), { model: "grok-3" }));
    expect(error).toBeInstanceOf(QuotaExceededError);
    expect(error.status).toBe(429);
    expect(isRetryableError(error)).toBe(false);
  });

  it("a plain 429 stays a retryable RateLimitError with Retry-After", async () => {
    server.enqueue({
      error: {
        status: 429,
        body: { code: "Some resource has been exhausted", error: "Too many requests" },
        headers: { "retry-after": "4" },
      },
    });
    const error = await caught(() => grok.generate(user("Hi"), { model: "grok-3" }));
    expect(error).toBeInstanceOf(RateLimitError);
    expect(error.retryAfterMs).toBe(4000);
    expect(isRetryableError(error)).toBe(true);
  });

  it("401 without a body, 404 unknown model, 5xx", async () => {
    server.enqueue({ error: { status: 401 } });
    expect(await caught(() => grok.generate(user("Hi"), { model: "grok-3" }))).toBeInstanceOf(
      AuthenticationError,
    );
    server.enqueue({
      error: {
        status: 404,
        body: {
          code: "Some requested entity was not found",
          error: "The model grok-9 does not exist",
        },
      },
    });
    expect(await caught(() => grok.generate(user("Hi"), { model: "grok-9" }))).toBeInstanceOf(
      InvalidRequestError,
    );
    server.enqueue({ error: { status: 500, body: { code: "Internal error", error: "boom" } } });
    expect(await caught(() => grok.generate(user("Hi"), { model: "grok-3" }))).toBeInstanceOf(
      ServiceUnavailableError,
    );
  });
});
