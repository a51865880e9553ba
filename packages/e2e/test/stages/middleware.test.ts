/**
 * Public middleware: call level (outside everything, before the cache key) and attempt level
 * (around each try of each provider, inside fallback and retry). Clients here have no cache, no
 * listener and no retries unless a test says so.
 */
import {
  type AttemptInfo,
  ConfigurationError,
  InvalidRequestError,
  LLMClient,
  type LLMClientOptions,
  type Middleware,
  type Provider,
  ServiceUnavailableError,
  type StreamPart,
} from "@rephysco/core";
import { caught, createFakeProvider, drain } from "@rephysco/testing";
import { describe, expect, it } from "vitest";
import { recordingStore } from "./support.js";

function client(provider: Provider, options: Partial<LLMClientOptions> = {}): LLMClient {
  return new LLMClient({ provider, retry: false, ...options });
}

/** A middleware that logs when it enters and leaves, for generate and stream. */
function tracer(name: string, log: string[], level: "call" | "attempt" = "call"): Middleware {
  return {
    level,
    async wrapGenerate({ doGenerate }) {
      log.push(`${name}>`);
      const r = await doGenerate();
      log.push(`<${name}`);
      return r;
    },
    async *wrapStream({ doStream }) {
      log.push(`${name}>`);
      yield* doStream();
      log.push(`<${name}`);
    },
  };
}

const down = () => new ServiceUnavailableError("down", { provider: "fake" });

