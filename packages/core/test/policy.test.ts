import { describe, expect, it } from "vitest";
// Internal units (the cache key, the retry arithmetic) are imported from their modules: they are
// not part of the public surface.
import { type CacheKeyInput, cacheKey } from "../src/cache/cache-key.js";
import { imageToUrl, resolveImage, scrubSecrets, sniffImageType } from "../src/http.js";
import {
  AuthenticationError,
  BudgetExceededError,
  ContentFilterError,
  InvalidRequestError,
  isRetryableError,
  memoryStore,
  QuotaExceededError,
  RateLimitError,
  ServiceUnavailableError,
  shouldFallbackByDefault,
} from "../src/index.js";
import { computeRetryDelay, DEFAULT_RETRY, sleep } from "../src/retry.js";

const PNG = Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0]);

describe("limits and the policy", () => {
  it("a local limit falls back but is not retried; budgets and an unavailable limit store do neither", () => {
    const p = { provider: "x" };
    const local = new RateLimitError("", { ...p, reason: "local_rate_limit", retryable: false });
    expect([isRetryableError(local), shouldFallbackByDefault(local)]).toEqual([false, true]);
    const cooldown = new RateLimitError("", { ...p, reason: "cooldown", retryable: false });
    expect([isRetryableError(cooldown), shouldFallbackByDefault(cooldown)]).toEqual([false, true]);
    const budget = new BudgetExceededError("", { ...p, reason: "budget_exceeded" });
    expect([isRetryableError(budget), shouldFallbackByDefault(budget)]).toEqual([false, false]);
    const down = new ServiceUnavailableError("", {
      ...p,
      reason: "limits_unavailable",
      retryable: false,
    });
    expect([isRetryableError(down), shouldFallbackByDefault(down)]).toEqual([false, false]);
    // Any other unavailability still falls back and is retried.
    const other = new ServiceUnavailableError("", p);
    expect([isRetryableError(other), shouldFallbackByDefault(other)]).toEqual([true, true]);
  });
});

describe("retry policy", () => {
  it("retries rate limits and unavailability, never auth, invalid, filter, quota", () => {
    const p = { provider: "x" };
    expect(isRetryableError(new RateLimitError("", p))).toBe(true);
    expect(isRetryableError(new ServiceUnavailableError("", p))).toBe(true);
    expect(isRetryableError(new AuthenticationError("", p))).toBe(false);
    expect(isRetryableError(new InvalidRequestError("", p))).toBe(false);
    expect(isRetryableError(new ContentFilterError("", p))).toBe(false);
    expect(isRetryableError(new QuotaExceededError("", p))).toBe(false);
    expect(isRetryableError(new Error("x"))).toBe(false);
  });

  it("backs off exponentially with bounded jitter and honours each error's own Retry-After within the cap", () => {
    const mid = () => 0.5;
    expect(
      computeRetryDelay(1, new ServiceUnavailableError("", { provider: "x" }), DEFAULT_RETRY, mid),
    ).toBe(1000);
    expect(
      computeRetryDelay(2, new ServiceUnavailableError("", { provider: "x" }), DEFAULT_RETRY, mid),
    ).toBe(2000);
    expect(
      computeRetryDelay(
        3,
        new ServiceUnavailableError("", { provider: "x" }),
        DEFAULT_RETRY,
        () => 1,
      ),
    ).toBeCloseTo(4800);
    expect(
      computeRetryDelay(
        3,
        new ServiceUnavailableError("", { provider: "x" }),
        DEFAULT_RETRY,
        () => 0,
      ),
    ).toBeCloseTo(3200);
    expect(
      computeRetryDelay(20, new ServiceUnavailableError("", { provider: "x" }), DEFAULT_RETRY, mid),
    ).toBe(60_000);
    expect(
      computeRetryDelay(
        1,
        new RateLimitError("", { provider: "x", retryAfterMs: 7 }),
        DEFAULT_RETRY,
      ),
    ).toBe(7);
    expect(
      computeRetryDelay(
        1,
        new RateLimitError("", { provider: "x", retryAfterMs: 61_000 }),
        DEFAULT_RETRY,
      ),
    ).toBeUndefined();
  });

  it("sleep is cancelled by the signal with its AbortError", async () => {
    const c = new AbortController();
    const p = sleep(60_000, c.signal);
    c.abort();
    await expect(p).rejects.toMatchObject({ name: "AbortError" });
  });
});

