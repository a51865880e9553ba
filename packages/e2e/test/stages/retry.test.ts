/**
 * The retry stage: the attempt again while the error is retryable, nothing has been passed on,
 * and the waits stay within bounds. Clients here have no cache and no fallbacks; a listener
 * reads the retry events (their `delayMs` is the wait chosen, with jitter 0 exactly the backoff).
 */
import {
  AuthenticationError,
  ContentFilterError,
  InvalidRequestError,
  LLMClient,
  type LLMClientOptions,
  QuotaExceededError,
  RateLimitError,
  type RephyscoEvent,
  type RetryOptions,
  ServiceUnavailableError,
} from "@rephysco/core";
import { caught, createFakeProvider, drain, type FakeReply } from "@rephysco/testing";
import { describe, expect, it } from "vitest";

const down = () => new ServiceUnavailableError("down", { provider: "fake" });

function retrying(
  replies: FakeReply[],
  retry: RetryOptions = {},
  options: Partial<LLMClientOptions> = {},
) {
  const fake = createFakeProvider({ replies });
  const events: RephyscoEvent[] = [];
  const client = new LLMClient({
    provider: fake,
    retry: { baseDelayMs: 1, jitter: 0, maxRetries: 3, ...retry },
    onEvent: (e) => events.push(e),
    ...options,
  });
  const retries = () => events.flatMap((e) => (e.type === "retry" ? [e] : []));
  return { fake, client, events, retries };
}

describe("retry stage", () => {
  it("a retryable error is retried, and the retry reported", async () => {
    const { fake, client, events, retries } = retrying([{ error: down() }, { text: "ok" }]);
    expect((await client.generate("Hi")).content).toBe("ok");
    expect(fake.calls).toHaveLength(2);
    expect(fake.calls[1]!.messages).toEqual(fake.calls[0]!.messages);
    expect(retries()).toEqual([
      {
        type: "retry",
        provider: "fake",
        model: "fake-model",
        attempt: 2,
        delayMs: 1,
        error: expect.any(ServiceUnavailableError),
        stream: false,
      },
    ]);
    expect(events.flatMap((e) => (e.type === "request" ? [e.attempt] : []))).toEqual([1, 2]);
  });

  it("errors that are not retryable are thrown at once", async () => {
    for (const error of [
      new AuthenticationError("bad key", { provider: "fake" }),
      new InvalidRequestError("bad request", { provider: "fake" }),
      new QuotaExceededError("no credit", { provider: "fake" }),
      new ContentFilterError("filtered", { provider: "fake" }),
      new ServiceUnavailableError("told not to", { provider: "fake", retryable: false }),
    ]) {
      const { fake, client } = retrying([{ error }]);
      await caught(() => client.generate("Hi"));
      expect(fake.calls, String(error)).toHaveLength(1);
    }
  });

  it("backs off exponentially up to maxRetries, then throws the last error", async () => {
    const last = down();
    const { fake, client, retries } = retrying(
      [{ error: down() }, { error: down() }, { error: down() }, { error: last }],
      { baseDelayMs: 1, backoffFactor: 2, maxRetries: 3 },
    );
    expect(await caught(() => client.generate("Hi"))).toBe(last);
    expect(fake.calls).toHaveLength(4);
    expect(retries().map((r) => [r.attempt, r.delayMs])).toEqual([
      [2, 1],
      [3, 2],
      [4, 4],
    ]);
  });

  it("waits what Retry-After asked, and gives up when that is beyond maxDelayMs", async () => {
    const soon = new RateLimitError("slow down", { provider: "fake", retryAfterMs: 7 });
    const first = retrying([{ error: soon }, { text: "ok" }]);
    await first.client.generate("Hi");
    expect(first.retries().map((r) => r.delayMs)).toEqual([7]);

    const late = new RateLimitError("come back later", { provider: "fake", retryAfterMs: 5000 });
    const second = retrying([{ error: late }, { text: "ok" }], { maxDelayMs: 1000 });
    expect(await caught(() => second.client.generate("Hi"))).toBe(late);
    expect(second.fake.calls).toHaveLength(1);
  });

  it("maxTotalDelayMs bounds the sum of the waits", async () => {
    const { fake, client, retries } = retrying(
      [{ error: down() }, { error: down() }, { error: down() }, { text: "too late" }],
      { baseDelayMs: 1, backoffFactor: 2, maxTotalDelayMs: 3 },
    );
    await caught(() => client.generate("Hi"));
    // Waits 1 and 2 fit in 3; the next (4) would not.
    expect(retries().map((r) => r.delayMs)).toEqual([1, 2]);
    expect(fake.calls).toHaveLength(3);
  });

  it("a stream is retried while it has passed nothing on, never after", async () => {
    const before = retrying([{ error: down() }, { chunks: ["o", "k"] }]);
    const ok = await drain(before.client.stream("Hi"));
    expect(ok.error).toBeUndefined();
    expect(ok.text).toBe("ok");
    expect(before.fake.calls).toHaveLength(2);
    expect(before.retries()[0]).toMatchObject({ stream: true });

    const after = retrying([
      { parts: [{ type: "text", text: "Hel" }], error: down() },
      { chunks: ["not", "used"] },
    ]);
    const cut = await drain(after.client.stream("Hi"));
    expect(cut.text).toBe("Hel");
    expect(cut.error).toMatchObject({ partialContent: "Hel" });
    expect(after.fake.calls).toHaveLength(1);
  });

  it("an abort ends the wait at once: no further attempt", async () => {
    const controller = new AbortController();
    const { fake, client } = retrying(
      [
        { error: new RateLimitError("wait a minute", { provider: "fake", retryAfterMs: 60_000 }) },
        { text: "never asked" },
      ],
      {},
      {
        onEvent: (e) => {
          if (e.type === "retry") controller.abort();
        },
      },
    );
    const error = await caught(() => client.generate("Hi", { signal: controller.signal }));
    expect(error).toBe(controller.signal.reason);
    expect(fake.calls).toHaveLength(1);
  });

  it("retry: false leaves the stage out: one attempt", async () => {
    const fake = createFakeProvider({ replies: [{ error: down() }, { text: "not asked" }] });
    const client = new LLMClient({ provider: fake, retry: false });
    await caught(() => client.generate("Hi"));
    expect(fake.calls).toHaveLength(1);
  });
});
