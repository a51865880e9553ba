import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createMockServer,
  type MockErrorReply,
  type MockServer,
  vendorErrors,
} from "../src/index.js";
import { OpenAI } from "./support/clients.js";
import { postJson } from "./support/http.js";

let server: MockServer;

beforeAll(async () => {
  server = await createMockServer();
});
afterAll(() => server.close());

/** Sends `reply` through the server and returns status, headers and raw body text. */
async function roundTrip(reply: MockErrorReply, path = "/v1/chat/completions") {
  server.enqueue(reply);
  const response = await postJson(`${server.url}${path}`, { model: "m", messages: [] });
  return { status: response.status, headers: response.headers, text: await response.text() };
}

describe("vendorErrors.openai", () => {
  it("invalidApiKey: 401 invalid_api_key echoing the key", async () => {
    const { status, text } = await roundTrip(vendorErrors.openai.invalidApiKey("sk-secret-123"));
    expect(status).toBe(401);
    const body = JSON.parse(text);
    expect(body.error).toMatchObject({
      type: "invalid_request_error",
      code: "invalid_api_key",
      param: null,
    });
    expect(body.error.message).toContain("sk-secret-123");
  });

  it("rateLimit: 429 rate_limit_exceeded with retry headers only when asked", async () => {
    const withHints = await roundTrip(
      vendorErrors.openai.rateLimit({ retryAfterMs: 250, retryAfter: 1 }),
    );
    expect(withHints.status).toBe(429);
    expect(withHints.headers.get("retry-after-ms")).toBe("250");
    expect(withHints.headers.get("retry-after")).toBe("1");
    expect(JSON.parse(withHints.text).error).toMatchObject({
      type: "tokens",
      code: "rate_limit_exceeded",
    });
    const plain = await roundTrip(vendorErrors.openai.rateLimit({ limit: "requests" }));
    expect(plain.headers.get("retry-after")).toBeNull();
    expect(plain.headers.get("retry-after-ms")).toBeNull();
    expect(JSON.parse(plain.text).error.type).toBe("requests");
  });

  it("insufficientQuota: 429 insufficient_quota; serverError: 5xx server_error", async () => {
    const quota = await roundTrip(vendorErrors.openai.insufficientQuota());
    expect([quota.status, JSON.parse(quota.text).error.code]).toEqual([429, "insufficient_quota"]);
    for (const status of [500, 503]) {
      const server5xx = await roundTrip(vendorErrors.openai.serverError(status));
      expect(server5xx.status).toBe(status);
      expect(JSON.parse(server5xx.text).error).toMatchObject({ type: "server_error", code: null });
    }
  });

  it("is understood by the openai SDK (status, code, request id)", async () => {
    server.enqueue(vendorErrors.openai.insufficientQuota());
    const client = new OpenAI({ apiKey: "sk-x", baseURL: `${server.url}/v1`, maxRetries: 0 });
    const error = await client.chat.completions
      .create({ model: "m", messages: [{ role: "user", content: "x" }] })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OpenAI.RateLimitError);
    expect(error).toMatchObject({ status: 429, code: "insufficient_quota" });
    expect((error as { requestID: string }).requestID).toMatch(/^req_mock_/);
  });

  it("modelNotFound, unsupportedParameter and unsupportedValue carry their codes", () => {
    expect(vendorErrors.openai.modelNotFound("gpt-x").error).toMatchObject({
      status: 404,
      body: { error: { code: "model_not_found" } },
    });
    expect(vendorErrors.openai.unsupportedParameter().error).toMatchObject({
      status: 400,
      body: { error: { code: "unsupported_parameter", param: "max_tokens" } },
    });
    expect(vendorErrors.openai.unsupportedValue().error).toMatchObject({
      status: 400,
      body: { error: { code: "unsupported_value", param: "temperature" } },
    });
  });
});

describe("vendorErrors.dashscope", () => {
  it.each([
    ["streamOnly", vendorErrors.dashscope.streamOnly(), 400, "invalid_parameter_error"],
    [
      "enableThinkingNonStream",
      vendorErrors.dashscope.enableThinkingNonStream(),
      400,
      "invalid_parameter_error",
    ],
    [
      "dataInspectionFailed",
      vendorErrors.dashscope.dataInspectionFailed(),
      400,
      "data_inspection_failed",
    ],
    ["invalidApiKey", vendorErrors.dashscope.invalidApiKey(), 401, "invalid_api_key"],
    ["limitRequests", vendorErrors.dashscope.limitRequests(), 429, "limit_requests"],
    ["arrearage", vendorErrors.dashscope.arrearage(), 400, "Arrearage"],
  ])(
    "%s: status and compat error code with a top-level request_id",
    async (_name, reply, status, code) => {
      const response = await roundTrip(reply);
      expect(response.status).toBe(status);
      const body = JSON.parse(response.text);
      expect(body.error.code).toBe(code);
      expect(typeof body.request_id).toBe("string");
    },
  );

  it("arrearage can use the native shape and a custom request id", () => {
    expect(vendorErrors.dashscope.arrearage({ native: true, requestId: "r-1" }).error.body).toEqual(
      {
        code: "Arrearage",
        message: "Access denied, please make sure your account is in good standing.",
        request_id: "r-1",
      },
    );
  });
});