describe("middleware", () => {
  it("composes in order, first outermost, call level outside attempt level", async () => {
    for (const mode of ["generate", "stream"] as const) {
      const log: string[] = [];
      const fake = createFakeProvider({
        defaultReply: () => {
          log.push("provider");
          return { text: "ok" };
        },
      });
      const c = client(fake, {
        // Levels interleaved in the list: each level keeps the list's order.
        middleware: [
          tracer("A", log),
          tracer("C", log, "attempt"),
          tracer("B", log),
          tracer("D", log, "attempt"),
        ],
      });
      if (mode === "generate") await c.generate("Hi");
      else expect((await drain(c.stream("Hi"))).error).toBeUndefined();
      expect(log, mode).toEqual(["A>", "B>", "C>", "D>", "provider", "<D", "<C", "<B", "<A"]);
    }
  });

  it("call level runs for cache hits; attempt level only when a provider is tried", async () => {
    const log: string[] = [];
    const c = client(createFakeProvider(), {
      cache: recordingStore(),
      middleware: [tracer("call", log), tracer("attempt", log, "attempt")],
    });
    await c.generate("Hi");
    log.length = 0;
    expect((await c.generate("Hi")).cached).toBe(true);
    expect(log).toEqual(["call>", "<call"]);
  });

  it("a call-level middleware may answer without calling the provider", async () => {
    const fake = createFakeProvider();
    const guard: Middleware = {
      wrapGenerate: async ({ params }) => ({
        content: "refused",
        model: params.model,
        provider: "guard",
        cached: false,
      }),
      async *wrapStream() {
        yield { type: "text", text: "refused" } satisfies StreamPart;
        yield { type: "finish", reason: "content_filter" } satisfies StreamPart;
      },
    };
    const c = client(fake, { middleware: [guard] });
    expect(await c.generate("Hi")).toMatchObject({
      content: "refused",
      provider: "guard",
      model: "fake-model",
      cached: false,
    });
    const { text, chunks, error } = await drain(c.stream("Hi"));
    expect(error).toBeUndefined();
    expect(text).toBe("refused");
    expect(chunks.at(-1)?.finishReason).toBe("content_filter");
    expect(fake.calls).toHaveLength(0);
  });

  it("an attempt-level answer is below the cache: it is stored and served as a hit", async () => {
    const fake = createFakeProvider();
    let answered = 0;
    const stub: Middleware = {
      level: "attempt",
      wrapGenerate: async ({ params }) => {
        answered++;
        return { content: "stubbed", model: params.model, provider: "fake", cached: false };
      },
    };
    const c = client(fake, { cache: recordingStore(), middleware: [stub] });
    await c.generate("Hi");
    expect(await c.generate("Hi")).toMatchObject({ content: "stubbed", cached: true });
    expect(answered).toBe(1);
    expect(fake.calls).toHaveLength(0);
  });

  it("what a middleware throws reaches the caller as thrown; at call level it is not retried", async () => {
    const thrown = down();
    let calls = 0;
    const failing: Middleware = {
      wrapGenerate: async () => {
        calls++;
        throw thrown;
      },
      // biome-ignore lint/correctness/useYield: it fails before its first part
      async *wrapStream() {
        calls++;
        throw thrown;
      },
    };
    const fake = createFakeProvider();
    const c = new LLMClient({
      provider: fake,
      retry: { baseDelayMs: 1, jitter: 0 },
      middleware: [failing],
    });
    expect(await caught(() => c.generate("Hi"))).toBe(thrown);
    const { chunks, error } = await drain(c.stream("Hi"));
    expect(error).toBe(thrown);
    expect(chunks).toEqual([]);
    expect(calls).toBe(2);
    expect(fake.calls).toHaveLength(0);
  });

  it("what an attempt-level middleware throws goes through the retry policy first", async () => {
    const infos: AttemptInfo[] = [];
    const flaky: Middleware = {
      level: "attempt",
      wrapGenerate: async ({ doGenerate, attempt }) => {
        infos.push(attempt!);
        if (attempt!.attempt === 1) throw down();
        return doGenerate();
      },
    };
    const fake = createFakeProvider();
    const c = new LLMClient({
      provider: fake,
      retry: { baseDelayMs: 1, jitter: 0 },
      middleware: [flaky],
    });
    expect((await c.generate("Hi")).content).toBe("Echo: Hi");
    expect(infos.map((i) => i.attempt)).toEqual([1, 2]);
    expect(fake.calls).toHaveLength(1);
  });

  it("a stream middleware may transform the parts; at call level the cache keeps the untransformed answer", async () => {
    const shout: Middleware = {
      async *wrapStream({ doStream }) {
        for await (const part of doStream())
          yield part.type === "text" ? { ...part, text: part.text.toUpperCase() } : part;
      },
    };
    const store = recordingStore();
    const fake = createFakeProvider({ replies: [{ chunks: ["hel", "lo"] }] });
    const c = client(fake, { cache: store, middleware: [shout] });
    const first = await drain(c.stream("Hi"));
    const second = await drain(c.stream("Hi"));
    expect(first.text).toBe("HELLO");
    expect(second.text).toBe("HELLO");
    expect(second.chunks.every((chunk) => chunk.cached)).toBe(true);
    expect(first.chunks.at(-1)?.finishReason).toBe("stop");
    await c.flush();
    const key = store.ops.find((o) => o.op === "set")!.key;
    const stored = (await store.inner.get(key)) as {
      kind: string;
      parts: { type: string; text?: string }[];
    };
    expect(stored.kind).toBe("parts");
    expect(
      stored.parts
        .filter((p) => p.type === "text")
        .map((p) => p.text)
        .join(""),
    ).toBe("hello");
  });

  it("changed params reach the provider: the model at call level, a parameter at attempt level", async () => {
    const fake = createFakeProvider();
    const c = client(fake, {
      middleware: [
        { wrapGenerate: ({ doGenerate, params }) => doGenerate({ ...params, model: "routed" }) },
        {
          level: "attempt",
          wrapGenerate: ({ doGenerate, params }) => doGenerate({ ...params, temperature: 0 }),
        },
      ],
    });
    await c.generate("Hi", { temperature: 1 });
    expect(fake.calls[0]!.options).toMatchObject({ model: "routed", temperature: 0 });
  });

  it("attempt level learns the provider, model and try number across retries and fallbacks", async () => {
    const seen: (AttemptInfo | undefined)[] = [];
    const callLevel: (AttemptInfo | undefined)[] = [];
    const primary = createFakeProvider({
      name: "primary",
      defaultModel: "p-1",
      replies: [{ error: down() }, { error: down() }],
    });
    const backup = createFakeProvider({ name: "backup", replies: [{ text: "from backup" }] });
    const c = new LLMClient({
      provider: primary,
      fallbacks: [{ provider: backup, model: "b-2" }],
      retry: { baseDelayMs: 1, jitter: 0, maxRetries: 1 },
      middleware: [
        {
          wrapGenerate: ({ doGenerate, attempt }) => {
            callLevel.push(attempt);
            return doGenerate();
          },
        },
        {
          level: "attempt",
          wrapGenerate: ({ doGenerate, attempt, params }) => {
            seen.push(attempt);
            expect(params.model).toBe(attempt!.model);
            return doGenerate();
          },
        },
      ],
    });
    expect((await c.generate("Hi")).provider).toBe("backup");
    const account = expect.stringMatching(/^[\w-]{22}$/);
    expect(seen).toEqual([
      { provider: "primary", model: "p-1", attempt: 1, targetIndex: 0, account },
      { provider: "primary", model: "p-1", attempt: 2, targetIndex: 0, account },
      { provider: "backup", model: "b-2", attempt: 1, targetIndex: 1, account },
    ]);
    // One account per provider (base URL and credentials), the same on every try.
    expect(seen[0]!.account).toBe(seen[1]!.account);
    expect(seen[2]!.account).not.toBe(seen[0]!.account);
    expect(callLevel).toEqual([undefined]);
  });

  it("a middleware without wrapStream lets streams pass; one that is not an object is refused", async () => {
    let wrapped = 0;
    const generateOnly: Middleware = {
      wrapGenerate: ({ doGenerate }) => {
        wrapped++;
        return doGenerate();
      },
    };
    const c = client(createFakeProvider(), { middleware: [generateOnly] });
    expect((await drain(c.stream("Hi"))).text).toBe("Echo: Hi");
    expect(wrapped).toBe(0);
    expect(() =>
      client(createFakeProvider(), { middleware: [null as unknown as Middleware] }),
    ).toThrow(ConfigurationError);
    expect(() =>
      client(createFakeProvider(), { middleware: {} as unknown as Middleware[] }),
    ).toThrow(ConfigurationError);
  });

  it("a middleware's InvalidRequestError at attempt level neither retries nor falls back", async () => {
    const refused = new InvalidRequestError("not allowed", { provider: "policy" });
    const backup = createFakeProvider({ name: "backup" });
    const primary = createFakeProvider({ name: "primary" });
    let tries = 0;
    const c = new LLMClient({
      provider: primary,
      fallbacks: [{ provider: backup }],
      retry: { baseDelayMs: 1, jitter: 0 },
      middleware: [
        {
          level: "attempt",
          wrapGenerate: async () => {
            tries++;
            throw refused;
          },
        },
      ],
    });
    expect(await caught(() => c.generate("Hi"))).toBe(refused);
    expect(tries).toBe(1);
  });
});
