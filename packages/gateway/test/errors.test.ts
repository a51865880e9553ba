import { vendorErrors } from "@rephysco/testing";
import OpenAI from "openai";
import { describe, expect, it } from "vitest";
import { useGateway } from "./helpers.js";

// The SDK's own retries stay on (its default, 2): the gateway's `x-should-retry: false` stops them.
const s = useGateway(() => ({
  maxBodyBytes: 4096,
  models: {
    once: { provider: "openai", model: "m", retries: 0 },
    twice: { provider: "openai", model: "m", retries: 1 },
    slow: { provider: "openai", model: "m", retries: 0, timeoutMs: 200 },
  },
}));

const msg = [{ role: "user" as const, content: "hi" }];

async function post(body: unknown, init: RequestInit = {}): Promise<Response> {
  return fetch(`${s.url}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: typeof body === "string" ? body : JSON.stringify(body),
    ...init,
  });
}

describe("errors", () => {
  it("rejects an unsupported parameter with a 400 naming it", async () => {
    const e = await s.client.chat.completions
      .create({ model: "m", messages: msg, seed: 7 })
      .catch((x: unknown) => x);
    expect(e).toBeInstanceOf(OpenAI.BadRequestError);
    expect(e).toMatchObject({ status: 400, param: "seed", code: "unsupported_parameter" });
    expect((e as Error).message).toContain("seed");
    expect(s.upstream.requests).toHaveLength(0);
  });

  it("rejects unknown fields, n > 1, parallel_tool_calls false and image detail it cannot honour", async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ frobnicate: 1 }, "frobnicate"],
      [{ n: 2 }, "n"],
      [{ logprobs: true }, "logprobs"],
      [{ presence_penalty: 0.5 }, "presence_penalty"],
      [{ temperature: 5 }, "temperature"],
      [
        {
          tools: [{ type: "function", function: { name: "f" } }],
          parallel_tool_calls: false,
        },
        "parallel_tool_calls",
      ],
      [
        {
          messages: [
            {
              role: "user",
              content: [
                { type: "image_url", image_url: { url: "https://x/y.png", detail: "high" } },
              ],
            },
          ],
        },
        "messages[0].content[0].image_url.detail",
      ],
      [{ messages: [{ role: "wizard", content: "x" }] }, "messages[0].role"],
      [{ messages: [] }, "messages"],
      [{ model: undefined }, "model"],
      [{ verbosity: "low" }, "verbosity"],
      [{ prompt_cache_retention: "24h" }, "prompt_cache_retention"],
      [{ service_tier: "flex" }, "service_tier"],
      [
        { stream: true, stream_options: { include_obfuscation: true } },
        "stream_options.include_obfuscation",
      ],
      [{ safety_identifier: 7 }, "safety_identifier"],
      [{ prompt_cache_key: ["k"] }, "prompt_cache_key"],
    ];
    for (const [extra, param] of cases) {
      const res = await post({ model: "m", messages: msg, ...extra });
      expect(res.status, param).toBe(400);
      expect(res.headers.get("x-should-retry")).toBe("false");
      const body = (await res.json()) as { error: Record<string, unknown> };
      expect(body.error, param).toMatchObject({ type: "invalid_request_error", param });
      expect(Object.keys(body.error).sort()).toEqual(["code", "message", "param", "type"]);
    }
    // Neutral values change nothing and are accepted.
    const ok = await post({ model: "m", messages: msg, n: 1, presence_penalty: 0, user: "u1" });
    expect(ok.status).toBe(200);
  });

  it("accepts user, safety_identifier and prompt_cache_key and does not send them upstream", async () => {
    const res = await post({
      model: "m",
      messages: msg,
      user: "u1",
      safety_identifier: "hash-of-user",
      prompt_cache_key: "conversation-7",
    });
    expect(res.status).toBe(200);
    const wire = s.upstream.requests[0]!.body as Record<string, unknown>;
    for (const k of ["user", "safety_identifier", "prompt_cache_key"])
      expect(wire).not.toHaveProperty(k);
  });

  it("answers 413 in OpenAI's shape for a body over the cap", async () => {
    const res = await post({
      model: "m",
      messages: [{ role: "user", content: "x".repeat(10_000) }],
    });
    expect(res.status).toBe(413);
    expect(await res.json()).toMatchObject({
      error: { type: "invalid_request_error", code: "request_too_large" },
    });
    expect(s.upstream.requests).toHaveLength(0);
  });

  it("answers broken JSON, unknown routes and wrong methods in OpenAI's shape", async () => {
    const bad = await post("{nope");
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: { type: "invalid_request_error" } });
    const missing = await fetch(`${s.url}/v1/nothing`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ error: { code: "unknown_url" } });
    const method = await fetch(`${s.url}/v1/chat/completions`);
    expect(method.status).toBe(405);
    expect(method.headers.get("allow")).toBe("POST");
    expect(await method.json()).toMatchObject({ error: { type: "invalid_request_error" } });
  });

  it("passes a 429 through with Retry-After and x-should-retry false; the SDK does not retry", async () => {
    s.upstream.enqueue(vendorErrors.openai.rateLimit({ retryAfter: "120" }));
    const e = await s.client.chat.completions
      .create({ model: "once", messages: msg })
      .catch((x: unknown) => x);
    expect(e).toBeInstanceOf(OpenAI.RateLimitError);
    const err = e as InstanceType<typeof OpenAI.RateLimitError>;
    expect(err.status).toBe(429);
    expect(err.headers.get("retry-after")).toBe("120");
    expect(err.headers.get("x-should-retry")).toBe("false");
    expect(err.type).toBe("rate_limit_error");
    expect(s.upstream.requests).toHaveLength(1);
  });

  it("maps an upstream 500 after the gateway's retries to a 502 the SDK does not retry", async () => {
    s.upstream.enqueue([
      vendorErrors.openai.serverError(500),
      vendorErrors.openai.serverError(500),
    ]);
    const e = await s.client.chat.completions
      .create({ model: "twice", messages: msg })
      .catch((x: unknown) => x);
    expect(e).toBeInstanceOf(OpenAI.APIError);
    expect(e).toMatchObject({ status: 502, type: "upstream_error" });
    expect(s.upstream.requests).toHaveLength(2); // the first attempt and one retry, no SDK retry
  });

  it("maps upstream authentication failures to 502 without leaking the key", async () => {
    s.upstream.enqueue(vendorErrors.openai.invalidApiKey("sk-upstream-secret"));
    const res = await post({ model: "once", messages: msg });
    expect(res.status).toBe(502);
    const text = await res.text();
    expect(text).not.toContain("sk-upstream-secret");
    expect(JSON.parse(text)).toMatchObject({
      error: { type: "upstream_error", code: "upstream_authentication" },
    });
  });

  it("maps quota, upstream 400s and timeouts", async () => {
    s.upstream.enqueue(vendorErrors.openai.insufficientQuota());
    const quota = await post({ model: "once", messages: msg });
    expect(quota.status).toBe(429);
    expect(await quota.json()).toMatchObject({ error: { type: "insufficient_quota" } });

    s.upstream.enqueue(vendorErrors.openai.unsupportedParameter("temperature"));
    const bad = await post({ model: "once", messages: msg, temperature: 1 });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({
      error: { type: "invalid_request_error", param: "temperature" },
    });

    s.upstream.enqueue({ text: "late", delayMs: 3_000 });
    const slow = await post({ model: "slow", messages: msg });
    expect(slow.status).toBe(504);
    expect(await slow.json()).toMatchObject({ error: { type: "timeout_error" } });
  });

  it("never answers an error with status 200 before the stream started", async () => {
    s.upstream.enqueue(vendorErrors.openai.serverError(503));
    const res = await post({ model: "once", messages: msg, stream: true });
    expect(res.status).toBe(503);
    expect(res.headers.get("content-type")).toMatch(/^application\/json/);
    expect(await res.json()).toMatchObject({ error: { type: "upstream_error" } });
  });
});