describe("cache key", () => {
  const base: CacheKeyInput = {
    provider: "openai",
    baseURL: "https://api.openai.com/v1",
    keyFingerprint: "aaaa",
    model: "gpt-4o-mini",
    messages: [{ role: "user", content: "hi" }],
  };
  it("is stable and sensitive to every part", () => {
    const k = cacheKey(base);
    expect(k).toMatch(/^[0-9a-f]{64}$/);
    expect(cacheKey({ ...base })).toBe(k);
    const variants: CacheKeyInput[] = [
      { ...base, provider: "xai" },
      { ...base, baseURL: "http://127.0.0.1/v1" },
      { ...base, keyFingerprint: "bbbb" },
      { ...base, model: "gpt-4o" },
      { ...base, messages: [{ role: "user", content: "hi!" }] },
      { ...base, messages: [{ role: "assistant", content: "hi" }] },
      { ...base, messages: [{ role: "user", content: "hi", images: [PNG] }] },
      { ...base, temperature: 0 },
      { ...base, maxTokens: 10 },
      { ...base, topP: 0.5 },
      { ...base, stop: ["\n"] },
      { ...base, providerOptions: { enable_thinking: true } },
    ];
    const keys = new Set(variants.map(cacheKey));
    expect(keys.size).toBe(variants.length);
    expect(keys.has(k)).toBe(false);
    expect(cacheKey({ ...base, providerOptions: { a: 1, b: 2 } })).toBe(
      cacheKey({ ...base, providerOptions: { b: 2, a: 1 } }),
    );
    expect(cacheKey({ ...base, messages: [{ role: "user", content: "a", name: "b" }] })).not.toBe(
      cacheKey({ ...base, messages: [{ role: "user", content: "ab" }] }),
    );
  });
});

describe("images", () => {
  it("sniffs types, passes URLs through and builds data URLs", () => {
    expect(sniffImageType(PNG)).toBe("image/png");
    expect(sniffImageType(Uint8Array.from([0xff, 0xd8, 0xff, 0xe0]))).toBe("image/jpeg");
    expect(sniffImageType(Uint8Array.from([1, 2, 3]))).toBeUndefined();
    expect(imageToUrl("https://x.test/a.png")).toBe("https://x.test/a.png");
    expect(imageToUrl(new URL("https://x.test/b.png"))).toBe("https://x.test/b.png");
    expect(imageToUrl(PNG)).toBe(`data:image/png;base64,${Buffer.from(PNG).toString("base64")}`);
    expect(imageToUrl({ data: "QUJD", mediaType: "image/webp" })).toBe(
      "data:image/webp;base64,QUJD",
    );
    expect(resolveImage("data:image/gif;base64,R0lG")).toEqual({
      kind: "data",
      mediaType: "image/gif",
      base64: "R0lG",
    });
  });
  it("rejects local paths, unknown bytes and bad media types with InvalidRequestError", () => {
    expect(() => resolveImage("./cat.png")).toThrow(InvalidRequestError);
    expect(() => resolveImage("./cat.png")).toThrow(/never reads local files/);
    expect(() => resolveImage(Uint8Array.from([1, 2, 3]))).toThrow(/not a recognised image format/);
    expect(() => resolveImage({ data: "QUJD", mediaType: "png" })).toThrow(/mediaType/);
    expect(() => resolveImage(new Uint8Array())).toThrow(/empty/);
  });
});

describe("scrubbing", () => {
  it("removes exact keys and key-shaped strings", () => {
    expect(
      scrubSecrets(
        "key sk-abcdefgh12345678 and AIzaSyA1234567890123456789012 and xai-ABCDEFGH1234",
      ),
    ).toBe("key [REDACTED] and [REDACTED] and [REDACTED]");
    expect(scrubSecrets("custom secret-value-123 here", ["secret-value-123"])).toBe(
      "custom [REDACTED] here",
    );
    expect(scrubSecrets("nothing here")).toBe("nothing here");
  });
});

describe("memoryStore", () => {
  it("stores, expires and evicts the least recently used", async () => {
    const s = memoryStore({ max: 2 });
    const entry = {
      v: 1,
      kind: "response",
      response: { content: "a", model: "m", provider: "p" },
    } as const;
    await s.set("a", entry);
    await s.set("b", entry, 20);
    expect(await s.get("a")).toEqual(entry);
    await new Promise((r) => setTimeout(r, 40));
    expect(await s.get("b")).toBeUndefined();
    await s.set("c", entry);
    await s.set("d", entry);
    expect(await s.get("a")).toBeUndefined();
    expect(s.size).toBe(2);
    await s.clear();
    expect(s.size).toBe(0);
    expect(() => memoryStore({ max: 0 })).toThrow(/positive integer/);
  });
});
