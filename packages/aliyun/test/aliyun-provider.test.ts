import { AliyunModels, AliyunProvider } from "@rephysco/aliyun";
import {
  AuthenticationError,
  ContentFilterError,
  createProvider,
  InvalidRequestError,
  listProviders,
  QuotaExceededError,
  RateLimitError,
} from "@rephysco/core";
import { createMockServer, type MockServer, vendorErrors } from "@rephysco/testing";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { DASHSCOPE_BASE_URLS } from "../src/aliyun-provider.js";
import { caught, drain, expectNoSecret, PNG, streamOf } from "./helpers.js";

// Not shaped like any known key pattern: only exact-value scrubbing can hide it.
const KEY = "dashscope-test-key-0123456789";

let server: MockServer;
let qwen: AliyunProvider;

beforeAll(async () => {
  server = await createMockServer();
  qwen = new AliyunProvider({ apiKey: KEY, baseURL: `${server.url}/compatible-mode/v1` });
});
afterEach(() => {
  server.reset();
  vi.unstubAllEnvs();
});
afterAll(() => server.close());

const user = (content: string) => [{ role: "user" as const, content }];
const streamed = () => server.requests.map((r) => (r.body as { stream: boolean }).stream);

describe("registration and settings", () => {
  it('registers only "aliyun"', () => {
    expect(listProviders()).toEqual([
      {
        id: "aliyun",
        defaultModel: "qwen-plus",
        apiKeyEnvVars: ["DASHSCOPE_API_KEY"],
        baseURLEnvVars: ["DASHSCOPE_BASE_URL"],
        packageName: "@rephysco/aliyun",
      },
    ]);
  });

  it("defaults to the China endpoint; region intl and DASHSCOPE_BASE_URL switch it", () => {
    vi.stubEnv("DASHSCOPE_API_KEY", KEY);
    vi.stubEnv("DASHSCOPE_BASE_URL", "");
    expect(createProvider("aliyun").baseURL).toBe(
      "https://dashscope.aliyuncs.com/compatible-mode/v1",
    );
    expect(createProvider("aliyun", { region: "intl" }).baseURL).toBe(
      "https://dashscope-intl.aliyuncs.com/compatible-mode/v1",
    );
    expect(DASHSCOPE_BASE_URLS.intl).toBe("https://dashscope-intl.aliyuncs.com/compatible-mode/v1");
    vi.stubEnv("DASHSCOPE_BASE_URL", DASHSCOPE_BASE_URLS.intl);
    expect(createProvider("aliyun").baseURL).toBe(DASHSCOPE_BASE_URLS.intl);
  });

  it("names DASHSCOPE_API_KEY when no key is set", () => {
    vi.stubEnv("DASHSCOPE_API_KEY", "");
    let error: unknown;
    try {
      createProvider("aliyun");
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(AuthenticationError);
    expect((error as Error).message).toContain("DASHSCOPE_API_KEY");
  });
});

describe("requests", () => {
  it("keeps Qwen-VL images as image_url parts and passes DashScope parameters through", async () => {
    await qwen.generate(
      [{ role: "user", content: "Describe", images: ["https://example.com/a.png", PNG] }],
      { model: AliyunModels.QWEN_VL_MAX, providerOptions: { vl_high_resolution_images: true } },
    );
    const req = server.requests[0]!;
    expect(req.path).toBe("/compatible-mode/v1/chat/completions");
    expect(req.headers.authorization).toBe(`Bearer ${KEY}`);
    expect(req.body).toEqual({
      model: "qwen-vl-max",
      messages: [
        {
          role: "user",
          content: [
            { type: "text", text: "Describe" },
            { type: "image_url", image_url: { url: "https://example.com/a.png" } },
            {
              type: "image_url",
              image_url: { url: `data:image/png;base64,${Buffer.from(PNG).toString("base64")}` },
            },
          ],
        },
      ],
      vl_high_resolution_images: true,
      stream: false,
    });
  });
});

describe("stream-only calls", () => {
  it.each([AliyunModels.QWQ_PLUS, AliyunModels.QWEN_OMNI_TURBO, "qwen3-omni-flash", "qwen3-32b"])(
    "generate() with %s streams and assembles the answer",
    async (model) => {
      server.enqueue({
        chunks: ["The ", "answer"],
        reasoningChunks: ["Let me ", "think"],
        nullFields: true,
        usage: { promptTokens: 24, completionTokens: 9, reasoningTokens: 5 },
      });
      const res = await qwen.generate(user("Hi"), { model });
      expect(server.requests[0]!.body).toMatchObject({
        model,
        stream: true,
        stream_options: { include_usage: true },
      });
      expect(res).toMatchObject({
        content: "The answer",
        reasoning: "Let me think",
        finishReason: "stop",
        provider: "aliyun",
        usage: { promptTokens: 24, completionTokens: 9, totalTokens: 33, reasoningTokens: 5 },
      });
    },
  );

  it("enable_thinking: true forces streaming; plain calls and enable_thinking: false do not", async () => {
    await qwen.generate(user("Hi"), {
      model: "qwen-plus",
      providerOptions: { enable_thinking: true },
    });
    await qwen.generate(user("Hi"), { model: "qwen-plus" });
    await qwen.generate(user("Hi"), {
      model: "qwen3-32b",
      providerOptions: { enable_thinking: false },
    });
    expect(streamed()).toEqual([true, false, false]);
    expect(server.requests[0]!.body).toMatchObject({ enable_thinking: true });
  });

  it("a forced non-stream call still maps DashScope's stream-only rejection", async () => {
    server.enqueue(vendorErrors.dashscope.streamOnly());
    const error = await caught(() =>
      qwen.generate(user("Hi"), { model: "some-new-thinking-model" }),
    );
    expect(error).toBeInstanceOf(InvalidRequestError);
    expect(error).toMatchObject({
      status: 400,
      code: "invalid_parameter_error",
      requestId: "7ed765de-de61-9a89-87f2-da9f2e39f825",
    });
  });
});

describe("null fields", () => {
  it("treats content: null and reasoning_content: null as nothing new in a stream", async () => {
    server.enqueue({ chunks: ["A", "B"], reasoningChunks: ["r1", "r2"], nullFields: true });
    const { chunks, error } = await drain(
      streamOf(qwen, user("Hi"), {
        model: "qwen-plus",
        providerOptions: { enable_thinking: true },
      }),
    );
    expect(error).toBeUndefined();
    expect(chunks.map((c) => [c.content, c.reasoning])).toEqual([
      ["", "r1"],
      ["", "r2"],
      ["A", undefined],
      ["B", undefined],
      ["", undefined],
    ]);
    expect(chunks.map((c) => c.content).join("")).not.toContain("null");
  });

  it("treats reasoning_content: null as no reasoning in a response", async () => {
    server.enqueue({ text: "Hi", nullFields: true });
    const res = await qwen.generate(user("Hi"), { model: "qwen-plus" });
    expect(res.content).toBe("Hi");
    expect(res.reasoning).toBeUndefined();
  });
});

describe("errors", () => {
  it("data_inspection_failed (HTTP 400) is a ContentFilterError keeping request_id", async () => {
    server.enqueue(vendorErrors.dashscope.dataInspectionFailed({ requestId: "req-moderated" }));
    const error = await caught(() => qwen.generate(user("Hi"), { model: "qwen-plus" }));
    expect(error).toBeInstanceOf(ContentFilterError);
    expect(error).toMatchObject({
      provider: "aliyun",
      status: 400,
      code: "data_inspection_failed",
      requestId: "req-moderated",
      retryable: false,
    });
  });

  it("content moderation inside a stream raises ContentFilterError too", async () => {
    server.enqueue({
      chunks: ["a", "b"],
      midStreamError: {
        afterChunks: 1,
        body: {
          error: {
            code: "data_inspection_failed",
            message: "Output data may contain inappropriate content.",
            type: "data_inspection_failed",
          },
        },
      },
    });
    const { chunks, error } = await drain(streamOf(qwen, user("Hi"), { model: "qwen-plus" }));
    expect(chunks.map((c) => c.content)).toEqual(["a"]);
    expect(error).toBeInstanceOf(ContentFilterError);
  });

  it("native DataInspectionFailed codes (prefixed too) are ContentFilterErrors", async () => {
    server.enqueue({
      error: {
        status: 400,
        body: {
          code: "InternalError.Algo.DataInspectionFailed",
          message: "Input text data may contain inappropriate content.",
          request_id: "r1",
        },
      },
    });
    const error = await caught(() => qwen.generate(user("Hi"), { model: "qwen-plus" }));
    expect(error).toBeInstanceOf(ContentFilterError);
    expect(error.requestId).toBe("r1");
  });

  it("invalid_api_key and native InvalidApiKey are AuthenticationErrors, the key nowhere", async () => {
    server.enqueue(vendorErrors.dashscope.invalidApiKey({ requestId: "req-key" }));
    const compat = await caught(() => qwen.generate(user("Hi"), { model: "qwen-plus" }));
    expect(compat).toBeInstanceOf(AuthenticationError);
    expect(compat).toMatchObject({ status: 401, code: "invalid_api_key", requestId: "req-key" });

    server.enqueue({
      error: {
        status: 401,
        body: {
          code: "InvalidApiKey",
          message: `Invalid API-key provided: ${KEY}`,
          request_id: "r2",
        },
      },
    });
    const native = await caught(() => qwen.generate(user("Hi"), { model: "qwen-plus" }));
    expect(native).toBeInstanceOf(AuthenticationError);
    expect(native.code).toBe("InvalidApiKey");
    expectNoSecret(native, KEY);
  });

  it("limit_requests and Throttling.* are RateLimitErrors with Retry-After", async () => {
    const limit = vendorErrors.dashscope.limitRequests();
    server.enqueue({ error: { ...limit.error, headers: { "retry-after": "2" } } });
    const error = await caught(() => qwen.generate(user("Hi"), { model: "qwen-plus" }));
    expect(error).toBeInstanceOf(RateLimitError);
    expect(error).toMatchObject({
      status: 429,
      code: "limit_requests",
      retryAfterMs: 2000,
      retryable: true,
    });

    server.enqueue({
      error: {
        status: 400,
        body: {
          code: "Throttling.AllocationQuota",
          message: "Allocated quota exceeded",
          request_id: "r3",
        },
      },
    });
    const throttled = await caught(() => qwen.generate(user("Hi"), { model: "qwen-plus" }));
    expect(throttled).toBeInstanceOf(RateLimitError);
  });

  it.each([false, true])(
    "Arrearage (native: %s) is a QuotaExceededError, never retried",
    async (native) => {
      server.enqueue(vendorErrors.dashscope.arrearage({ native, requestId: "req-arrears" }));
      const error = await caught(() => qwen.generate(user("Hi"), { model: "qwen-plus" }));
      expect(error).toBeInstanceOf(QuotaExceededError);
      expect(error).toMatchObject({
        status: 400,
        code: "Arrearage",
        requestId: "req-arrears",
        retryable: false,
      });
    },
  );
});
