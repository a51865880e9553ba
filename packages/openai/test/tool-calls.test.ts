import { InvalidRequestError, type Message, type StreamPart, type ToolSpec } from "@rephysco/core";
import { OpenAIProvider } from "@rephysco/openai";
import { createMockServer, type MockServer } from "@rephysco/testing";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { caught, drainParts, KEY } from "./helpers.js";

let server: MockServer;
let provider: OpenAIProvider;

beforeAll(async () => {
  server = await createMockServer();
  provider = new OpenAIProvider({ apiKey: KEY, baseURL: `${server.url}/v1` });
});
afterEach(() => server.reset());
afterAll(() => server.close());

const user = (content: string): Message[] => [{ role: "user", content }];
const body = (i = 0) => server.requests[i]!.body as Record<string, unknown>;
const WEATHER: ToolSpec = {
  name: "get_weather",
  description: "Current weather in a city",
  parameters: {
    type: "object",
    properties: { city: { type: "string" } },
    required: ["city"],
  },
};
const TIME: ToolSpec = { name: "get_time", parameters: { type: "object", properties: {} } };
const model = "gpt-4.1-mini";

/** The parts of a stream, the metadata ones left out. */
async function partsOf(messages: Message[], options: Parameters<OpenAIProvider["stream"]>[1]) {
  const { parts, error } = await drainParts(provider.stream(messages, options));
  expect(error).toBeUndefined();
  return parts.filter((p) => p.type !== "metadata");
}

describe("tools in the request", () => {
  it("declares each tool as a function, strict only when the tool sets it", async () => {
    const strictTool: ToolSpec = {
      name: "lookup",
      parameters: {
        type: "object",
        properties: { q: { type: "string" } },
        required: ["q"],
        additionalProperties: false,
      },
      strict: true,
    };
    await provider.generate(user("Weather?"), { model, tools: [WEATHER, strictTool] });
    expect(body().tools).toEqual([
      {
        type: "function",
        function: {
          name: "get_weather",
          description: "Current weather in a city",
          parameters: WEATHER.parameters,
        },
      },
      {
        type: "function",
        function: { name: "lookup", parameters: strictTool.parameters, strict: true },
      },
    ]);
    expect(body()).not.toHaveProperty("tool_choice");
  });

  it.each([
    ["auto", "auto"],
    ["none", "none"],
    ["required", "required"],
    [{ name: "get_time" }, { type: "function", function: { name: "get_time" } }],
  ] as const)("maps toolChoice %j to %j", async (toolChoice, wire) => {
    await provider.generate(user("Now?"), { model, tools: [WEATHER, TIME], toolChoice });
    expect(body().tool_choice).toEqual(wire);
  });

  it("sends neither tools nor tool_choice when the call has no tools", async () => {
    await provider.generate(user("Hi"), { model, tools: [], toolChoice: "auto" });
    expect(body()).not.toHaveProperty("tools");
    expect(body()).not.toHaveProperty("tool_choice");
  });

  it("providerOptions still win over the mapped fields", async () => {
    await provider.generate(user("Hi"), {
      model,
      tools: [WEATHER],
      toolChoice: "auto",
      providerOptions: { tool_choice: "none", parallel_tool_calls: false },
    });
    expect(body()).toMatchObject({ tool_choice: "none", parallel_tool_calls: false });
  });
});

