import {
  AuthenticationError,
  InvalidRequestError,
  ProviderError,
  RateLimitError,
  ServiceUnavailableError,
} from "@rephysco/core";
import { type MockErrorReply, type MockServer, vendorErrors } from "@rephysco/testing";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { GeminiProvider } from "../src/index.js";
import {
  call,
  collect,
  everythingIn,
  rejection,
  setup,
  streamOf,
  TEST_KEY,
  user,
} from "./helpers.js";

let server: MockServer;
let provider: GeminiProvider;

beforeAll(async () => {
  ({ server, provider } = await setup());
});
beforeEach(() => server.reset());
afterAll(() => server.close());

async function failGenerate(reply: MockErrorReply) {
  server.enqueue(reply);
  return (await rejection(provider.generate([user("Hi")], call()))) as ProviderError;
}

async function failStream(reply: MockErrorReply) {
  server.enqueue(reply);
  const { chunks, error } = await collect(streamOf(provider, [user("Hi")], call()));
  expect(chunks).toEqual([]);
  return error as ProviderError;
}

describe.each([
  ["generate", failGenerate],
  ["stream", failStream],
] as const)("HTTP errors (%s)", (_mode, fail) => {
  it("400 INVALID_ARGUMENT with reason API_KEY_INVALID -> AuthenticationError", async () => {
    const reply = vendorErrors.gemini.apiKeyInvalid();
    const e = await fail(reply);
    expect(e).toBeInstanceOf(AuthenticationError);
    expect(e).toMatchObject({
      provider: "gemini",
      status: 400,
      code: "INVALID_ARGUMENT",
      retryable: false,
      data: { reason: "API_KEY_INVALID" },
    });
    expect(e.message).toContain("API key not valid");
    expect(e.body).toEqual(reply.error.body);
    expect((e as Error).cause).toBeInstanceOf(Error);
  });

  it("400 INVALID_ARGUMENT without that reason -> InvalidRequestError", async () => {
    const e = await fail(vendorErrors.gemini.invalidArgument());
    expect(e).toBeInstanceOf(InvalidRequestError);
    expect(e).not.toBeInstanceOf(AuthenticationError);
    expect(e).toMatchObject({ status: 400, code: "INVALID_ARGUMENT" });
  });

  it("403 PERMISSION_DENIED -> AuthenticationError", async () => {
    const e = await fail(vendorErrors.gemini.permissionDenied());
    expect(e).toBeInstanceOf(AuthenticationError);
    expect(e).toMatchObject({ status: 403, code: "PERMISSION_DENIED" });
  });

  it("404 NOT_FOUND -> InvalidRequestError", async () => {
    const e = await fail(vendorErrors.gemini.notFound("gemini-9-ultra"));
    expect(e).toBeInstanceOf(InvalidRequestError);
    expect(e).toMatchObject({ status: 404, code: "NOT_FOUND" });
    expect(e.message).toContain("gemini-9-ultra");
  });

  it("429 RESOURCE_EXHAUSTED -> RateLimitError with retryAfterMs from RetryInfo.retryDelay", async () => {
    const e = await fail(vendorErrors.gemini.resourceExhausted({ retryDelay: "34.4s" }));
    expect(e).toBeInstanceOf(RateLimitError);
    expect(e).toMatchObject({ status: 429, code: "RESOURCE_EXHAUSTED", retryable: true });
    expect(e.retryAfterMs).toBeCloseTo(34_400, 6);
  });

  it("429 without RetryInfo -> RateLimitError without retryAfterMs", async () => {
    const e = await fail(vendorErrors.gemini.resourceExhausted());
    expect(e).toBeInstanceOf(RateLimitError);
    expect(e.retryAfterMs).toBeUndefined();
  });

  it.each([
    [500, vendorErrors.gemini.internal(), "INTERNAL"],
    [503, vendorErrors.gemini.unavailable(), "UNAVAILABLE"],
    [504, vendorErrors.gemini.deadlineExceeded(), "DEADLINE_EXCEEDED"],
  ])("%i -> ServiceUnavailableError", async (status, reply, code) => {
    const e = await fail(reply);
    expect(e).toBeInstanceOf(ServiceUnavailableError);
    expect(e).toMatchObject({ status, code, retryable: true });
  });
});

