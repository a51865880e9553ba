import {
  AuthenticationError,
  ConfigurationError,
  ContentFilterError,
  hasProvider,
  InvalidRequestError,
  QuotaExceededError,
  ServiceUnavailableError,
} from "@rephysco/core";
import {
  createOpenAICompatible,
  type OpenAICompatibleConfig,
  OpenAICompatibleProvider,
} from "@rephysco/openai/compatible";
import { createMockServer, type MockServer } from "@rephysco/testing";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { caught, drainParts, KEY } from "./helpers.js";

let server: MockServer;

beforeAll(async () => {
  server = await createMockServer();
});
afterEach(() => {
  server.reset();
  vi.unstubAllEnvs();
});
afterAll(() => server.close());

const user = (content: string) => [{ role: "user" as const, content }];

const base: OpenAICompatibleConfig = {
  id: "acme",
  defaultModel: "acme-1",
  defaultBaseURL: "https://api.acme.invalid/v1",
  baseURLs: { eu: "https://eu.acme.invalid/v1" },
  apiKeyEnvVars: ["ACME_API_KEY", "ACME_KEY"],
  baseURLEnvVars: ["ACME_BASE_URL"],
};

describe("the compatible subpath", () => {
  it('registers nothing (importing it does not register "openai")', () => {
    expect(hasProvider("openai")).toBe(false);
  });
});

describe("settings resolution", () => {
  it("uses region base URLs, the base URL env var and explicit baseURL in that precedence", () => {
    expect(new OpenAICompatibleProvider(base, { apiKey: KEY }).baseURL).toBe(base.defaultBaseURL);
    expect(new OpenAICompatibleProvider(base, { apiKey: KEY, region: "eu" }).baseURL).toBe(
      "https://eu.acme.invalid/v1",
    );
    vi.stubEnv("ACME_BASE_URL", "https://env.acme.invalid/v1/");
    expect(new OpenAICompatibleProvider(base, { apiKey: KEY }).baseURL).toBe(
      "https://env.acme.invalid/v1",
    );
    expect(new OpenAICompatibleProvider(base, { apiKey: KEY, region: "eu" }).baseURL).toBe(
      "https://eu.acme.invalid/v1",
    );
    expect(
      new OpenAICompatibleProvider(base, {
        apiKey: KEY,
        region: "eu",
        baseURL: "http://x.invalid/v1",
      }).baseURL,
    ).toBe("http://x.invalid/v1");
  });

  it("rejects an unknown region with the known ones listed", () => {
    let error: unknown;
    try {
      new OpenAICompatibleProvider(base, { apiKey: KEY, region: "mars" });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as Error).message).toContain("eu");
  });

  it("reads the key from the second env var and names both when none is set", () => {
    vi.stubEnv("ACME_API_KEY", "");
    vi.stubEnv("ACME_KEY", KEY);
    expect(() => new OpenAICompatibleProvider(base)).not.toThrow();
    vi.stubEnv("ACME_KEY", "");
    let error: unknown;
    try {
      new OpenAICompatibleProvider(base);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(AuthenticationError);
    expect((error as Error).message).toMatch(/ACME_API_KEY.*ACME_KEY/);
  });

  it("sends no Authorization header to a server that needs no key", async () => {
    vi.stubEnv("ACME_API_KEY", "");
    vi.stubEnv("ACME_KEY", "");
    const local = createOpenAICompatible({ ...base, requireApiKey: false })({
      baseURL: `${server.url}/v1`,
    });
    await local.generate(user("Hi"), { model: "m" });
    expect(server.requests[0]!.headers.authorization).toBeUndefined();
  });

  it("does not leak OpenAI organization/project env vars to another vendor", async () => {
    vi.stubEnv("OPENAI_ORG_ID", "org-leak");
    vi.stubEnv("OPENAI_PROJECT_ID", "proj-leak");
    const p = new OpenAICompatibleProvider(base, { apiKey: KEY, baseURL: `${server.url}/v1` });
    await p.generate(user("Hi"), { model: "m" });
    expect(server.requests[0]!.headers["openai-organization"]).toBeUndefined();
    expect(server.requests[0]!.headers["openai-project"]).toBeUndefined();
  });
});

describe("request hooks", () => {
  it("merges config extraBody, settings extraBody and providerOptions (last wins), then transformRequest", async () => {
    const p = new OpenAICompatibleProvider(
      {
        ...base,
        extraBody: { a: 1, b: 1, c: 1 },
        transformRequest: (body, { stream }) => ({ ...body, transformed: stream }),
      },
      { apiKey: KEY, baseURL: `${server.url}/v1`, extraBody: { b: 2, c: 2 } },
    );
    await p.generate(user("Hi"), { model: "m", providerOptions: { c: 3 } });
    expect(server.requests[0]!.body).toMatchObject({
      a: 1,
      b: 2,
      c: 3,
      transformed: false,
      stream: false,
    });
  });
});

