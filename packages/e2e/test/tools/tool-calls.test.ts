import {
  InvalidOutputError,
  InvalidRequestError,
  jsonSchema,
  LLMClient,
  memoryStore,
  type Provider,
  type RephyscoEvent,
  ServiceUnavailableError,
  type StreamChunk,
  ToolExecutionError,
  tool,
} from "@rephysco/core";
import { createFakeProvider } from "@rephysco/testing";
import { describe, expect, it } from "vitest";
import { z } from "zod";

const weather = tool({
  description: "Current weather in a city",
  parameters: z.object({ city: z.string() }),
  execute: async ({ city }) => ({ city, tempC: city.length }),
});
const time = tool({
  description: "Local time in a city",
  parameters: jsonSchema<{ city: string }>({
    type: "object",
    properties: { city: { type: "string" } },
    required: ["city"],
  }),
  execute: ({ city }) => `12:00 in ${city}`,
});
const usage = (p: number, c: number) => ({
  promptTokens: p,
  completionTokens: c,
  totalTokens: p + c,
});

describe("tools on a call", () => {
  it("sends JSON Schemas, returns parsed and validated calls typed by the tools", async () => {
    const fake = createFakeProvider({
      replies: [{ toolCalls: [{ id: "c1", name: "get_weather", arguments: { city: "Paris" } }] }],
    });
    const client = new LLMClient({ provider: fake, retry: false });
    const r = await client.generate("Weather?", {
      tools: { get_weather: weather },
      toolChoice: { name: "get_weather" },
    });
    expect(r.finishReason).toBe("tool_calls");
    expect(r.toolCalls).toEqual([
      {
        id: "c1",
        name: "get_weather",
        arguments: { city: "Paris" },
        rawArguments: '{"city":"Paris"}',
      },
    ]);
    const call = r.toolCalls![0]!;
    // Typed by the schema: a compile error if `arguments` were unknown.
    const city: string = call.arguments.city;
    expect(city).toBe("Paris");
    const sent = fake.calls[0]!.options;
    expect(sent.tools).toEqual([
      {
        name: "get_weather",
        description: "Current weather in a city",
        parameters: {
          type: "object",
          properties: { city: { type: "string" } },
          required: ["city"],
        },
      },
    ]);
    expect(sent.toolChoice).toEqual({ name: "get_weather" });
  });

  it("streams tool-call fragments as toolCallDelta chunks and the parsed calls on the last chunk", async () => {
    const fake = createFakeProvider({
      replies: [
        {
          text: "Let me check.",
          toolCalls: [
            {
              id: "a",
              name: "get_weather",
              arguments: "",
              argumentChunks: ['{"ci', 'ty":"Ro', 'me"}'],
            },
            { id: "b", name: "get_time", arguments: { city: "Oslo" } },
          ],
        },
      ],
    });
    const client = new LLMClient({ provider: fake, retry: false });
    const chunks = [];
    for await (const c of client.stream("Weather and time?", {
      tools: { get_weather: weather, get_time: time },
    }))
      chunks.push(c);
    const deltas = chunks.filter((c) => c.toolCallDelta).map((c) => c.toolCallDelta);
    expect(deltas).toEqual([
      { index: 0, id: "a", name: "get_weather", argumentsDelta: "" },
      { index: 0, argumentsDelta: '{"ci' },
      { index: 0, argumentsDelta: 'ty":"Ro' },
      { index: 0, argumentsDelta: 'me"}' },
      { index: 1, id: "b", name: "get_time", argumentsDelta: "" },
      { index: 1, argumentsDelta: '{"city":"Oslo"}' },
    ]);
    const last = chunks.at(-1)!;
    expect(last.finishReason).toBe("tool_calls");
    expect(last.toolCalls?.map((c) => [c.id, c.arguments])).toEqual([
      ["a", { city: "Rome" }],
      ["b", { city: "Oslo" }],
    ]);
    expect(chunks.filter((c) => c.finishReason)).toHaveLength(1);
  });

  it("invalid JSON, a failed validation and an unknown tool are InvalidOutputErrors carrying the raw text", async () => {
    const fake = createFakeProvider({
      replies: [
        { toolCalls: [{ id: "x", name: "get_weather", arguments: '{"city": "Par' }] },
        { toolCalls: [{ id: "y", name: "get_weather", arguments: { city: 42 } }] },
        { toolCalls: [{ id: "z", name: "launch_rockets", arguments: {} }] },
      ],
    });
    const client = new LLMClient({ provider: fake, retry: false });
    const tools = { get_weather: weather };
    const e1 = await client.generate("a", { tools }).catch((e: unknown) => e);
    expect(e1).toBeInstanceOf(InvalidOutputError);
    expect(e1).toMatchObject({
      reason: "invalid_tool_arguments",
      text: '{"city": "Par',
      toolName: "get_weather",
      toolCallId: "x",
    });
    const e2 = (await client
      .generate("b", { tools })
      .catch((e: unknown) => e)) as InvalidOutputError;
    expect(e2.reason).toBe("invalid_tool_arguments");
    expect(e2.text).toBe('{"city":42}');
    expect(e2.issues?.[0]?.path).toEqual(["city"]);
    const e3 = (await client
      .generate("c", { tools })
      .catch((e: unknown) => e)) as InvalidOutputError;
    expect(e3.message).toContain('"launch_rockets"');
    expect(e3.toolName).toBe("launch_rockets");
  });

  it("checks tools before any request, naming what to fix", async () => {
    const fake = createFakeProvider();
    const client = new LLMClient({ provider: fake, retry: false });
    const cases: [unknown, unknown, RegExp][] = [
      [{ t: { description: "no schema" } }, undefined, /tools\.t\.parameters is missing/],
      [{ t: { parameters: { type: "string" } } }, undefined, /must describe an object/],
      [{ t: { parameters: z.string() } }, undefined, /must describe an object/],
      [
        { t: { parameters: { type: "object" }, execute: 5 } },
        undefined,
        /execute must be a function/,
      ],
      [{ t: { parameters: { type: "object" } } }, { name: "u" }, /toolChoice names "u"/],
      [{ t: { parameters: { type: "object" } } }, "sometimes", /toolChoice must be/],
      [[], undefined, /tools must be an object keyed by tool name/],
      [{}, undefined, /tools is empty/],
    ];
    for (const [tools, toolChoice, message] of cases) {
      const error = await client
        .generate("x", { tools, toolChoice } as never)
        .catch((e: unknown) => e);
      expect(error, String(message)).toBeInstanceOf(InvalidRequestError);
      expect((error as InvalidRequestError).reason).toBe("invalid_tool");
      expect((error as Error).message).toMatch(message);
    }
    expect(fake.calls).toHaveLength(0);
  });

  it("checks every provider the call can reach: capabilities and each provider's own rules", async () => {
    const noTools = createFakeProvider({
      name: "plain",
      capabilities: { images: false, reasoning: false },
    });
    const strict: Provider = {
      ...createFakeProvider({ name: "strict" }),
      validateCall(_messages, options) {
        for (const t of options.tools ?? [])
          if (t.name.includes("."))
            throw new InvalidRequestError(`Tool name ${t.name} is not accepted by strict.`, {
              provider: "strict",
              reason: "invalid_tool",
            });
      },
    };
    const primary = createFakeProvider();
    const a = new LLMClient({
      provider: primary,
      fallbacks: [{ provider: noTools }],
      retry: false,
    });
    await expect(a.generate("x", { tools: { get_weather: weather } })).rejects.toMatchObject({
      reason: "unsupported_feature",
      provider: "plain",
      message: expect.stringContaining("fallback 1"),
    });
    const b = new LLMClient({ provider: primary, fallbacks: [{ provider: strict }], retry: false });
    await expect(
      b.generate("x", { tools: { "ns.tool": { parameters: { type: "object" } } } }),
    ).rejects.toMatchObject({ reason: "invalid_tool", provider: "strict" });
    // The stream reports it when iteration starts, before any request too.
    await expect(
      (async () => {
        for await (const _ of b.stream("x", {
          tools: { "ns.tool": { parameters: { type: "object" } } },
        }));
      })(),
    ).rejects.toBeInstanceOf(InvalidRequestError);
    expect(primary.calls).toHaveLength(0);
  });

  it("a call without an id (a legacy provider) gets one unique in its step", async () => {
    const fake = createFakeProvider({
      legacyChunks: true,
      replies: [
        {
          toolCalls: [
            { id: "", name: "get_weather", arguments: { city: "A" } },
            { id: "", name: "get_weather", arguments: { city: "B" } },
          ],
        },
      ],
    });
    const client = new LLMClient({ provider: fake, retry: false });
    const chunks: StreamChunk[] = [];
    for await (const c of client.stream("x", { tools: { get_weather: weather } })) chunks.push(c);
    expect(chunks.at(-1)?.toolCalls?.map((c) => [c.id, c.arguments])).toEqual([
      ["call_1_0", { city: "A" }],
      ["call_1_1", { city: "B" }],
    ]);
  });

  it("checks messages with tool fields", async () => {
    const client = new LLMClient({ provider: createFakeProvider(), retry: false });
    await expect(client.generate([{ role: "tool", content: "42" } as never])).rejects.toThrow(
      /needs toolCallId/,
    );
    await expect(client.generate([{ role: "user", content: "hi", toolCalls: [] }])).rejects.toThrow(
      /toolCalls belong on assistant messages/,
    );
    await expect(
      client.generate([
        { role: "user", content: "hi" },
        {
          role: "assistant",
          content: "",
          toolCalls: [{ id: "", name: "f", arguments: {}, rawArguments: "{}" }],
        },
      ]),
    ).rejects.toThrow(/toolCalls\[0\]\.id must be a non-empty string/);
  });
});

