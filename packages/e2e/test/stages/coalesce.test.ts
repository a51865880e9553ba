/**
 * The coalesce stage: identical calls in flight share one upstream call. It is present only with
 * a cache; clients here have a memory store and no listener, fallbacks or retries.
 */
import {
  LLMClient,
  type LLMClientOptions,
  memoryStore,
  ServiceUnavailableError,
} from "@rephysco/core";
import { caught, createFakeProvider, drain, type FakeProvider } from "@rephysco/testing";
import { describe, expect, it } from "vitest";
import { deferred } from "./support.js";

const usage = { promptTokens: 3, completionTokens: 2, totalTokens: 5 };

function client(fake: FakeProvider, options: Partial<LLMClientOptions> = {}): LLMClient {
  return new LLMClient({ provider: fake, retry: false, cache: memoryStore(), ...options });
}

/** A fake whose first call waits for `gate`, and `started` resolves once that call arrived. */
function heldFake(reply: { text?: string; chunks?: string[]; gateAfterParts?: number }) {
  const gate = deferred();
  const started = deferred();
  const fake = createFakeProvider({
    replies: [
      () => {
        started.resolve();
        return { ...reply, usage, gate: gate.promise };
      },
    ],
  });
  return { fake, open: () => gate.resolve(), started: started.promise };
}

describe("coalesce stage", () => {
  it("two identical generate calls in flight make one upstream call; each caller gets its own answer", async () => {
    const { fake, open, started } = heldFake({ text: "shared" });
    const c = client(fake);
    const a = c.generate("Hi");
    await started;
    const b = c.generate("Hi");
    open();
    const [ra, rb] = await Promise.all([a, b]);
    expect(fake.calls).toHaveLength(1);
    expect(ra).toMatchObject({ content: "shared", usage, cached: false });
    expect(rb).toMatchObject({ content: "shared", usage });
    expect(ra.usage).not.toBe(rb.usage);
  });

  it("two identical streams in flight make one upstream call; both get every chunk", async () => {
    const { fake, open, started } = heldFake({ chunks: ["Hel", "lo"] });
    const c = client(fake);
    const a = drain(c.stream("Hi"));
    await started;
    const b = drain(c.stream("Hi"));
    open();
    const [ra, rb] = await Promise.all([a, b]);
    expect(fake.calls).toHaveLength(1);
    for (const r of [ra, rb]) {
      expect(r.error).toBeUndefined();
      expect(r.text).toBe("Hello");
      expect(r.chunks.at(-1)).toMatchObject({ finishReason: "stop", usage });
    }
    expect(ra.chunks.at(-1)?.usage).not.toBe(rb.chunks.at(-1)?.usage);
  });

  it("calls that differ (prompt, mode, cache: false, cache: refresh) do not share", async () => {
    const gate = deferred();
    const fake = createFakeProvider({ defaultReply: { text: "x", gate: gate.promise } });
    const c = client(fake);
    const calls = [
      c.generate("Hi"),
      c.generate("Hello"),
      drain(c.stream("Hi")),
      c.generate("Hi", { cache: false }),
      c.generate("Hi", { cache: "refresh" }),
      c.generate("Hi", { temperature: 0.5 }),
    ];
    // Every call reaches the provider while the gate is closed: none of them joined another.
    for (let i = 0; i < 20 && fake.calls.length < calls.length; i++)
      await new Promise((resolve) => setImmediate(resolve));
    expect(fake.calls).toHaveLength(calls.length);
    gate.resolve();
    await Promise.all(calls);
  });

  describe("one caller's abort never cancels another's answer", () => {
    it("generate: the aborted caller gets its AbortError, the other the answer, from one upstream call", async () => {
      const { fake, open, started } = heldFake({ text: "shared" });
      const c = client(fake);
      const controller = new AbortController();
      const a = c.generate("Hi", { signal: controller.signal });
      await started;
      const b = c.generate("Hi");
      controller.abort();
      const error = await caught(() => a);
      expect(error).toBe(controller.signal.reason);
      expect(fake.calls[0]!.options.signal?.aborted).toBe(false);
      open();
      expect(await b).toMatchObject({ content: "shared", cached: false });
      expect(fake.calls).toHaveLength(1);
    });

    it("stream, aborted before the first chunk", async () => {
      const { fake, open, started } = heldFake({ chunks: ["Hel", "lo"] });
      const c = client(fake);
      const controller = new AbortController();
      const a = drain(c.stream("Hi", { signal: controller.signal }));
      await started;
      const b = drain(c.stream("Hi"));
      controller.abort();
      const ra = await a;
      expect(ra.error).toBe(controller.signal.reason);
      expect(ra.chunks).toEqual([]);
      expect(fake.calls[0]!.options.signal?.aborted).toBe(false);
      open();
      const rb = await b;
      expect(rb.error).toBeUndefined();
      expect(rb.text).toBe("Hello");
      expect(fake.calls).toHaveLength(1);
    });

    it("stream, aborted mid-answer", async () => {
      // The upstream sends "Hel", then holds until the gate opens.
      const { fake, open, started } = heldFake({ chunks: ["Hel", "lo"], gateAfterParts: 1 });
      const c = client(fake);
      const controller = new AbortController();
      const a = c.stream("Hi", { signal: controller.signal });
      expect((await a.next()).value).toMatchObject({ content: "Hel" });
      await started;
      const b = drain(c.stream("Hi"));
      controller.abort();
      const error = await caught(() => a.next());
      expect(error).toBe(controller.signal.reason);
      expect(fake.calls[0]!.options.signal?.aborted).toBe(false);
      open();
      const rb = await b;
      expect(rb.error).toBeUndefined();
      expect(rb.text).toBe("Hello");
      expect(rb.chunks.at(-1)).toMatchObject({ finishReason: "stop" });
      expect(fake.calls).toHaveLength(1);
    });
  });

  it("when every caller has left, the upstream is aborted and the next identical call starts afresh", async () => {
    const { fake, started } = heldFake({ text: "abandoned" });
    fake.enqueue({ text: "fresh" });
    const c = client(fake);
    const first = new AbortController();
    const second = new AbortController();
    const a = c.generate("Hi", { signal: first.signal });
    await started;
    const b = c.generate("Hi", { signal: second.signal });
    first.abort();
    await caught(() => a);
    expect(fake.calls[0]!.options.signal?.aborted).toBe(false);
    second.abort();
    await caught(() => b);
    expect(fake.calls[0]!.options.signal?.aborted).toBe(true);
    expect(await c.generate("Hi")).toMatchObject({ content: "fresh", cached: false });
    expect(fake.calls).toHaveLength(2);
  });

  it("an upstream error reaches every caller, and the next call goes upstream again", async () => {
    const gate = deferred();
    const started = deferred();
    const down = new ServiceUnavailableError("down", { provider: "fake" });
    const fake = createFakeProvider({
      replies: [
        () => {
          started.resolve();
          return { error: down, gate: gate.promise };
        },
        { text: "recovered" },
      ],
    });
    const c = client(fake);
    const a = caught(() => c.generate("Hi"));
    await started.promise;
    const b = caught(() => c.generate("Hi"));
    gate.resolve();
    expect(await a).toBe(down);
    expect(await b).toBe(down);
    expect(fake.calls).toHaveLength(1);
    expect((await c.generate("Hi")).content).toBe("recovered");
    expect(fake.calls).toHaveLength(2);
  });
});