describe("reasoning", () => {
  const p = () => new OpenAICompatibleProvider(base, { apiKey: KEY, baseURL: `${server.url}/v1` });

  it("reads reasoning_content into reasoning, apart from content (generate and stream)", async () => {
    server.enqueue({ text: "Answer", reasoning: "Because" });
    const res = await p().generate(user("Hi"), { model: "m" });
    expect(res.content).toBe("Answer");
    expect(res.reasoning).toBe("Because");

    server.enqueue({ chunks: ["An", "swer"], reasoningChunks: ["Be", "cause"] });
    const { parts } = await drainParts(p().stream(user("Hi"), { model: "m" }));
    expect(parts.filter((x) => x.type === "reasoning" || x.type === "text")).toEqual([
      { type: "reasoning", text: "Be" },
      { type: "reasoning", text: "cause" },
      { type: "text", text: "An" },
      { type: "text", text: "swer" },
    ]);
  });

  it("treats null content / reasoning_content as nothing new, never the text null", async () => {
    server.enqueue({ chunks: ["A", "B"], reasoningChunks: ["x", "y"], nullFields: true });
    const { parts, error } = await drainParts(p().stream(user("Hi"), { model: "m" }));
    expect(error).toBeUndefined();
    expect(parts.filter((x) => x.type === "reasoning" || x.type === "text")).toEqual([
      { type: "reasoning", text: "x" },
      { type: "reasoning", text: "y" },
      { type: "text", text: "A" },
      { type: "text", text: "B" },
    ]);
    expect(JSON.stringify(parts)).not.toContain("null");
  });

  it('reads the "reasoning" field name too (vLLM, OpenRouter style)', async () => {
    server.enqueue({
      text: "Answer",
      extra: {
        choices: [
          {
            index: 0,
            message: { role: "assistant", content: "Answer", reasoning: "R" },
            finish_reason: "stop",
          },
        ],
      },
    });
    const res = await p().generate(user("Hi"), { model: "m" });
    expect(res.reasoning).toBe("R");
  });
});

describe("stream-only calls", () => {
  let streamOnly: OpenAICompatibleProvider;
  beforeAll(() => {
    streamOnly = new OpenAICompatibleProvider(
      { ...base, streamOnly: (model, opts) => model.startsWith("so-") || opts?.thinking === true },
      { apiKey: KEY, baseURL: `${server.url}/v1` },
    );
  });

  it("generate() streams under the hood and assembles content, reasoning, usage and finish reason", async () => {
    server.enqueue({
      chunks: ["Hel", "lo"],
      reasoningChunks: ["hm", "m"],
      // completion_tokens counts the reasoning, as on OpenAI: 2 answer + 3 reasoning.
      usage: { promptTokens: 4, completionTokens: 5, reasoningTokens: 3 },
      model: "so-1-real",
    });
    const res = await streamOnly.generate(user("Hi"), { model: "so-1" });
    expect(server.requests[0]!.body).toMatchObject({
      stream: true,
      stream_options: { include_usage: true },
    });
    expect(res).toEqual({
      content: "Hello",
      reasoning: "hmm",
      model: "so-1-real",
      provider: "acme",
      finishReason: "stop",
      usage: {
        promptTokens: 4,
        completionTokens: 5,
        totalTokens: 9,
        cachedPromptTokens: 0,
        reasoningTokens: 3,
        raw: expect.objectContaining({ prompt_tokens: 4, completion_tokens: 5 }),
      },
      cached: false,
    });
  });

  it("decides per call from providerOptions", async () => {
    await streamOnly.generate(user("Hi"), { model: "m", providerOptions: { thinking: true } });
    await streamOnly.generate(user("Hi"), { model: "m" });
    expect(server.requests.map((r) => (r.body as { stream: boolean }).stream)).toEqual([
      true,
      false,
    ]);
  });

  it("raises ContentFilterError from an assembled generate", async () => {
    server.enqueue({ chunks: ["x"], finishReason: "content_filter" });
    const error = await caught(() => streamOnly.generate(user("Hi"), { model: "so-1" }));
    expect(error).toBeInstanceOf(ContentFilterError);
  });

  it("rejects an assembled generate whose stream has [DONE] but no finish reason, with the text", async () => {
    server.enqueue({ chunks: ["x", "y"], omitFinish: true });
    const error = await caught(() => streamOnly.generate(user("Hi"), { model: "so-1" }));
    expect(error).toBeInstanceOf(ServiceUnavailableError);
    expect(error).toMatchObject({ reason: "incomplete_stream", partialContent: "xy" });
  });
});

describe("error hooks", () => {
  it("maps codes from the table over the status, and lets mapError refine", async () => {
    const p = new OpenAICompatibleProvider(
      {
        ...base,
        errorCodes: { "4242": "quota" },
        mapError: (ctx) =>
          ctx.code?.startsWith("Blocked.")
            ? { errorClass: "content_filter", code: "blocked" }
            : undefined,
      },
      { apiKey: KEY, baseURL: `${server.url}/v1` },
    );
    server.enqueue({
      error: { status: 400, body: { code: 4242, message: "no money", data: null } },
    });
    const quota = await caught(() => p.generate(user("Hi"), { model: "m" }));
    expect(quota).toBeInstanceOf(QuotaExceededError);
    expect(quota).toMatchObject({ status: 400, code: "4242" });
    expect(quota.message).toContain("no money");

    server.enqueue({
      error: { status: 400, body: { error: { code: "Blocked.Text", message: "nope" } } },
    });
    const blocked = await caught(() => p.generate(user("Hi"), { model: "m" }));
    expect(blocked).toBeInstanceOf(ContentFilterError);
    expect(blocked.code).toBe("blocked");

    server.enqueue({ error: { status: 422, rawBody: "not json at all" } });
    const raw = await caught(() => p.generate(user("Hi"), { model: "m" }));
    expect(raw).toBeInstanceOf(InvalidRequestError);
    expect(raw.message).toContain("not json at all");
  });
});
