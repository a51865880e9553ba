import { describe, expect, it } from "vitest";
import { createErrorFromResponse } from "../src/http.js";
import {
  AuthenticationError,
  ContentFilterError,
  InvalidRequestError,
  ProviderError,
  QuotaExceededError,
  RateLimitError,
  RephyscoError,
  ServiceUnavailableError,
  TimeoutError,
} from "../src/index.js";
import { loadSecondCopy as secondCopy } from "./fixtures/second-copy.js";

describe("error hierarchy", () => {
  it("classes nest as documented and carry details", () => {
    const e = new RateLimitError("slow down", {
      provider: "openai",
      status: 429,
      code: "rate_limit_exceeded",
      requestId: "req_1",
      retryAfterMs: 1500,
    });
    expect(e).toBeInstanceOf(RateLimitError);
    expect(e).toBeInstanceOf(ProviderError);
    expect(e).toBeInstanceOf(RephyscoError);
    expect(e).toBeInstanceOf(Error);
    expect(e).not.toBeInstanceOf(AuthenticationError);
    expect(e.name).toBe("RateLimitError");
    expect([e.status, e.code, e.requestId, e.retryAfterMs, e.retryable]).toEqual([
      429,
      "rate_limit_exceeded",
      "req_1",
      1500,
      true,
    ]);
    expect(new TimeoutError("t", { provider: "x" })).toBeInstanceOf(ServiceUnavailableError);
    expect(new TimeoutError("t", { provider: "x" }).retryable).toBe(true);
    expect(new QuotaExceededError("q", { provider: "x" }).retryable).toBe(false);
    expect(new ContentFilterError("c", { provider: "x" }).retryable).toBe(false);
    expect(new RateLimitError("r", { provider: "x", retryable: false }).retryable).toBe(false);
  });

  it("instanceof works across two copies of core", async () => {
    const other = await secondCopy();
    expect(other.RateLimitError).not.toBe(RateLimitError);
    const foreign = new other.RateLimitError("x", { provider: "p" });
    expect(foreign).toBeInstanceOf(RateLimitError);
    expect(foreign).toBeInstanceOf(ProviderError);
    expect(foreign).not.toBeInstanceOf(AuthenticationError);
    expect(new AuthenticationError("a", { provider: "p" })).toBeInstanceOf(
      other.AuthenticationError,
    );
    expect(new AuthenticationError("a", { provider: "p" })).not.toBeInstanceOf(
      other.RateLimitError,
    );
    expect({}).not.toBeInstanceOf(RephyscoError);
  });

  it("keeps the cause and scrubs keys from message, body and cause", () => {
    const key = "sk-proj-abcdefghijklmnop1234";
    const cause = new Error(`Incorrect API key provided: ${key}`);
    const err = createErrorFromResponse({
      provider: "openai",
      status: 401,
      headers: new Headers({ "x-request-id": "req_9" }),
      body: { error: { message: `Incorrect API key provided: ${key}`, code: "invalid_api_key" } },
      message: `Incorrect API key provided: ${key}`,
      code: "invalid_api_key",
      cause,
      secrets: [key],
    });
    expect(err).toBeInstanceOf(AuthenticationError);
    expect(err.requestId).toBe("req_9");
    expect(err.cause).toBe(cause);
    const everything = `${err.message} ${JSON.stringify(err)} ${String((err.cause as Error).message)} ${(err.cause as Error).stack}`;
    expect(everything).not.toContain(key);
    expect(everything).toContain("[REDACTED]");
  });

  it("maps statuses to classes and reads Retry-After", () => {
    const make = (status: number, headers: Record<string, string> = {}) =>
      createErrorFromResponse({ provider: "p", status, headers: new Headers(headers) });
    expect(make(400)).toBeInstanceOf(InvalidRequestError);
    expect(make(404)).toBeInstanceOf(InvalidRequestError);
    expect(make(401)).toBeInstanceOf(AuthenticationError);
    expect(make(403)).toBeInstanceOf(AuthenticationError);
    expect(make(408)).toBeInstanceOf(ServiceUnavailableError);
    expect(make(409)).toBeInstanceOf(ServiceUnavailableError);
    expect(make(500)).toBeInstanceOf(ServiceUnavailableError);
    expect(make(529)).toBeInstanceOf(ServiceUnavailableError);
    expect(make(429, { "retry-after": "3" }).retryAfterMs).toBe(3000);
    expect(make(429, { "retry-after-ms": "250.5", "retry-after": "9" }).retryAfterMs).toBe(250.5);
    const date = new Date(Date.now() + 5000).toUTCString();
    const fromDate = make(429, { "retry-after": date }).retryAfterMs!;
    expect(fromDate).toBeGreaterThan(3000);
    expect(fromDate).toBeLessThanOrEqual(5000);
  });
});