describe("tool calls in a whole answer", () => {
  it("returns parallel calls with ids, parsed and raw arguments, content empty, finish tool_calls", async () => {
    server.enqueue({
      toolCalls: [
        { id: "call_a", name: "get_weather", arguments: '{"city":"Paris"}' },
        { id: "call_b", name: "get_time", arguments: "{}" },
      ],
      usage: { promptTokens: 20, completionTokens: 9 },
    });
    const res = await provider.generate(user("Weather and time?"), {
      model,
      tools: [WEATHER, TIME],
    });
    expect(res.content).toBe("");
    expect(res.finishReason).toBe("tool_calls");
    expect(res.toolCalls).toEqual([
      {
        id: "call_a",
        name: "get_weather",
        arguments: { city: "Paris" },
        rawArguments: '{"city":"Paris"}',
      },
      { id: "call_b", name: "get_time", arguments: {}, rawArguments: "{}" },
    ]);
    expect(res.usage).toMatchObject({ promptTokens: 20, completionTokens: 9 });
    expect(res).not.toHaveProperty("refusal");
  });

  it("keeps text next to the calls", async () => {
    server.enqueue({
      text: "Let me check.",
      toolCalls: [{ id: "c1", name: "get_time", arguments: {} }],
    });
    const res = await provider.generate(user("Time?"), { model, tools: [TIME] });
    expect(res.content).toBe("Let me check.");
    expect(res.toolCalls?.map((c) => c.id)).toEqual(["c1"]);
  });

  it("keeps arguments that are not JSON raw instead of throwing", async () => {
    server.enqueue({ toolCalls: [{ id: "c1", name: "get_weather", arguments: '{"city": "Par' }] });
    const res = await provider.generate(user("Weather?"), { model, tools: [WEATHER] });
    expect(res.toolCalls).toEqual([
      { id: "c1", name: "get_weather", arguments: '{"city": "Par', rawArguments: '{"city": "Par' },
    ]);
    expect(res.finishReason).toBe("tool_calls");
  });

  it("omits toolCalls on an answer without any", async () => {
    server.enqueue({ text: "Sunny." });
    const res = await provider.generate(user("Weather?"), { model, tools: [WEATHER] });
    expect(res).not.toHaveProperty("toolCalls");
    expect(res.finishReason).toBe("stop");
  });

  it("reads the legacy function_call form (finish function_call) as one call with a made id", async () => {
    server.enqueue({
      raw: {
        status: 200,
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          id: "chatcmpl-legacy",
          model: "gpt-3.5-turbo-0613",
          choices: [
            {
              index: 0,
              message: {
                role: "assistant",
                content: null,
                function_call: { name: "get_weather", arguments: '{"city":"Oslo"}' },
              },
              finish_reason: "function_call",
            },
          ],
        }),
      },
    });
    const res = await provider.generate(user("Weather?"), { model, tools: [WEATHER] });
    expect(res.toolCalls).toEqual([
      {
        id: "call_0",
        name: "get_weather",
        arguments: { city: "Oslo" },
        rawArguments: '{"city":"Oslo"}',
      },
    ]);
    expect(res.finishReason).toBe("tool_calls");
    expect(res.content).toBe("");
  });

  it("reports tool_calls when a compatible server calls tools but says stop", async () => {
    server.enqueue({
      finishReason: "stop",
      toolCalls: [{ id: "c1", name: "get_time", arguments: {} }],
    });
    const res = await provider.generate(user("Time?"), { model, tools: [TIME] });
    expect(res.finishReason).toBe("tool_calls");
  });

  it("keeps length when the token limit cut the call", async () => {
    server.enqueue({
      finishReason: "length",
      toolCalls: [{ id: "c1", name: "f", arguments: '{"a":' }],
    });
    const res = await provider.generate(user("Go"), { model, tools: [TIME] });
    expect(res.finishReason).toBe("length");
    expect(res.toolCalls?.[0]?.rawArguments).toBe('{"a":');
  });
});

describe("refusals", () => {
  it("a JSON answer's refusal is the refusal, not the content, with finish refusal", async () => {
    server.enqueue({ refusal: "I'm sorry, I can't help with that." });
    const res = await provider.generate(user("Do something bad"), { model });
    expect(res).toMatchObject({
      content: "",
      refusal: "I'm sorry, I can't help with that.",
      finishReason: "refusal",
    });
  });

  it("a streamed refusal yields refusal parts and finishes with refusal", async () => {
    server.enqueue({ refusalChunks: ["I'm sorry,", " no."] });
    const parts = await partsOf(user("Do something bad"), { model });
    expect(parts).toEqual([
      { type: "refusal", text: "I'm sorry," },
      { type: "refusal", text: " no." },
      expect.objectContaining({ type: "finish", reason: "refusal" }),
    ]);
  });
});