describe("the tool loop", () => {
  it("runs tools in parallel, sends results, totals usage and records steps", async () => {
    let running = 0;
    let most = 0;
    const slow = (name: string) =>
      tool({
        parameters: z.object({ n: z.number() }),
        execute: async ({ n }) => {
          running++;
          most = Math.max(most, running);
          await new Promise((r) => setTimeout(r, 10));
          running--;
          return `${name}:${n}`;
        },
      });
    const fake = createFakeProvider({
      replies: [
        {
          toolCalls: [1, 2, 3].map((n) => ({ id: `c${n}`, name: "slow", arguments: { n } })),
          usage: usage(10, 5),
        },
        { text: "Done: 1, 2, 3.", usage: usage(30, 4) },
      ],
    });
    const client = new LLMClient({ provider: fake, retry: false });
    const r = await client.generate("Go", {
      tools: { slow: slow("slow") },
      maxSteps: 5,
      maxParallelTools: 2,
    });
    expect(most).toBe(2);
    expect(r.content).toBe("Done: 1, 2, 3.");
    expect(r.finishReason).toBe("stop");
    expect(r.usage).toEqual(usage(40, 9));
    expect(r.steps?.map((s) => [s.stepNumber, s.finishReason, s.toolResults.length])).toEqual([
      [1, "tool_calls", 3],
      [2, "stop", 0],
    ]);
    const second = fake.calls[1]!.messages;
    expect(second.slice(1)).toEqual([
      {
        role: "assistant",
        content: "",
        toolCalls: [1, 2, 3].map((n) => ({
          id: `c${n}`,
          name: "slow",
          arguments: { n },
          rawArguments: `{"n":${n}}`,
        })),
      },
      { role: "tool", toolCallId: "c1", content: "slow:1" },
      { role: "tool", toolCallId: "c2", content: "slow:2" },
      { role: "tool", toolCallId: "c3", content: "slow:3" },
    ]);
    // The history round-trips through JSON.
    expect(JSON.parse(JSON.stringify(second))).toEqual(second);
  });

  it("a throwing tool becomes an error result, or a ToolExecutionError with toolErrors: throw", async () => {
    const broken = tool({
      parameters: { type: "object" },
      execute: () => {
        throw new Error("disk full");
      },
    });
    const fake = createFakeProvider({
      replies: [{ toolCalls: [{ id: "k", name: "broken", arguments: {} }] }, { text: "Sorry." }],
    });
    const client = new LLMClient({ provider: fake, retry: false });
    const r = await client.generate("Go", { tools: { broken }, maxSteps: 3 });
    expect(r.steps?.[0]?.toolResults).toEqual([
      { toolCallId: "k", name: "broken", result: "disk full", isError: true },
    ]);
    expect(fake.calls[1]!.messages.at(-1)).toEqual({
      role: "tool",
      toolCallId: "k",
      content: "disk full",
      isError: true,
    });
    fake.enqueue({ toolCalls: [{ id: "k2", name: "broken", arguments: {} }] });
    const error = await client
      .generate("Go", { tools: { broken }, maxSteps: 3, toolErrors: "throw" })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ToolExecutionError);
    expect(error).toMatchObject({
      toolName: "broken",
      toolCallId: "k2",
      reason: "tool_execution_failed",
    });
    expect((error as Error).cause).toMatchObject({ message: "disk full" });
  });

  it("with toolErrors: throw, no further tool starts after a failure and none runs on behind the error", async () => {
    const started: string[] = [];
    let finished = 0;
    const step = tool({
      parameters: z.object({ n: z.number() }),
      execute: async ({ n }) => {
        started.push(`n${n}`);
        await new Promise((r) => setTimeout(r, n === 1 ? 1 : 20));
        if (n === 1) throw new Error("first fails");
        finished++;
        return n;
      },
    });
    const fake = createFakeProvider({
      replies: [
        { toolCalls: [1, 2, 3, 4].map((n) => ({ id: `t${n}`, name: "step", arguments: { n } })) },
      ],
    });
    const client = new LLMClient({ provider: fake, retry: false });
    await expect(
      client.generate("Go", {
        tools: { step },
        maxSteps: 2,
        maxParallelTools: 2,
        toolErrors: "throw",
      }),
    ).rejects.toBeInstanceOf(ToolExecutionError);
    // n1 and n2 started together; n1 failed, so n3 and n4 never started, and n2 had finished
    // before the call rejected.
    expect(started).toEqual(["n1", "n2"]);
    expect(finished).toBe(1);
  });

  it("onToolCall vetoes or rewrites a call; a rewrite is validated", async () => {
    const seen: unknown[] = [];
    const echo = tool({
      parameters: z.object({ city: z.string() }),
      execute: (args) => {
        seen.push(args);
        return "ok";
      },
    });
    const fake = createFakeProvider({
      replies: [
        {
          toolCalls: [
            { id: "v", name: "echo", arguments: { city: "Atlantis" } },
            { id: "w", name: "echo", arguments: { city: "paris" } },
          ],
        },
        { text: "fine" },
        { toolCalls: [{ id: "q", name: "echo", arguments: { city: "x" } }] },
      ],
    });
    const client = new LLMClient({ provider: fake, retry: false });
    const r = await client.generate("Go", {
      tools: { echo },
      maxSteps: 2,
      onToolCall: (call) => {
        if (call.arguments.city === "Atlantis") return { veto: "No such city." };
        return { arguments: { city: call.arguments.city.toUpperCase() } };
      },
    });
    expect(seen).toEqual([{ city: "PARIS" }]);
    expect(r.steps?.[0]?.toolResults).toEqual([
      { toolCallId: "v", name: "echo", result: "No such city.", isError: true },
      { toolCallId: "w", name: "echo", result: "ok", isError: false },
    ]);
    await expect(
      client.generate("Go", {
        tools: { echo },
        maxSteps: 2,
        onToolCall: () => ({ arguments: { city: 1 } }),
      }),
    ).rejects.toMatchObject({ reason: "invalid_tool_arguments" });
  });

  it("the call's signal reaches execute and stops the loop", async () => {
    const controller = new AbortController();
    let signalSeen: AbortSignal | undefined;
    const waits = tool({
      parameters: { type: "object" },
      execute: async (_args, { signal }) => {
        signalSeen = signal;
        controller.abort(new Error("user stopped"));
        return "late";
      },
    });
    const fake = createFakeProvider({
      replies: [{ toolCalls: [{ id: "s", name: "waits", arguments: {} }] }, { text: "never" }],
    });
    const client = new LLMClient({ provider: fake, retry: false });
    await expect(
      client.generate("Go", { tools: { waits }, maxSteps: 3, signal: controller.signal }),
    ).rejects.toThrow("user stopped");
    expect(signalSeen).toBe(controller.signal);
    expect(fake.calls).toHaveLength(1);
  });

  it("retries re-run the failed model call, never the tools of a completed step", async () => {
    let runs = 0;
    const count = tool({ parameters: { type: "object" }, execute: () => ++runs });
    const fake = createFakeProvider({
      replies: [
        { toolCalls: [{ id: "r", name: "count", arguments: {} }] },
        { error: new ServiceUnavailableError("overloaded", { provider: "fake" }) },
        { text: "ok" },
      ],
    });
    const client = new LLMClient({
      provider: fake,
      retry: { maxRetries: 2, baseDelayMs: 1, jitter: 0 },
    });
    const r = await client.generate("Go", { tools: { count }, maxSteps: 3 });
    expect(r.content).toBe("ok");
    expect(runs).toBe(1);
    expect(fake.calls).toHaveLength(3);
  });

  it("stops at maxSteps and at stopWhen; calls of tools without execute end the loop", async () => {
    const ping = tool({ parameters: { type: "object" }, execute: () => "pong" });
    const ask = { parameters: { type: "object" } } as const;
    const again = { toolCalls: [{ name: "ping", arguments: {} }] };
    const fake = createFakeProvider({ defaultReply: again });
    const client = new LLMClient({ provider: fake, retry: false });
    const r = await client.generate("Go", { tools: { ping }, maxSteps: 3 });
    expect(r.steps).toHaveLength(3);
    expect(r.finishReason).toBe("tool_calls");
    const r2 = await client.generate("Go", {
      tools: { ping },
      stopWhen: (s) => s.stepNumber === 2,
    });
    expect(r2.steps).toHaveLength(2);
    fake.enqueue({ toolCalls: [{ id: "h", name: "ask_user", arguments: {} }] });
    const r3 = await client.generate("Go", { tools: { ping, ask_user: ask }, maxSteps: 5 });
    expect(r3.steps).toHaveLength(1);
    expect(r3.toolCalls?.[0]?.name).toBe("ask_user");
    await expect(client.generate("Go", { tools: { ping }, maxSteps: 0 })).rejects.toThrow(
      /maxSteps must be a positive integer/,
    );
    // A stream without tools checks the same options.
    const drain = async (options: object) => {
      for await (const _ of client.stream("Go", options as never));
    };
    await expect(drain({ maxSteps: 1.5 })).rejects.toThrow(/maxSteps must be a positive integer/);
    await expect(drain({ toolChoice: "required" })).rejects.toThrow(/toolChoice needs tools/);
  });

  it("streams a loop: fragments, results and step boundaries as chunks; one finishReason at the very end", async () => {
    const fake = createFakeProvider({
      replies: [
        {
          text: "Checking.",
          toolCalls: [{ id: "a", name: "get_weather", arguments: { city: "Lima" } }],
          usage: usage(5, 5),
        },
        { chunks: ["It is ", "warm."], usage: usage(20, 3) },
      ],
    });
    const events: RephyscoEvent[] = [];
    const client = new LLMClient({ provider: fake, retry: false, onEvent: (e) => events.push(e) });
    const chunks = [];
    for await (const c of client.stream("Weather in Lima?", {
      tools: { get_weather: weather },
      maxSteps: 4,
    }))
      chunks.push(c);
    const kinds = chunks.map((c) =>
      c.toolCallDelta
        ? "delta"
        : c.toolResult
          ? "result"
          : c.step
            ? "step"
            : c.finishReason
              ? "finish"
              : `text:${c.content}`,
    );
    expect(kinds).toEqual([
      "text:Checking.",
      "delta",
      "delta",
      "result",
      "step",
      "text:It is ",
      "text:warm.",
      "finish",
    ]);
    expect(chunks.filter((c) => c.finishReason)).toHaveLength(1);
    expect(chunks.find((c) => c.toolResult)?.toolResult).toEqual({
      toolCallId: "a",
      name: "get_weather",
      result: { city: "Lima", tempC: 4 },
      isError: false,
    });
    expect(chunks.at(-1)?.usage).toEqual(usage(25, 8));
    expect(
      events
        .filter((e) => e.type === "tool_call" || e.type === "tool_result" || e.type === "step")
        .map((e) => e.type),
    ).toEqual(["tool_call", "step", "tool_result", "step"]);
  });

  it("caches each model call of a loop on its own; tools still run on a replay", async () => {
    let runs = 0;
    const count = tool({
      parameters: { type: "object" },
      execute: () => {
        runs++;
        return "counted";
      },
    });
    const fake = createFakeProvider({
      replies: [
        { toolCalls: [{ id: "r", name: "count", arguments: {} }] },
        { text: "counted" },
        {
          toolCalls: [
            { id: "r", name: "count", arguments: { x: 1 }, argumentChunks: ['{"x"', ":1}"] },
          ],
        },
        { text: "streamed" },
      ],
    });
    const client = new LLMClient({ provider: fake, retry: false, cache: memoryStore() });
    const first = await client.generate("Go", { tools: { count }, maxSteps: 3 });
    const second = await client.generate("Go", { tools: { count }, maxSteps: 3 });
    expect(fake.calls).toHaveLength(2);
    expect(runs).toBe(2);
    expect(second.steps?.map((s) => s.cached)).toEqual([true, true]);
    expect(second.content).toBe(first.content);
    expect(second.steps?.[0]?.toolCalls).toEqual(first.steps?.[0]?.toolCalls);
    // A stream replays tool-call parts from the cache of a streamed loop.
    const live: StreamChunk[] = [];
    for await (const c of client.stream("Go!", { tools: { count }, maxSteps: 3 })) live.push(c);
    const replayed: StreamChunk[] = [];
    for await (const c of client.stream("Go!", { tools: { count }, maxSteps: 3 })) replayed.push(c);
    expect(fake.calls).toHaveLength(4);
    expect(runs).toBe(4);
    // A replayed step spent nothing: cached, and its cost (when any) is 0 from the cache.
    const strip = (cs: typeof live) =>
      cs.map(({ cached: _c, cost: _k, step, ...rest }) => ({
        ...rest,
        step: step && { ...step, cached: false, cost: undefined },
      }));
    expect(replayed.every((c) => c.cached || c.toolResult || c.step)).toBe(true);
    expect(strip(replayed)).toEqual(strip(live));
    expect(live.filter((c) => c.toolCallDelta).map((c) => c.toolCallDelta?.argumentsDelta)).toEqual(
      ["", '{"x"', ":1}"],
    );
  });

  it("identical calls in flight share one model call per step; each caller runs its own tools", async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    let runs = 0;
    const count = tool({
      parameters: { type: "object" },
      execute: () => {
        runs++;
        return "ok";
      },
    });
    const fake = createFakeProvider({
      replies: [
        { gate, toolCalls: [{ id: "s1", name: "count", arguments: {} }] },
        { text: "shared" },
      ],
    });
    const client = new LLMClient({ provider: fake, retry: false, cache: memoryStore() });
    const a = client.generate("Go", { tools: { count }, maxSteps: 3 });
    const b = client.generate("Go", { tools: { count }, maxSteps: 3 });
    await new Promise((r) => setTimeout(r, 5));
    release();
    const [ra, rb] = await Promise.all([a, b]);
    expect(ra.content).toBe("shared");
    expect(rb.content).toBe("shared");
    expect(fake.calls).toHaveLength(2);
    expect(runs).toBe(2);
    // Callers never share answer objects.
    expect(ra.steps?.[0]?.toolCalls).not.toBe(rb.steps?.[0]?.toolCalls);
  });

  it("chat() records tool turns, and takes tool results as the next turn", async () => {
    const ask = { parameters: { type: "object", properties: { q: { type: "string" } } } } as const;
    const fake = createFakeProvider({
      replies: [
        {
          toolCalls: [{ id: "t1", name: "ask_human", arguments: { q: "Which city?" } }],
          reasoning: "need a city",
        },
        { text: "Paris it is." },
      ],
    });
    const client = new LLMClient({ provider: fake, retry: false });
    const r = await client.chat("Plan my trip", { tools: { ask_human: ask } });
    expect(r.toolCalls?.[0]?.id).toBe("t1");
    await client.chat([{ role: "tool", toolCallId: "t1", content: "Paris" }], {
      tools: { ask_human: ask },
    });
    expect(client.history).toEqual([
      { role: "user", content: "Plan my trip" },
      {
        role: "assistant",
        content: "",
        reasoning: "need a city",
        toolCalls: [
          {
            id: "t1",
            name: "ask_human",
            arguments: { q: "Which city?" },
            rawArguments: '{"q":"Which city?"}',
          },
        ],
      },
      { role: "tool", toolCallId: "t1", content: "Paris" },
      { role: "assistant", content: "Paris it is." },
    ]);
  });
});
