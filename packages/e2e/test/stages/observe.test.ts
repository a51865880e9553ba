/**
 * The observe stage: one `finish` event per successful call (cache hits included) and one
 * `error` event per failed call. It is present only with `onEvent`; clients here have no
 * fallbacks or retries, and a cache only where a test is about the `cached` flag.
 */
import {
  LLMClient,
  type LLMClientOptions,
  memoryStore,
  type Provider,
  type RephyscoEvent,
  ServiceUnavailableError,
} from "@rephysco/core";
import { caught, createFakeProvider, drain } from "@rephysco/testing";
import { describe, expect, it, vi } from "vitest";
import { deferred } from "./support.js";

const usage = { promptTokens: 3, completionTokens: 2, totalTokens: 5 };

function observed(provider: Provider, options: Partial<LLMClientOptions> = {}) {
  const events: RephyscoEvent[] = [];
  const client = new LLMClient({
    provider,
    retry: false,
    onEvent: (e) => events.push(e),
    ...options,
  });
  const of = <T extends RephyscoEvent["type"]>(type: T) =>
    events.filter((e): e is Extract<RephyscoEvent, { type: T }> => e.type === type);
  return { client, events, of };
}

describe("observe stage", () => {
  it("a generate that succeeds is one finish event with who answered, usage and reason", async () => {
    const fake = createFakeProvider({
      replies: [{ text: "Hello", usage, model: "m-2", finishReason: "length" }],
    });
    const { client, events, of } = observed(fake);
    await client.generate("Hi", { model: "m-1" });
    expect(events.map((e) => e.type)).toEqual(["request", "finish"]);
    const [finish] = of("finish");
    expect(finish).toMatchObject({
      provider: "fake",
      model: "m-2",
      stream: false,
      cached: false,
      usage,
      finishReason: "length",
    });
    expect(finish!.durationMs).toBeGreaterThanOrEqual(0);
  });

  it("a stream that succeeds is one finish event, after the last chunk, with the finish part's data", async () => {
    const fake = createFakeProvider({ replies: [{ chunks: ["Hel", "lo"], usage, model: "m-2" }] });
    const { client, of } = observed(fake);
    let finishesBeforeEnd = -1;
    for await (const chunk of client.stream("Hi"))
      if (chunk.finishReason) finishesBeforeEnd = of("finish").length;
    expect(finishesBeforeEnd).toBe(0);
    expect(of("finish")).toEqual([
      expect.objectContaining({
        provider: "fake",
        model: "m-2",
        stream: true,
        cached: false,
        usage,
        finishReason: "stop",
      }),
    ]);
  });

  it("a failed call is one error event carrying the error the caller got, and no finish", async () => {
    const down = new ServiceUnavailableError("down", { provider: "fake" });
    const fake = createFakeProvider({
      replies: [{ error: down }, { parts: [{ type: "text", text: "cut" }] }],
    });
    const { client, of } = observed(fake);
    const error = await caught(() => client.generate("Hi"));
    const streamed = await drain(client.stream("Hi"));
    expect(of("finish")).toEqual([]);
    const errors = of("error");
    expect(errors).toHaveLength(2);
    expect(errors[0]).toMatchObject({ provider: "fake", model: "fake-model", stream: false });
    expect(errors[0]!.error).toBe(error);
    expect(errors[1]).toMatchObject({ stream: true });
    expect(errors[1]!.error).toBe(streamed.error);
    expect(streamed.error).toMatchObject({ reason: "incomplete_stream" });
  });

  it("a cache hit is a finish event with cached: true and no request", async () => {
    const fake = createFakeProvider({ replies: [{ text: "Hello", usage }] });
    const { client, of } = observed(fake, { cache: memoryStore() });
    await client.generate("Hi");
    await drain(client.stream("Hi"));
    expect(of("finish").map((e) => [e.stream, e.cached])).toEqual([
      [false, false],
      [true, true],
    ]);
    expect(of("finish")[1]).toMatchObject({ provider: "fake", usage, finishReason: "stop" });
    expect(of("request")).toHaveLength(1);
  });

  it("coalesced callers each get their finish event; the upstream is one request", async () => {
    const gate = deferred();
    const started = deferred();
    const fake = createFakeProvider({
      replies: [
        () => {
          started.resolve();
          return { text: "shared", gate: gate.promise };
        },
      ],
    });
    const { client, of } = observed(fake, { cache: memoryStore() });
    const a = client.generate("Hi");
    await started.promise;
    const b = client.generate("Hi");
    gate.resolve();
    await Promise.all([a, b]);
    expect(of("request")).toHaveLength(1);
    expect(of("finish")).toHaveLength(2);
  });

  it("a listener that throws never breaks the call: the throw becomes a process warning", async () => {
    const warn = vi.spyOn(process, "emitWarning").mockImplementation(() => {});
    try {
      const client = new LLMClient({
        provider: createFakeProvider(),
        retry: false,
        onEvent: () => {
          throw new Error("listener bug");
        },
      });
      expect((await client.generate("Hi")).content).toBe("Echo: Hi");
      expect(warn.mock.calls.map((c) => String(c[0]))).toEqual([
        expect.stringContaining('"request"'),
        expect.stringContaining('"finish"'),
      ]);
    } finally {
      warn.mockRestore();
    }
  });

  it("without a listener nothing is emitted or warned, for successes and failures alike", async () => {
    const warn = vi.spyOn(process, "emitWarning").mockImplementation(() => {});
    try {
      const fake = createFakeProvider({
        replies: [
          { text: "ok" },
          { error: new ServiceUnavailableError("down", { provider: "fake" }) },
        ],
      });
      const client = new LLMClient({ provider: fake, retry: false });
      expect((await client.generate("Hi")).content).toBe("ok");
      await caught(() => client.generate("Hi"));
      expect(warn).not.toHaveBeenCalled();
    } finally {
      warn.mockRestore();
    }
  });
});
