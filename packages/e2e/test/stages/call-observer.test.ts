/**
 * Whole-call observation for tracers: `observeCall` sees each public call (tool loop included),
 * runs its work in the observer's context, and hears how it ended; `onEvent` on a middleware
 * hears every event inside that context. Clients without such middleware pay nothing.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import {
  type CallInfo,
  type CallObserver,
  type CallOutcome,
  jsonSchema,
  LLMClient,
  type Middleware,
  memoryStore,
  type RephyscoEvent,
  ServiceUnavailableError,
  tool,
} from "@rephysco/core";
import { caught, createFakeProvider, drain } from "@rephysco/testing";
import { describe, expect, it } from "vitest";

const usage = { promptTokens: 10, completionTokens: 5, totalTokens: 15 };

/** An observer that records its calls and marks its context, as a tracer's span would. */
function recorder() {
  const als = new AsyncLocalStorage<string>();
  const calls: {
    info: CallInfo;
    outcome?: CallOutcome;
    firstChunk: number;
    runs: number;
    ends: number;
  }[] = [];
  const events: { event: RephyscoEvent; context: string | undefined }[] = [];
  const seenInWrap: (string | undefined)[] = [];
  const middleware: Middleware = {
    observeCall(info): CallObserver {
      const call = { info, firstChunk: 0, runs: 0, ends: 0 } as (typeof calls)[number];
      calls.push(call);
      const id = `call-${calls.length}`;
      return {
        run: (fn) => {
          call.runs++;
          return als.run(id, fn);
        },
        firstChunk: () => {
          call.firstChunk++;
        },
        end: (outcome) => {
          call.ends++;
          call.outcome ??= outcome;
        },
      };
    },
    onEvent(event) {
      events.push({ event, context: als.getStore() });
    },
    wrapGenerate({ doGenerate }) {
      seenInWrap.push(als.getStore());
      return doGenerate();
    },
    async *wrapStream({ doStream }) {
      seenInWrap.push(als.getStore());
      yield* doStream();
    },
  };
  return { middleware, calls, events, seenInWrap };
}