describe("streamed tool calls", () => {
  it("parallel calls: start with id and name, one delta per fragment, ends at the finish, finish tool_calls", async () => {
    server.enqueue({
      toolCalls: [
        {
          id: "call_a",
          name: "get_weather",
          arguments: "",
          argumentChunks: ['{"ci', 'ty":"Paris"}'],
        },
        { id: "call_b", name: "get_time", arguments: "", argumentChunks: ["{", "}"] },
      ],
      usage: { promptTokens: 5, completionTokens: 7 },
    });
    const parts = await partsOf(user("Weather and time?"), { model, tools: [WEATHER, TIME] });
    expect(parts).toEqual([
      { type: "tool-call-start", index: 0, id: "call_a", name: "get_weather" },
      { type: "tool-call-delta", index: 0, argumentsDelta: '{"ci' },
      { type: "tool-call-delta", index: 0, argumentsDelta: 'ty":"Paris"}' },
      { type: "tool-call-start", index: 1, id: "call_b", name: "get_time" },
      { type: "tool-call-delta", index: 1, argumentsDelta: "{" },
      { type: "tool-call-delta", index: 1, argumentsDelta: "}" },
      { type: "tool-call-end", index: 0 },
      { type: "tool-call-end", index: 1 },
      {
        type: "finish",
        reason: "tool_calls",
        usage: {
          promptTokens: 5,
          completionTokens: 7,
          totalTokens: 12,
          cachedPromptTokens: 0,
          reasoningTokens: 0,
          raw: expect.objectContaining({ prompt_tokens: 5, completion_tokens: 7 }),
        },
        model,
      },
    ]);
    expect(body().stream_options).toEqual({ include_usage: true });
  });

  it("text before the calls comes first; calls end at the finish reason", async () => {
    server.enqueue({
      chunks: ["Checking", "."],
      toolCalls: [
        { id: "c1", name: "get_time", arguments: "", argumentChunks: ["{}"] },
        { id: "c2", name: "get_weather", arguments: "", argumentChunks: ['{"city":"Oslo"}'] },
      ],
    });
    const parts = await partsOf(user("Time?"), { model, tools: [TIME, WEATHER] });
    expect(parts.map((p) => `${p.type}${"index" in p ? p.index : ""}`)).toEqual([
      "text",
      "text",
      "tool-call-start0",
      "tool-call-delta0",
      "tool-call-start1",
      "tool-call-delta1",
      "tool-call-end0",
      "tool-call-end1",
      "finish",
    ]);
  });

  it("broken argument text streams as it came and does not end the stream", async () => {
    server.enqueue({
      toolCalls: [{ id: "c1", name: "f", arguments: "", argumentChunks: ['{"a":', "oops"] }],
    });
    const parts = await partsOf(user("Go"), { model, tools: [TIME] });
    const deltas = parts.flatMap((p) => (p.type === "tool-call-delta" ? [p.argumentsDelta] : []));
    expect(deltas.join("")).toBe('{"a":oops');
    expect(parts.at(-1)).toMatchObject({ type: "finish", reason: "tool_calls" });
  });

  const frame = (delta: unknown, finish: string | null = null) =>
    `data: ${JSON.stringify({ id: "x", model, choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;

  it("reads fragments without index, a name that comes late, and the legacy function_call delta", async () => {
    server.enqueue([
      {
        raw: {
          status: 200,
          headers: { "content-type": "text/event-stream" },
          body: [
            frame({
              role: "assistant",
              tool_calls: [{ id: "c1", function: { arguments: '{"a"' } }],
            }),
            frame({ tool_calls: [{ function: { name: "f", arguments: ":1}" } }] }),
            frame({ tool_calls: [{ id: "c2", function: { name: "g", arguments: "{}" } }] }),
            frame({}, "tool_calls"),
            "data: [DONE]\n\n",
          ],
        },
      },
      {
        raw: {
          status: 200,
          headers: { "content-type": "text/event-stream" },
          body: [
            frame({ role: "assistant", function_call: { name: "get_weather", arguments: "" } }),
            frame({ function_call: { arguments: '{"city":"Rome"}' } }),
            frame({}, "function_call"),
            "data: [DONE]\n\n",
          ],
        },
      },
    ]);
    const parts = await partsOf(user("Go"), { model, tools: [TIME] });
    expect(parts).toEqual([
      { type: "tool-call-start", index: 0, id: "c1", name: "f" },
      { type: "tool-call-delta", index: 0, argumentsDelta: '{"a"' },
      { type: "tool-call-delta", index: 0, argumentsDelta: ":1}" },
      { type: "tool-call-start", index: 1, id: "c2", name: "g" },
      { type: "tool-call-delta", index: 1, argumentsDelta: "{}" },
      { type: "tool-call-end", index: 0 },
      { type: "tool-call-end", index: 1 },
      { type: "finish", reason: "tool_calls", model },
    ]);
    const legacy = await partsOf(user("Go"), { model, tools: [WEATHER] });
    expect(legacy).toEqual([
      { type: "tool-call-start", index: 0, id: "call_0", name: "get_weather" },
      { type: "tool-call-delta", index: 0, argumentsDelta: '{"city":"Rome"}' },
      { type: "tool-call-end", index: 0 },
      { type: "finish", reason: "tool_calls", model },
    ]);
  });

  it("parallel calls sent under one index (a new id each) stay apart; text after a whole object stays with its call", async () => {
    server.enqueue({
      raw: {
        status: 200,
        headers: { "content-type": "text/event-stream" },
        body: [
          frame({
            role: "assistant",
            tool_calls: [
              { index: 0, id: "a", type: "function", function: { name: "f", arguments: '{"x":' } },
            ],
          }),
          frame({ tool_calls: [{ index: 0, function: { arguments: "1}" } }] }),
          frame({
            tool_calls: [
              {
                index: 0,
                id: "b",
                type: "function",
                function: { name: "g", arguments: '{"y":2}' },
              },
            ],
          }),
          frame({ tool_calls: [{ index: 0, function: { arguments: "\n" } }] }),
          frame({}, "tool_calls"),
          "data: [DONE]\n\n",
        ],
      },
    });
    const parts = await partsOf(user("Go"), { model, tools: [TIME] });
    expect(parts).toEqual([
      { type: "tool-call-start", index: 0, id: "a", name: "f" },
      { type: "tool-call-delta", index: 0, argumentsDelta: '{"x":' },
      { type: "tool-call-delta", index: 0, argumentsDelta: "1}" },
      { type: "tool-call-start", index: 1, id: "b", name: "g" },
      { type: "tool-call-delta", index: 1, argumentsDelta: '{"y":2}' },
      { type: "tool-call-delta", index: 1, argumentsDelta: "\n" },
      { type: "tool-call-end", index: 0 },
      { type: "tool-call-end", index: 1 },
      { type: "finish", reason: "tool_calls", model },
    ]);
  });

  it("a tool-call stream cut before [DONE] is still incomplete", async () => {
    server.enqueue({ toolCalls: [{ name: "f", arguments: {} }], omitDone: true });
    const { parts, error } = await drainParts(
      provider.stream(user("Go"), { model, tools: [TIME] }),
    );
    expect(error).toMatchObject({ reason: "incomplete_stream" });
    expect(parts.some((p: StreamPart) => p.type === "tool-call-start")).toBe(true);
  });
});

describe("tool history", () => {
  const history: Message[] = [
    { role: "system", content: "Be brief." },
    { role: "user", content: "Weather in Paris and Rome?" },
    {
      role: "assistant",
      content: "",
      reasoning: "The user wants two cities.",
      toolCalls: [
        {
          id: "call_a",
          name: "get_weather",
          arguments: { city: "Paris" },
          rawArguments: '{"city":"Paris"}',
        },
        // Broken text from the model: replayed as valid JSON (the parsed value when there is one).
        {
          id: "call_b",
          name: "get_weather",
          arguments: { city: "Rome" },
          rawArguments: '{"city": "Rome"',
        },
        { id: "call_c", name: "get_time", arguments: "not json", rawArguments: "not json" },
      ],
    },
    { role: "tool", toolCallId: "call_a", content: '{"tempC":18}' },
    { role: "tool", toolCallId: "call_b", content: "Weather service unavailable", isError: true },
    { role: "tool", toolCallId: "call_c", content: "12:00" },
    { role: "assistant", content: "Paris is 18°C.", reasoning: "Done." },
    { role: "user", content: "Thanks" },
  ];

  it("sends assistant tool_calls (content null, valid JSON arguments) and one tool message per result; no reasoning_content", async () => {
    await provider.generate(history, { model, tools: [WEATHER, TIME] });
    expect(body().messages).toEqual([
      { role: "system", content: "Be brief." },
      { role: "user", content: "Weather in Paris and Rome?" },
      {
        role: "assistant",
        content: null,
        tool_calls: [
          {
            id: "call_a",
            type: "function",
            function: { name: "get_weather", arguments: '{"city":"Paris"}' },
          },
          {
            id: "call_b",
            type: "function",
            function: { name: "get_weather", arguments: '{"city":"Rome"}' },
          },
          { id: "call_c", type: "function", function: { name: "get_time", arguments: "{}" } },
        ],
      },
      { role: "tool", tool_call_id: "call_a", content: '{"tempC":18}' },
      { role: "tool", tool_call_id: "call_b", content: "Weather service unavailable" },
      { role: "tool", tool_call_id: "call_c", content: "12:00" },
      { role: "assistant", content: "Paris is 18°C." },
      { role: "user", content: "Thanks" },
    ]);
  });

  it("a history round-trips from an answer through JSON into the next request", async () => {
    server.enqueue({
      text: "One moment.",
      toolCalls: [{ id: "call_x", name: "get_weather", arguments: { city: "Oslo" } }],
    });
    const first = await provider.generate(user("Weather in Oslo?"), { model, tools: [WEATHER] });
    const turn: Message = JSON.parse(
      JSON.stringify({ role: "assistant", content: first.content, toolCalls: first.toolCalls }),
    );
    await provider.generate(
      [...user("Weather in Oslo?"), turn, { role: "tool", toolCallId: "call_x", content: "-2°C" }],
      { model, tools: [WEATHER] },
    );
    expect((body(1).messages as unknown[]).slice(1)).toEqual([
      {
        role: "assistant",
        content: "One moment.",
        tool_calls: [
          {
            id: "call_x",
            type: "function",
            function: { name: "get_weather", arguments: '{"city":"Oslo"}' },
          },
        ],
      },
      { role: "tool", tool_call_id: "call_x", content: "-2°C" },
    ]);
  });
});

describe("validateCall", () => {
  const check = (messages: Message[], options: Parameters<OpenAIProvider["validateCall"]>[1]) => {
    try {
      provider.validateCall(messages, options);
    } catch (error) {
      return error as InvalidRequestError;
    }
    throw new Error("validateCall accepted the call");
  };

  it("declares tools and structured output", () => {
    expect(provider.capabilities).toMatchObject({ tools: true, structuredOutput: true });
  });

  it("accepts a valid call", () => {
    expect(() =>
      provider.validateCall(user("Hi"), {
        model,
        tools: [WEATHER],
        toolChoice: { name: "get_weather" },
        responseFormat: { type: "json" },
      }),
    ).not.toThrow();
  });

  it("rejects a tool name outside OpenAI's rule, naming the rule and the provider", () => {
    const error = check(user("Hi"), { model, tools: [{ ...WEATHER, name: "get weather!" }] });
    expect(error).toBeInstanceOf(InvalidRequestError);
    expect(error).toMatchObject({ provider: "openai", reason: "invalid_tool" });
    expect(error.message).toContain('"get weather!"');
    expect(error.message).toContain("1 to 64 characters of a-z, A-Z, 0-9, _ and -");
    expect(error.message).toContain("openai");
  });

  it("rejects a strict tool whose schema strict mode would refuse", () => {
    const error = check(user("Hi"), { model, tools: [{ ...WEATHER, strict: true }] });
    expect(error).toMatchObject({ reason: "invalid_tool" });
    expect(error.message).toContain("additionalProperties: false");
  });

  it("rejects a forced tool that is not among the tools, and required without tools", () => {
    expect(
      check(user("Hi"), { model, tools: [WEATHER], toolChoice: { name: "nope" } }),
    ).toMatchObject({
      reason: "invalid_tool",
    });
    expect(check(user("Hi"), { model, toolChoice: "required" })).toMatchObject({
      reason: "invalid_tool",
    });
  });

  it("rejects a tool message that answers no earlier call", () => {
    const error = check(
      [
        ...user("Hi"),
        {
          role: "assistant",
          content: "",
          toolCalls: [{ id: "c1", name: "f", arguments: {}, rawArguments: "{}" }],
        },
        { role: "tool", toolCallId: "c1", content: "ok" },
        { role: "tool", toolCallId: "c9", content: "?" },
      ],
      { model },
    );
    expect(error).toMatchObject({ reason: "invalid_input" });
    expect(error.message).toContain('"c9"');
  });

  it("rejects a tool message without toolCallId, and generate refuses it too", async () => {
    const messages: Message[] = [...user("Hi"), { role: "tool", content: "42" }];
    expect(check(messages, { model })).toMatchObject({ reason: "invalid_input" });
    const error = await caught(() => provider.generate(messages, { model }));
    expect(error).toBeInstanceOf(InvalidRequestError);
    expect(server.requests).toHaveLength(0);
  });
});