describe("errors: transport and edge cases", () => {
  it("sends each request once: the SDK never retries 429 or 503", async () => {
    server.enqueue(vendorErrors.gemini.resourceExhausted({ retryDelay: "0s" }));
    await rejection(provider.generate([user("Hi")], call()));
    server.enqueue(vendorErrors.gemini.unavailable());
    await collect(streamOf(provider, [user("Hi")], call()));
    expect(server.requests).toHaveLength(2);
  });

  it("takes the wait from retry-after headers (proxies) when the body has no RetryInfo, and the request id", async () => {
    const plain = vendorErrors.gemini.resourceExhausted();
    server.enqueue({
      error: { ...plain.error, headers: { "retry-after": "3", "x-request-id": "req-42" } },
    });
    const e = (await rejection(provider.generate([user("Hi")], call()))) as RateLimitError;
    expect(e).toBeInstanceOf(RateLimitError);
    expect(e.retryAfterMs).toBe(3000);
    expect(e.requestId).toBe("req-42");

    const withInfo = vendorErrors.gemini.resourceExhausted({ retryDelay: "2s" });
    server.enqueue({ error: { ...withInfo.error, headers: { "retry-after": "30" } } });
    const { error } = await collect(streamOf(provider, [user("Hi")], call()));
    expect((error as RateLimitError).retryAfterMs).toBe(2000);
  });

  it("maps a non-JSON error body by status, with no made-up Google code", async () => {
    server.enqueue({ error: { status: 502, rawBody: "<html>Bad Gateway</html>" } });
    const e = (await rejection(provider.generate([user("Hi")], call()))) as ProviderError;
    expect(e).toBeInstanceOf(ServiceUnavailableError);
    expect(e.status).toBe(502);
    expect(e.code).toBeUndefined();
    expect(e.message).toContain("Bad Gateway");
  });

  it("maps a connection reset before any response to ServiceUnavailableError", async () => {
    server.enqueue({ reset: true });
    const e = (await rejection(provider.generate([user("Hi")], call()))) as ProviderError;
    expect(e).toBeInstanceOf(ServiceUnavailableError);
    expect(e.status).toBeUndefined();
    server.enqueue({ reset: true });
    const { error } = await collect(streamOf(provider, [user("Hi")], call()));
    expect(error).toBeInstanceOf(ServiceUnavailableError);
  });

  it("maps a refused connection to ServiceUnavailableError", async () => {
    const { server: s } = await setup();
    const url = s.url;
    await s.close();
    const p = new GeminiProvider({ apiKey: TEST_KEY, baseURL: url });
    const e = (await rejection(p.generate([user("Hi")], call()))) as ProviderError;
    expect(e).toBeInstanceOf(ServiceUnavailableError);
    expect(e.reason).toBe("connection_failed");
    expect(JSON.stringify(e.cause, Object.getOwnPropertyNames(e.cause as object))).toContain(
      "ECONNREFUSED",
    );
  });

  it("never lets the key appear in an error, its body or its cause chain", async () => {
    const echo = {
      error: {
        code: 400,
        message: `API key not valid: ${TEST_KEY}. Please pass a valid API key.`,
        status: "INVALID_ARGUMENT",
        details: [
          {
            "@type": "type.googleapis.com/google.rpc.ErrorInfo",
            reason: "API_KEY_INVALID",
            metadata: { key: TEST_KEY },
          },
        ],
      },
    };
    server.enqueue({ error: { status: 400, body: echo } });
    const e = await rejection(provider.generate([user("Hi")], call()));
    expect(e).toBeInstanceOf(AuthenticationError);
    expect(everythingIn(e)).not.toContain(TEST_KEY);
    expect(everythingIn(e)).toContain("[REDACTED]");

    server.enqueue({ chunks: ["a", "b"], midStreamError: { afterChunks: 1, body: echo } });
    const { error } = await collect(streamOf(provider, [user("Hi")], call()));
    expect(error).toBeInstanceOf(AuthenticationError);
    expect(everythingIn(error)).not.toContain(TEST_KEY);
  });

  it("keeps the key out of connection errors, even with a proxy URL that embeds it", async () => {
    const { server: s } = await setup();
    await s.close();
    const p = new GeminiProvider({ apiKey: TEST_KEY, baseURL: `${s.url}/proxy/${TEST_KEY}` });
    const e = await rejection(p.generate([user("Hi")], call()));
    expect(e).toBeInstanceOf(ServiceUnavailableError);
    expect(everythingIn(e)).not.toContain(TEST_KEY);
  });
});

