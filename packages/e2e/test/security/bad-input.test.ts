// Bad input is a typed error before any request, with the cache on and off; local setup
// problems are ConfigurationErrors, never retried and never a fallback trigger.
import {
  ConfigurationError,
  InvalidRequestError,
  LLMClient,
  type Message,
  memoryStore,
} from "@rephysco/core";
import "@rephysco/openai";
import { caught } from "@rephysco/testing";
import { describe, expect, it } from "vitest";
import { TEST_KEY, useMockServer } from "../helpers.js";

const ctx = useMockServer();

const client = (cache: boolean, extra: Record<string, unknown> = {}) =>
  new LLMClient({
    provider: "openai",
    apiKey: TEST_KEY,
    baseURL: `${ctx.server.url}/v1`,
    retry: { baseDelayMs: 1, maxDelayMs: 10, jitter: 0 },
    ...(cache && { cache: memoryStore() }),
    ...extra,
  });

const cyclic: Record<string, unknown> = { a: 1 };
cyclic.self = cyclic;

const cases: [string, () => Parameters<LLMClient<"openai">["generate"]>][] = [
  [
    "a message name that is not a string",
    () => [[{ role: "user", content: "hi", name: 42 } as unknown as Message]],
  ],
  ["a BigInt in providerOptions", () => ["hi", { providerOptions: { seed: 10n } }]],
  ["a cycle in providerOptions", () => ["hi", { providerOptions: cyclic }]],
  ["a function in providerOptions", () => ["hi", { providerOptions: { f: () => 1 } }]],
  [
    "a data: URL with malformed percent-encoding",
    () => ["hi", { images: ["data:image/svg+xml,%E0%A4%A"] }],
  ],
  [
    "images given as one string",
    () => ["hi", { images: "https://example.com/a.png" as unknown as string[] }],
  ],
  ["an image of the wrong type", () => ["hi", { images: [42 as unknown as string] }]],
];

describe("bad input is an InvalidRequestError before any request", () => {
  for (const cache of [true, false]) {
    for (const [name, args] of cases) {
      it(`${name} (cache ${cache ? "on" : "off"})`, async () => {
        const c = client(cache);
        const error = await caught(() => c.generate(...args()));
        expect(error).toBeInstanceOf(InvalidRequestError);
        expect(error.retryable).toBe(false);
        const streamError = await caught(async () => {
          for await (const _ of c.stream(...args())) {
            // never reached
          }
        });
        expect(streamError).toBeInstanceOf(InvalidRequestError);
        expect(ctx.server.requests).toHaveLength(0);
      });
    }
  }

  it("an own __proto__ key in providerOptions (from JSON.parse) is sent and keyed, not lost", async () => {
    const store = memoryStore();
    const c = client(false, { cache: store });
    ctx.server.enqueue([{ text: "plain" }, { text: "proto" }]);
    expect((await c.generate("hi", { providerOptions: {} })).content).toBe("plain");
    const withProto = JSON.parse('{"__proto__":{"x":1}}') as Record<string, unknown>;
    expect((await c.generate("hi", { providerOptions: withProto })).content).toBe("proto");
    expect(ctx.server.requests).toHaveLength(2);
  });
});

describe("provider ids that are Object.prototype keys", () => {
  for (const id of ["constructor", "__proto__", "toString", "hasOwnProperty"]) {
    it(`"${id}" is an unknown provider with a plain message`, () => {
      let error: unknown;
      try {
        new LLMClient({ provider: id });
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(ConfigurationError);
      expect((error as Error).message).not.toMatch(/function|native code/);
    });
  }
});

describe("timeouts Node cannot arm", () => {
  it("a client timeout of 2^31 ms or more is a ConfigurationError", () => {
    for (const name of ["timeoutMs", "firstChunkTimeoutMs", "idleTimeoutMs"]) {
      expect(() => client(false, { [name]: 3_000_000_000 })).toThrow(ConfigurationError);
    }
    expect(() => client(false, { retry: { maxDelayMs: 2 ** 31 } })).toThrow(ConfigurationError);
  });

  it("a per-call timeout of 2^31 ms or more is a ConfigurationError, and nothing is sent", async () => {
    const error = await caught(() => client(false).generate("hi", { timeoutMs: 2 ** 31 }));
    expect(error).toBeInstanceOf(ConfigurationError);
    expect(ctx.server.requests).toHaveLength(0);
  });

  it("a cache TTL is no timer: a year is fine", async () => {
    ctx.server.enqueue([{ text: "kept" }]);
    const c = client(true, { cacheTtlMs: 365 * 24 * 3600 * 1000 });
    expect((await c.generate("hi")).content).toBe("kept");
  });
});

describe("local configuration problems are not outages", () => {
  it("a line break in the API key is a ConfigurationError at construction", () => {
    expect(() => client(false, { apiKey: `${TEST_KEY}\n` })).toThrow(ConfigurationError);
    expect(() => client(false, { apiKey: "sk-abc\r\nX-Injected: 1" })).toThrow(ConfigurationError);
  });

  it("a file: or unparsable base URL is a ConfigurationError at construction", () => {
    expect(() => client(false, { baseURL: "file:///etc/passwd" })).toThrow(ConfigurationError);
    expect(() => client(false, { baseURL: "not a url" })).toThrow(ConfigurationError);
  });

  it("a header value with a line break fails once, as a ConfigurationError, with no fallback", async () => {
    const events: string[] = [];
    const c = client(false, {
      settings: { headers: { "x-trace": "a\r\nb" } },
      fallbacks: [{ provider: "openai", apiKey: TEST_KEY, baseURL: `${ctx.server.url}/v1` }],
      onEvent: (e: { type: string }) => events.push(e.type),
    });
    const error = await caught(() => c.generate("hi"));
    expect(error).toBeInstanceOf(ConfigurationError);
    expect(error.retryable).toBe(false);
    expect(events).not.toContain("retry");
    expect(events).not.toContain("fallback");
    expect(ctx.server.requests).toHaveLength(0);
  });
});
