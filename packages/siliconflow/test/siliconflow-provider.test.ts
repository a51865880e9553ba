import {
  AuthenticationError,
  createProvider,
  InvalidRequestError,
  isRetryableError,
  listProviders,
  QuotaExceededError,
  RateLimitError,
  ServiceUnavailableError,
} from "@rephysco/core";
import { SiliconFlowModels, SiliconFlowProvider } from "@rephysco/siliconflow";
import { createMockServer, type MockServer, vendorErrors } from "@rephysco/testing";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { SILICONFLOW_BASE_URLS } from "../src/siliconflow-provider.js";
import { caught, drain, expectNoSecret, streamOf } from "./helpers.js";

const KEY = "sk-siliconflow-test-0123456789SECRET";

let server: MockServer;
let sf: SiliconFlowProvider;

beforeAll(async () => {
  server = await createMockServer();
  sf = new SiliconFlowProvider({ apiKey: KEY, baseURL: `${server.url}/v1` });
});
afterEach(() => {
  server.reset();
  vi.unstubAllEnvs();
});
afterAll(() => server.close());

const user = (content: string) => [{ role: "user" as const, content }];

describe("registration and settings", () => {
  it('registers "silicon_flow" and the alias "siliconflow", nothing else', () => {
    const providers = listProviders();
    expect(providers.map((p) => p.id)).toEqual(["silicon_flow", "siliconflow"]);
    expect(providers[1]).toMatchObject({
      aliasOf: "silicon_flow",
      packageName: "@rephysco/siliconflow",
    });
  });

  it("both ids create the same provider; .cn by default, .com with region intl or SILICONFLOW_BASE_URL", () => {
    vi.stubEnv("SILICONFLOW_API_KEY", KEY);
    vi.stubEnv("SILICONFLOW_BASE_URL", "");
    const p = createProvider("silicon_flow");
    expect(p.baseURL).toBe("https://api.siliconflow.cn/v1");
    expect(p.name).toBe("silicon_flow");
    expect(createProvider("siliconflow").name).toBe("silicon_flow");
    expect(createProvider("siliconflow", { region: "intl" }).baseURL).toBe(
      "https://api.siliconflow.com/v1",
    );
    vi.stubEnv("SILICONFLOW_BASE_URL", SILICONFLOW_BASE_URLS.intl);
    expect(createProvider("silicon_flow").baseURL).toBe(SILICONFLOW_BASE_URLS.intl);
  });

  it("accepts SILICON_FLOW_API_KEY too, and names both variables when neither is set", () => {
    vi.stubEnv("SILICONFLOW_API_KEY", "");
    vi.stubEnv("SILICON_FLOW_API_KEY", KEY);
    expect(() => createProvider("silicon_flow")).not.toThrow();
    vi.stubEnv("SILICON_FLOW_API_KEY", "");
    let error: unknown;
    try {
      createProvider("silicon_flow");
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(AuthenticationError);
    expect((error as Error).message).toMatch(/SILICONFLOW_API_KEY.*SILICON_FLOW_API_KEY/);
  });
});

describe("requests and responses", () => {
  it("sends org/model ids and passes enable_thinking / thinking_budget through", async () => {
    await sf.generate(user("Hi"), {
      model: SiliconFlowModels.PRO_DEEPSEEK_R1,
      providerOptions: { enable_thinking: true, thinking_budget: 4096 },
    });
    expect(server.requests[0]!.headers.authorization).toBe(`Bearer ${KEY}`);
    expect(server.requests[0]!.body).toEqual({
      model: "Pro/deepseek-ai/DeepSeek-R1",
      messages: [{ role: "user", content: "Hi" }],
      enable_thinking: true,
      thinking_budget: 4096,
      stream: false,
    });
  });

  it("reads DeepSeek-R1 reasoning_content apart from content, in both modes", async () => {
    server.enqueue({ text: "42", reasoning: "Let me compute" });
    const res = await sf.generate(user("Q"), { model: SiliconFlowModels.DEEPSEEK_R1 });
    expect(res).toMatchObject({
      content: "42",
      reasoning: "Let me compute",
      provider: "silicon_flow",
    });

    server.enqueue({
      chunks: ["4", "2"],
      reasoningChunks: ["Let me ", "compute"],
      // completion_tokens counts the reasoning (2 answer + 9 reasoning), as on DeepSeek.
      usage: { promptTokens: 3, completionTokens: 11, reasoningTokens: 9 },
    });
    const { chunks, error } = await drain(
      streamOf(sf, user("Q"), { model: SiliconFlowModels.DEEPSEEK_R1 }),
    );
    expect(error).toBeUndefined();
    expect(chunks.map((c) => c.reasoning ?? "").join("")).toBe("Let me compute");
    expect(chunks.map((c) => c.content).join("")).toBe("42");
    expect(chunks.at(-1)?.usage).toEqual({
      promptTokens: 3,
      completionTokens: 11,
      totalTokens: 14,
      cachedPromptTokens: 0,
      reasoningTokens: 9,
      raw: expect.objectContaining({ prompt_tokens: 3, completion_tokens: 11 }),
    });
  });
});

describe("errors (not OpenAI-shaped)", () => {
  it("400 code 20012 (model does not exist) is an InvalidRequestError with the trace id", async () => {
    server.enqueue(vendorErrors.siliconflow.modelNotExist({ traceId: "ti_trace_20012" }));
    const error = await caught(() => sf.generate(user("Hi"), { model: "deepseek-v3" }));
    expect(error).toBeInstanceOf(InvalidRequestError);
    expect(error).toMatchObject({
      provider: "silicon_flow",
      status: 400,
      code: "20012",
      requestId: "ti_trace_20012",
      body: {
        code: 20012,
        message: "Model does not exist. Please check it carefully.",
        data: null,
      },
    });
    expect(error.message).toContain("Model does not exist");
  });

  it('401 with the bare string "Invalid token" is an AuthenticationError keeping the text', async () => {
    server.enqueue(vendorErrors.siliconflow.invalidToken({ traceId: "ti_401" }));
    const error = await caught(() => sf.generate(user("Hi"), { model: "deepseek-ai/DeepSeek-V3" }));
    expect(error).toBeInstanceOf(AuthenticationError);
    expect(error).toMatchObject({ status: 401, requestId: "ti_401", body: "Invalid token" });
    expect(error.message).toContain("Invalid token");
    expectNoSecret(error, KEY);
  });

  it("429 rate limiting is a retryable RateLimitError with Retry-After", async () => {
    const limited = vendorErrors.siliconflow.rateLimited("TPM");
    server.enqueue({
      error: { ...limited.error, headers: { ...limited.error.headers, "retry-after": "7" } },
    });
    const error = await caught(() => sf.generate(user("Hi"), { model: "deepseek-ai/DeepSeek-V3" }));
    expect(error).toBeInstanceOf(RateLimitError);
    expect(error).toMatchObject({ status: 429, retryAfterMs: 7000 });
    expect(error.message).toContain("TPM limit reached");
    expect(isRetryableError(error)).toBe(true);
  });

  it("403 insufficient balance (30001) is a QuotaExceededError, never retried", async () => {
    server.enqueue(vendorErrors.siliconflow.insufficientBalance());
    const error = await caught(() => sf.generate(user("Hi"), { model: "deepseek-ai/DeepSeek-V3" }));
    expect(error).toBeInstanceOf(QuotaExceededError);
    expect(error).toMatchObject({
      status: 403,
      code: "30001",
      requestId: "ti_mock0siliconflow0trace",
    });
    expect(isRetryableError(error)).toBe(false);
  });

  it("503 code 50505 (overloaded) is a retryable ServiceUnavailableError", async () => {
    server.enqueue(vendorErrors.siliconflow.overloaded());
    const { error } = await drain(streamOf(sf, user("Hi"), { model: "deepseek-ai/DeepSeek-V3" }));
    expect(error).toBeInstanceOf(ServiceUnavailableError);
    expect(error).toMatchObject({ status: 503, code: "50505" });
    expect(isRetryableError(error)).toBe(true);
  });
});