describe("errors: abort", () => {
  it("rethrows the platform AbortError and closes the socket (generate)", async () => {
    const ac = new AbortController();
    server.enqueue(() => {
      ac.abort();
      return { text: "late", delayMs: 60_000 };
    });
    const e = await rejection(
      provider.generate([user("Hi")], call("gemini-2.5-flash", { signal: ac.signal })),
    );
    expect((e as Error).name).toBe("AbortError");
    expect(e).not.toBeInstanceOf(ProviderError);
    await server.whenIdle();
    expect(server.requests[0]!.aborted).toBe(true);
  });

  it("rethrows the platform AbortError mid-stream and closes the socket", async () => {
    const ac = new AbortController();
    server.enqueue({ chunks: ["a", "b"], stallAfterChunks: 1 });
    const seen: string[] = [];
    const e = await rejection(async () => {
      for await (const c of streamOf(
        provider,
        [user("Hi")],
        call("gemini-2.5-flash", { signal: ac.signal }),
      )) {
        seen.push(c.content);
        ac.abort();
      }
    });
    expect(seen).toEqual(["a"]);
    expect((e as Error).name).toBe("AbortError");
    await server.whenIdle();
    expect(server.requests[0]!.aborted).toBe(true);
  });

  it("rejects with the signal's reason when the caller gave one", async () => {
    const ac = new AbortController();
    const reason = new Error("client timeout");
    server.enqueue(() => {
      ac.abort(reason);
      return { text: "late", delayMs: 60_000 };
    });
    const e = await rejection(
      provider.generate([user("Hi")], call("gemini-2.5-flash", { signal: ac.signal })),
    );
    expect(e).toBe(reason);
  });

  it("sends nothing when the signal is already aborted", async () => {
    const ac = new AbortController();
    ac.abort();
    const e = await rejection(
      provider.generate([user("Hi")], call("gemini-2.5-flash", { signal: ac.signal })),
    );
    expect((e as Error).name).toBe("AbortError");
    const { error } = await collect(
      streamOf(provider, [user("Hi")], call("gemini-2.5-flash", { signal: ac.signal })),
    );
    expect((error as Error).name).toBe("AbortError");
    expect(server.requests).toHaveLength(0);
  });
});

describe("errors: configuration", () => {
  afterEach(() => vi.unstubAllEnvs());

  it("names GEMINI_API_KEY (and GOOGLE_API_KEY) when no key is found", () => {
    vi.stubEnv("GEMINI_API_KEY", "");
    vi.stubEnv("GOOGLE_API_KEY", "");
    let caught: unknown;
    try {
      new GeminiProvider();
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(AuthenticationError);
    expect((caught as Error).message).toContain("GEMINI_API_KEY");
    expect((caught as Error).message).toContain("GOOGLE_API_KEY");
  });

  it("reads GEMINI_API_KEY first, then GOOGLE_API_KEY, and GEMINI_BASE_URL", async () => {
    vi.stubEnv("GEMINI_API_KEY", "");
    vi.stubEnv("GOOGLE_API_KEY", "google-key-from-env");
    vi.stubEnv("GEMINI_BASE_URL", server.url);
    await new GeminiProvider().generate([user("Hi")], call());
    expect(server.requests[0]!.headers["x-goog-api-key"]).toBe("google-key-from-env");
    vi.stubEnv("GEMINI_API_KEY", "gemini-key-from-env");
    await new GeminiProvider().generate([user("Hi")], call());
    expect(server.requests[1]!.headers["x-goog-api-key"]).toBe("gemini-key-from-env");
  });

  it("rejects a non-positive image limit", () => {
    expect(() => new GeminiProvider({ apiKey: TEST_KEY, maxImageBytes: 0 })).toThrow(
      /maxImageBytes/,
    );
    expect(() => new GeminiProvider({ apiKey: TEST_KEY, imageFetchTimeoutMs: -1 })).toThrow(
      /imageFetchTimeoutMs/,
    );
  });
});