describe("vendorErrors.xai", () => {
  it("invalidKeyGrpc: 400 gRPC shape with the key in the string error", async () => {
    const { status, text } = await roundTrip(vendorErrors.xai.invalidKeyGrpc("xai-secret"));
    expect(status).toBe(400);
    const body = JSON.parse(text);
    expect(body.code).toBe("Client specified an invalid argument");
    expect(body.error).toContain("xai-secret");
  });

  it("creditsExhausted: 429 with a string error", async () => {
    const { status, text } = await roundTrip(vendorErrors.xai.creditsExhausted());
    expect(status).toBe(429);
    expect(JSON.parse(text).error).toMatch(/used all available credits/);
  });
});

describe("vendorErrors.siliconflow", () => {
  it.each([
    ["modelNotExist", vendorErrors.siliconflow.modelNotExist(), 400, '{"code":20012,'],
    ["invalidToken", vendorErrors.siliconflow.invalidToken(), 401, '"Invalid token"'],
    [
      "rateLimited",
      vendorErrors.siliconflow.rateLimited("RPM"),
      429,
      '{"message":"Request was rejected due to rate limiting. Details: RPM limit reached."',
    ],
    [
      "insufficientBalance",
      vendorErrors.siliconflow.insufficientBalance(),
      403,
      '{"code":30001,"message":"Sorry, your account balance is insufficient","data":null}',
    ],
    [
      "overloaded",
      vendorErrors.siliconflow.overloaded(),
      503,
      '{"code":50505,"message":"Model service overloaded. Please try again later.","data":null}',
    ],
  ])("%s: status, body and trace id header", async (_name, reply, status, bodyStart) => {
    const response = await roundTrip(reply);
    expect(response.status).toBe(status);
    expect(response.text.startsWith(bodyStart)).toBe(true);
    expect(response.headers.get("x-siliconcloud-trace-id")).toBeTruthy();
    expect(response.headers.get("content-type")).toBe("application/json; charset=utf-8");
  });
});

describe("vendorErrors.gemini", () => {
  const path = "/v1beta/models/gemini-2.5-flash:generateContent";
  it.each([
    ["apiKeyInvalid", vendorErrors.gemini.apiKeyInvalid(), 400, "INVALID_ARGUMENT"],
    ["invalidArgument", vendorErrors.gemini.invalidArgument(), 400, "INVALID_ARGUMENT"],
    ["permissionDenied", vendorErrors.gemini.permissionDenied(), 403, "PERMISSION_DENIED"],
    ["notFound", vendorErrors.gemini.notFound(), 404, "NOT_FOUND"],
    ["resourceExhausted", vendorErrors.gemini.resourceExhausted(), 429, "RESOURCE_EXHAUSTED"],
    ["internal", vendorErrors.gemini.internal(), 500, "INTERNAL"],
    ["unavailable", vendorErrors.gemini.unavailable(), 503, "UNAVAILABLE"],
    ["deadlineExceeded", vendorErrors.gemini.deadlineExceeded(), 504, "DEADLINE_EXCEEDED"],
  ])("%s: google.rpc.Status body", async (_name, reply, status, rpcStatus) => {
    const response = await roundTrip(reply, path);
    expect(response.status).toBe(status);
    expect(JSON.parse(response.text).error).toMatchObject({ code: status, status: rpcStatus });
  });

  it("apiKeyInvalid carries ErrorInfo API_KEY_INVALID", () => {
    const body = vendorErrors.gemini.apiKeyInvalid().error.body as {
      error: { details: unknown[] };
    };
    expect(body.error.details).toContainEqual(
      expect.objectContaining({
        reason: "API_KEY_INVALID",
        "@type": "type.googleapis.com/google.rpc.ErrorInfo",
      }),
    );
  });

  it("resourceExhausted adds RetryInfo only with retryDelay", () => {
    const details = (reply: MockErrorReply) =>
      (reply.error.body as { error: { details: unknown[] } }).error.details;
    expect(details(vendorErrors.gemini.resourceExhausted({ retryDelay: "2s" }))).toContainEqual({
      "@type": "type.googleapis.com/google.rpc.RetryInfo",
      retryDelay: "2s",
    });
    expect(JSON.stringify(details(vendorErrors.gemini.resourceExhausted()))).not.toContain(
      "RetryInfo",
    );
  });
});

describe("vendorErrors.anthropic", () => {
  it.each([
    [
      "invalidRequestError",
      vendorErrors.anthropic.invalidRequestError(),
      400,
      "invalid_request_error",
    ],
    [
      "authenticationError",
      vendorErrors.anthropic.authenticationError(),
      401,
      "authentication_error",
    ],
    ["permissionError", vendorErrors.anthropic.permissionError(), 403, "permission_error"],
    ["notFoundError", vendorErrors.anthropic.notFoundError(), 404, "not_found_error"],
    ["rateLimitError", vendorErrors.anthropic.rateLimitError(), 429, "rate_limit_error"],
    ["apiError", vendorErrors.anthropic.apiError(), 500, "api_error"],
    ["overloadedError", vendorErrors.anthropic.overloadedError(), 529, "overloaded_error"],
  ])(
    "%s: {type:error, error:{type, message}} with request-id",
    async (_name, reply, status, type) => {
      const response = await roundTrip(reply, "/v1/messages");
      expect(response.status).toBe(status);
      const body = JSON.parse(response.text);
      expect(body).toMatchObject({ type: "error", error: { type } });
      expect(typeof body.error.message).toBe("string");
      expect(response.headers.get("request-id")).toBe(body.request_id);
    },
  );

  it("rateLimitError sends retry-after when asked", async () => {
    const response = await roundTrip(
      vendorErrors.anthropic.rateLimitError({ retryAfter: 3 }),
      "/v1/messages",
    );
    expect(response.headers.get("retry-after")).toBe("3");
  });
});
