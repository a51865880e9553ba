import { ContentFilterError, ProviderError, ServiceUnavailableError } from "@rephysco/core";
import { OpenAIProvider } from "@rephysco/openai";
import { createMockServer, findSecret, type MockServer } from "@rephysco/testing";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { caught, KEY } from "./helpers.js";

let server: MockServer;
let provider: OpenAIProvider;

beforeAll(async () => {
  server = await createMockServer();
  provider = new OpenAIProvider({ apiKey: KEY, baseURL: `${server.url}/v1` });
});
afterEach(() => server.reset());
afterAll(() => server.close());

const user = (content: string) => [{ role: "user" as const, content }];
const PLAIN_KEY = "plainkey0123456789XYZ";

describe("generate reads the body itself", () => {
  it("a malformed 2xx body is a non-retryable malformed_response with status, request id and cause", async () => {
    server.enqueue({
      raw: {
        status: 200,
        headers: { "content-type": "application/json", "x-request-id": "req_bad" },
        body: '{"id":"x","choices":[',
      },
    });
    const error = await caught(() => provider.generate(user("Hi"), { model: "gpt-4o" }));
    expect(error).toBeInstanceOf(ProviderError);
    expect(error).not.toBeInstanceOf(ServiceUnavailableError);
    expect(error).toMatchObject({
      reason: "malformed_response",
      retryable: false,
      status: 200,
      requestId: "req_bad",
    });
    expect(error.message).toContain('{"id":"x","choices":[');
    expect(error.cause).toBeInstanceOf(SyntaxError);
  });

  it("a body that is not labelled JSON is still parsed as JSON", async () => {
    server.enqueue({
      raw: {
        status: 200,
        headers: { "content-type": "text/plain" },
        body: JSON.stringify({
          model: "m-real",
          choices: [{ message: { role: "assistant", content: "fine" }, finish_reason: "stop" }],
        }),
      },
    });
    const res = await provider.generate(user("Hi"), { model: "gpt-4o" });
    expect(res).toMatchObject({ content: "fine", model: "m-real", finishReason: "stop" });
  });

  it("a key that matches no key pattern, echoed in a malformed 2xx body, appears nowhere in the error", async () => {
    const p = new OpenAIProvider({ apiKey: PLAIN_KEY, baseURL: `${server.url}/v1` });
    // Starts with the key so that V8's SyntaxError message quotes (the start of) it as well.
    server.enqueue({ malformed: `${PLAIN_KEY} is not allowed here {` });
    const error = await caught(() => p.generate(user("Hi"), { model: "gpt-4o" }));
    expect(error).toMatchObject({ reason: "malformed_response" });
    expect(error.cause).toBeDefined();
    expect(findSecret(error, PLAIN_KEY)).toBeUndefined();
  });

  it("the same key echoed in valid JSON without choices appears nowhere in the error", async () => {
    const p = new OpenAIProvider({ apiKey: PLAIN_KEY, baseURL: `${server.url}/v1` });
    server.enqueue({
      raw: {
        status: 200,
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ object: "chat.completion", echo: PLAIN_KEY }),
      },
    });
    const error = await caught(() => p.generate(user("Hi"), { model: "gpt-4o" }));
    expect(error).toMatchObject({ reason: "malformed_response" });
    expect(findSecret(error, PLAIN_KEY)).toBeUndefined();
  });

  it("keeps the request id on a content-filter error", async () => {
    server.enqueue({
      text: "x",
      finishReason: "content_filter",
      headers: { "x-request-id": "req_cf2" },
    });
    const error = await caught(() => provider.generate(user("Hi"), { model: "gpt-4o" }));
    expect(error).toBeInstanceOf(ContentFilterError);
    expect(error.requestId).toBe("req_cf2");
  });
});