describe("observeCall", () => {
  it("observes a generate: info, the call run in its context, events inside it, the outcome", async () => {
    const r = recorder();
    const fake = createFakeProvider({ replies: [{ text: "Hi!", usage }] });
    const c = new LLMClient({ provider: fake, middleware: [r.middleware], tags: ["t"] });
    const answer = await c.generate("Hello", { temperature: 0.3 });
    expect(r.calls).toHaveLength(1);
    const call = r.calls[0]!;
    expect(call.info).toMatchObject({ operation: "generate", provider: "fake", toolLoop: false });
    expect(call.info.params).toMatchObject({ model: "fake-model", temperature: 0.3, tags: ["t"] });
    expect(call.outcome).toEqual({
      status: "ok",
      provider: "fake",
      model: "fake-model",
      usage,
      finishReason: "stop",
      cached: false,
      shared: false,
      content: answer.content,
    });
    expect(r.seenInWrap).toEqual(["call-1"]);
    const types = r.events.map((e) => [e.event.type, e.context]);
    expect(types).toEqual([
      ["request", "call-1"],
      ["finish", "call-1"],
    ]);
  });

  it("observes a stream: each pull in context, the first chunk once, the outcome at the end", async () => {
    const r = recorder();
    const fake = createFakeProvider({ replies: [{ chunks: ["a", "b", "c"], usage }] });
    const c = new LLMClient({ provider: fake, middleware: [r.middleware] });
    const { text } = await drain(c.stream("x"));
    expect(text).toBe("abc");
    const call = r.calls[0]!;
    expect(call.info.operation).toBe("stream");
    expect(call.firstChunk).toBe(1);
    expect(call.runs).toBeGreaterThanOrEqual(4);
    expect(call.outcome).toMatchObject({ status: "ok", usage, content: "abc", cached: false });
    expect(r.seenInWrap).toEqual(["call-1"]);
  });

  it("reports a failure and a stream abandoned by break, once each", async () => {
    const r = recorder();
    const down = new ServiceUnavailableError("down", { provider: "fake" });
    const fake = createFakeProvider({
      replies: [{ error: down }, { chunks: ["a", "b", "c"], chunkDelayMs: 5 }],
    });
    const c = new LLMClient({ provider: fake, retry: false, middleware: [r.middleware] });
    expect(await caught(() => c.generate("x"))).toBe(down);
    for await (const _chunk of c.stream("y")) break;
    expect(r.calls.map((call) => call.outcome)).toEqual([
      { status: "error", error: down },
      { status: "abandoned" },
    ]);
    expect(r.calls.map((call) => call.ends)).toEqual([1, 1]);
  });

  it("ends once when the consumer stops while a pull is pending", async () => {
    const r = recorder();
    const fake = createFakeProvider({ replies: [{ chunks: ["a"], chunkDelayMs: 30 }] });
    const c = new LLMClient({ provider: fake, middleware: [r.middleware] });
    const it = c.stream("x")[Symbol.asyncIterator]();
    await it.next();
    // Two pulls in flight (the finish chunk, then the end), and the consumer stops meanwhile.
    const pending = [it.next(), it.next()];
    await it.return(undefined);
    await Promise.allSettled(pending);
    expect(r.calls[0]!.outcome).toEqual({ status: "abandoned" });
    expect(r.calls[0]!.ends).toBe(1);
  });

  it("observes a tool loop as one call, tool results and steps inside it", async () => {
    const r = recorder();
    const fake = createFakeProvider({
      replies: [
        { toolCalls: [{ name: "add", arguments: { a: 1, b: 2 } }], usage },
        { text: "3", usage },
      ],
    });
    const c = new LLMClient({ provider: fake, middleware: [r.middleware] });
    const add = tool({
      parameters: jsonSchema<{ a: number; b: number }>({ type: "object" }),
      execute: ({ a, b }) => a + b,
    });
    await c.generate("1+2?", { tools: { add }, maxSteps: 3 });
    expect(r.calls).toHaveLength(1);
    expect(r.calls[0]!.info.toolLoop).toBe(true);
    expect(r.calls[0]!.outcome).toMatchObject({ status: "ok", usage: { totalTokens: 30 } });
    // Each step is a pipeline run inside the call's context; so are the tool events.
    expect(r.seenInWrap).toEqual(["call-1", "call-1"]);
    const inCall = r.events.filter((e) => e.context === "call-1").map((e) => e.event.type);
    expect(inCall).toEqual(expect.arrayContaining(["step", "tool_call", "tool_result"]));
    expect(r.events.every((e) => e.context === "call-1")).toBe(true);
  });

  it("marks cache hits and calls that joined one in flight", async () => {
    const r = recorder();
    const fake = createFakeProvider({ defaultReply: { text: "same", usage, delayMs: 20 } });
    const c = new LLMClient({ provider: fake, cache: memoryStore(), middleware: [r.middleware] });
    await Promise.all([c.generate("q"), c.generate("q")]);
    await c.generate("q");
    const outcomes = r.calls.map((call) => call.outcome);
    expect(outcomes.map((o) => o?.status === "ok" && [o.cached, o.shared])).toEqual(
      expect.arrayContaining([
        [false, false],
        [false, true],
        [true, false],
      ]),
    );
  });

  it("observes generateObject and streamObject", async () => {
    const r = recorder();
    const fake = createFakeProvider({
      replies: [
        { text: '{"n":1}', usage },
        { chunks: ['{"n"', ":2}"], usage },
      ],
    });
    const c = new LLMClient({ provider: fake, middleware: [r.middleware] });
    const schema = jsonSchema<{ n: number }>({ type: "object" });
    await c.generateObject("n?", { schema });
    for await (const _item of c.streamObject("n?", { schema })) {
    }
    expect(r.calls.map((call) => call.info.operation)).toEqual(["generateObject", "streamObject"]);
    expect(r.calls.map((call) => call.outcome?.status === "ok" && call.outcome.content)).toEqual([
      '{"n":1}',
      '{"n":2}',
    ]);
    expect(r.calls[1]!.firstChunk).toBe(1);
  });

  it("an observer that throws or skips a call never breaks it; the client's onEvent still hears everything", async () => {
    const events: string[] = [];
    const throwing: Middleware = {
      observeCall() {
        throw new Error("broken tracer");
      },
      onEvent() {
        throw new Error("broken listener");
      },
    };
    const skipping: Middleware = { observeCall: () => undefined };
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.message);
    process.on("warning", onWarning);
    try {
      const c = new LLMClient({
        provider: createFakeProvider(),
        middleware: [throwing, skipping],
        onEvent: (e) => events.push(e.type),
      });
      expect((await c.generate("x")).content).toBe("Echo: x");
      expect((await drain(c.stream("y"))).text).toBe("Echo: y");
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      process.off("warning", onWarning);
    }
    expect(events).toEqual(["request", "finish", "request", "finish"]);
    expect(warnings.some((w) => w.includes("observeCall threw"))).toBe(true);
    expect(warnings.some((w) => w.includes("broken listener"))).toBe(true);
  });

  it("input errors are thrown as before, with nothing observed", async () => {
    const r = recorder();
    const c = new LLMClient({ provider: createFakeProvider(), middleware: [r.middleware] });
    await expect(c.generate("x", { temperature: "hot" as never })).rejects.toThrow(/temperature/);
    await expect(drain(c.stream("x", { maxSteps: 0 }))).resolves.toMatchObject({
      error: expect.objectContaining({ reason: "invalid_option" }),
    });
    expect(r.calls).toHaveLength(0);
  });
});
