// No credential in any error: keys echoed at any depth of a body or in a header, tokens in a
// base URL, and the provider objects themselves.
import { inspect } from "node:util";
import { ConfigurationError, createProvider, LLMClient, type ProviderError } from "@rephysco/core";
import { scrubError, scrubValue } from "@rephysco/core/http";
import "@rephysco/anthropic";
import "@rephysco/openai";
import "@rephysco/xai";
import { caught } from "@rephysco/testing";
import { afterEach, describe, expect, it } from "vitest";
import { type HostileServer, hostileServer } from "./hostile-server.js";

// Shaped like no known key pattern: only exact-value scrubbing can catch it.
const KEY = "plainkey-0123456789-abcdefghij";
let server: HostileServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

function nested(depth: number, leaf: unknown): unknown {
  let v = leaf;
  for (let i = 0; i < depth; i++) v = i % 2 === 0 ? { level: i, inner: v } : [v];
  return v;
}

/** Every way a user or a logger could print an error. */
function everyView(error: unknown): string {
  const e = error as Error;
  return [
    e.message,
    e.stack,
    JSON.stringify(error),
    inspect(error, { depth: Number.POSITIVE_INFINITY, showHidden: true }),
  ].join("\n");
}

describe("keys echoed by the provider", () => {
  for (const provider of ["openai", "anthropic"] as const) {
    it(`${provider}: a key 20 levels deep in the error body and in a response header is scrubbed`, async () => {
      server = await hostileServer((_req, res) => {
        res.writeHead(400, {
          "content-type": "application/json",
          "x-echo-key": KEY,
          "x-request-id": "req_123",
        });
        res.end(
          JSON.stringify({
            type: "error",
            error: {
              type: "invalid_request_error",
              message: `bad key ${KEY}`,
              deep: nested(20, KEY),
            },
          }),
        );
      });
      const client = new LLMClient({ provider, apiKey: KEY, baseURL: `${server.url}/v1` });
      const error = await caught(() => client.generate("hi"));
      expect((error as ProviderError).status).toBe(400);
      expect((error as ProviderError).requestId).toBe("req_123");
      // The request URL and the response headers are kept, scrubbed.
      expect((error as ProviderError).url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v1\//);
      expect((error as ProviderError).headers?.["x-request-id"]).toBe("req_123");
      expect((error as ProviderError).headers?.["x-echo-key"]).toBe("[REDACTED]");
      expect(everyView(error)).not.toContain(KEY);
      expect(everyView(error)).toContain("[REDACTED]");
    });
  }

  it("scrubValue walks any depth and survives cycles", () => {
    const cyclic: Record<string, unknown> = { a: nested(50, `x ${KEY} y`) };
    cyclic.self = cyclic;
    const out = scrubValue(cyclic, [KEY]);
    expect(inspect(out, { depth: Number.POSITIVE_INFINITY })).not.toContain(KEY);
    const e = new Error("outer", { cause: new AggregateError([new Error(KEY)], "agg") });
    (e.cause as Error).cause = e; // a cycle in the cause chain
    scrubError(e, [KEY]);
    expect(inspect(e, { depth: Number.POSITIVE_INFINITY })).not.toContain(KEY);
  });
});

describe("credentials in a base URL", () => {
  it("a token in the base URL's query never comes back in an error", async () => {
    const token = "querytoken-987654321";
    server = await hostileServer((req, res) => {
      // A proxy that echoes the URL it was asked for.
      res.writeHead(502, { "content-type": "text/plain" });
      res.end(`upstream failed for ${req.url}`);
    });
    const client = new LLMClient({
      provider: "anthropic",
      apiKey: "sk-ant-some-key-0000000000",
      baseURL: `${server.url}/v1?key=${token}`,
      retry: false,
    });
    const error = await caught(() => client.generate("hi"));
    expect((error as ProviderError).status).toBe(502);
    expect((error as ProviderError).url).toContain("key=[REDACTED]");
    expect(everyView(error)).not.toContain(token);
  });

  it("a short token in any URL of a message is scrubbed by the URL rules", () => {
    const e = scrubError(new Error("GET https://u:pw@h.example/x?sig=abc&token=t1 failed"));
    expect(e.message).toBe(
      "GET https://[REDACTED]@h.example/x?sig=[REDACTED]&token=[REDACTED] failed",
    );
  });

  it("user:password in a base URL is a ConfigurationError at construction that does not repeat it", () => {
    let error: unknown;
    try {
      new LLMClient({
        provider: "openai",
        apiKey: KEY,
        baseURL: "http://user:hunter22pw@127.0.0.1:9/v1",
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigurationError);
    expect(everyView(error)).not.toContain("hunter22pw");
  });
});

describe("provider objects never show their key", () => {
  for (const id of ["openai", "anthropic", "xai"] as const) {
    it(`${id}: util.inspect and JSON.stringify of the provider omit the key and credential headers`, () => {
      const provider = createProvider(id, {
        apiKey: KEY,
        headers: { "api-key": "headerkey-0123456789" },
      });
      let json = "";
      try {
        json = JSON.stringify(provider);
      } catch {
        // A cyclic SDK client cannot be serialized at all: nothing leaks either.
      }
      const shown = `${inspect(provider, { depth: Number.POSITIVE_INFINITY, showHidden: true })}\n${json}`;
      expect(shown).not.toContain(KEY);
      expect(shown).not.toContain("headerkey-0123456789");
    });
  }
});
