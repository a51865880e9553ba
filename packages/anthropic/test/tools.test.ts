import { type AnthropicProvider, createAnthropic } from "@rephysco/anthropic";
import {
  InvalidRequestError,
  type Message,
  type ProviderCallOptions,
  type ToolSpec,
} from "@rephysco/core";
import { createMockServer, type MockServer } from "@rephysco/testing";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { hasNativeStructuredOutput } from "../src/anthropic-models.js";
import { fitsNativeOutputFormat } from "../src/fits-native-output-format.js";

const KEY = "sk-ant-api03-unit-test-key-000000";
const MODEL = "claude-haiku-4-5";
/** A model without native structured outputs: structured output goes through the answer tool. */
const OLD_MODEL = "claude-opus-4-1";
/** The signature the mock server signs thinking blocks with. */
const MOCK_SIGNATURE = "bW9jay10aGlua2luZy1zaWduYXR1cmU=";

let server: MockServer;
let claude: AnthropicProvider;

beforeAll(async () => {
  server = await createMockServer();
  claude = createAnthropic({ apiKey: KEY, baseURL: `${server.url}/v1` });
});
afterAll(async () => {
  await server.close();
});
beforeEach(() => server.reset());

const ask: Message[] = [{ role: "user", content: "Weather in Paris and Rome?" }];
const weather: ToolSpec = {
  name: "get_weather",
  description: "Current weather of a city",
  parameters: {
    type: "object",
    properties: { city: { type: "string" } },
    required: ["city"],
  },
};
const time: ToolSpec = { name: "get_time", parameters: { type: "object", properties: {} } };

async function collect<T>(iterable: AsyncIterable<T>, into: T[] = []): Promise<T[]> {
  for await (const c of iterable) into.push(c);
  return into;
}

function thrown(run: () => unknown): InvalidRequestError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidRequestError);
    return error as InvalidRequestError;
  }
  throw new Error("expected an InvalidRequestError");
}

const body = (i = 0) => server.requests[i]!.body as Record<string, unknown>;

describe("tool declarations and tool choice", () => {
  it("sends tools as { name, description, input_schema } and no tool_choice when none is given", async () => {
    await claude.generate(ask, { model: MODEL, tools: [weather, time] });
    expect(body().tools).toEqual([
      {
        name: "get_weather",
        description: "Current weather of a city",
        input_schema: weather.parameters,
      },
      { name: "get_time", input_schema: { type: "object", properties: {} } },
    ]);
    expect(body()).not.toHaveProperty("tool_choice");
  });

  it.each([
    ["auto", { type: "auto" }],
    ["required", { type: "any" }],
    ["none", { type: "none" }],
    [{ name: "get_time" }, { type: "tool", name: "get_time" }],
  ] as const)("maps toolChoice %j to %j", async (toolChoice, wire) => {
    await claude.generate(ask, { model: MODEL, tools: [weather, time], toolChoice });
    expect(body().tool_choice).toEqual(wire);
  });

  it("sends strict only to models with structured outputs", async () => {
    const strict = { ...weather, strict: true };
    await claude.generate(ask, { model: MODEL, tools: [strict] });
    await claude.generate(ask, { model: OLD_MODEL, tools: [strict] });
    expect((body(0).tools as object[])[0]).toMatchObject({ strict: true });
    expect((body(1).tools as object[])[0]).not.toHaveProperty("strict");
  });
});

describe("tool calls in answers", () => {
  it("generate: parallel tool_use blocks become toolCalls after the text, finish tool_calls", async () => {
    server.enqueue({
      text: "Checking both.",
      toolCalls: [
        { id: "toolu_01", name: "get_weather", arguments: { city: "Paris" } },
        { id: "toolu_02", name: "get_weather", arguments: { city: "Rome" } },
        { id: "toolu_03", name: "get_time", arguments: {} },
      ],
    });
    const r = await claude.generate(ask, { model: MODEL, tools: [weather, time] });
    expect(r.content).toBe("Checking both.");
    expect(r.finishReason).toBe("tool_calls");
    expect(r.toolCalls).toEqual([
      {
        id: "toolu_01",
        name: "get_weather",
        arguments: { city: "Paris" },
        rawArguments: '{"city":"Paris"}',
      },
      {
        id: "toolu_02",
        name: "get_weather",
        arguments: { city: "Rome" },
        rawArguments: '{"city":"Rome"}',
      },
      { id: "toolu_03", name: "get_time", arguments: {}, rawArguments: "{}" },
    ]);
    expect(r.providerMetadata).toBeUndefined();
  });

  it("generate: an answer without tool calls has no toolCalls field", async () => {
    server.enqueue({ text: "Sunny." });
    const r = await claude.generate(ask, { model: MODEL, tools: [weather] });
    expect(r).not.toHaveProperty("toolCalls");
    expect(r.finishReason).toBe("stop");
  });

  it("stream: text, then each call as start / fragments / end indexed among tool calls only; pings and empty fragments skipped", async () => {
    server.enqueue({
      chunks: ["Checking", " both."],
      toolCalls: [
        // The mock sends the recorded empty first fragment, then the input.
        { id: "toolu_01", name: "get_weather", arguments: { city: "Paris" } },
        {
          id: "toolu_02",
          name: "get_weather",
          arguments: { city: "Rome" },
          argumentChunks: ["", '{"city"', ': "Rome"}'],
        },
        // No arguments: `input: {}` and one empty fragment, as recorded.
        { id: "toolu_03", name: "get_time", arguments: {} },
      ],
      usage: { promptTokens: 20, completionTokens: 40 },
    });
    const parts = await collect(claude.stream(ask, { model: MODEL, tools: [weather, time] }));
    expect(parts).toEqual([
      { type: "metadata", model: MODEL },
      { type: "text", text: "Checking" },
      { type: "text", text: " both." },
      { type: "tool-call-start", index: 0, id: "toolu_01", name: "get_weather" },
      { type: "tool-call-delta", index: 0, argumentsDelta: '{"city":"Paris"}' },
      { type: "tool-call-end", index: 0 },
      { type: "tool-call-start", index: 1, id: "toolu_02", name: "get_weather" },
      { type: "tool-call-delta", index: 1, argumentsDelta: '{"city"' },
      { type: "tool-call-delta", index: 1, argumentsDelta: ': "Rome"}' },
      { type: "tool-call-end", index: 1 },
      { type: "tool-call-start", index: 2, id: "toolu_03", name: "get_time" },
      { type: "tool-call-delta", index: 2, argumentsDelta: "{}" },
      { type: "tool-call-end", index: 2 },
      {
        type: "finish",
        reason: "tool_calls",
        usage: {
          promptTokens: 20,
          completionTokens: 40,
          totalTokens: 60,
          cachedPromptTokens: 0,
          cacheWriteTokens: 0,
          raw: expect.objectContaining({ input_tokens: 20, output_tokens: 40 }),
        },
        model: MODEL,
      },
    ]);
  });

  it("stream: a call with no fragments at all gets its start input as the arguments", async () => {
    server.enqueue({
      toolCalls: [{ id: "toolu_9", name: "get_time", arguments: {}, argumentChunks: [] }],
    });
    const parts = await collect(claude.stream(ask, { model: MODEL, tools: [time] }));
    expect(parts.filter((p) => p.type.startsWith("tool-call"))).toEqual([
      { type: "tool-call-start", index: 0, id: "toolu_9", name: "get_time" },
      { type: "tool-call-delta", index: 0, argumentsDelta: "{}" },
      { type: "tool-call-end", index: 0 },
    ]);
  });

  it("stream: redacted_thinking kept in the metadata, and a call whose input came whole in content_block_start", async () => {
    // A hand-built stream in the documented event shapes: redacted thinking, then a signed
    // thinking block, then a tool_use whose start already carries the input (no fragments).
    const frame = (data: Record<string, unknown>) =>
      `event: ${data.type as string}\ndata: ${JSON.stringify(data)}\n\n`;
    server.enqueue({
      raw: {
        status: 200,
        headers: { "content-type": "text/event-stream" },
        body: [
          frame({
            type: "message_start",
            message: {
              id: "msg_1",
              model: MODEL,
              content: [],
              usage: { input_tokens: 5, output_tokens: 1 },
            },
          }),
          frame({
            type: "content_block_start",
            index: 0,
            content_block: { type: "redacted_thinking", data: "EmwKAhgB" },
          }),
          frame({ type: "content_block_stop", index: 0 }),
          frame({
            type: "content_block_start",
            index: 1,
            content_block: { type: "thinking", thinking: "", signature: "" },
          }),
          frame({
            type: "content_block_delta",
            index: 1,
            delta: { type: "thinking_delta", thinking: "Hm." },
          }),
          frame({
            type: "content_block_delta",
            index: 1,
            delta: { type: "signature_delta", signature: "sig-9" },
          }),
          frame({ type: "content_block_stop", index: 1 }),
          frame({ type: "ping" }),
          frame({
            type: "content_block_start",
            index: 2,
            content_block: {
              type: "tool_use",
              id: "toolu_x",
              name: "get_weather",
              input: { city: "Oslo" },
            },
          }),
          frame({ type: "content_block_stop", index: 2 }),
          frame({
            type: "message_delta",
            delta: { stop_reason: "tool_use" },
            usage: { output_tokens: 9 },
          }),
          frame({ type: "message_stop" }),
        ],
      },
    });
    const parts = await collect(claude.stream(ask, { model: MODEL, tools: [weather] }));
    expect(parts.slice(1)).toEqual([
      { type: "reasoning", text: "Hm." },
      { type: "tool-call-start", index: 0, id: "toolu_x", name: "get_weather" },
      { type: "tool-call-delta", index: 0, argumentsDelta: '{"city":"Oslo"}' },
      { type: "tool-call-end", index: 0 },
      {
        type: "metadata",
        providerMetadata: {
          anthropic: {
            thinking: [
              { type: "redacted_thinking", data: "EmwKAhgB" },
              { type: "thinking", thinking: "Hm.", signature: "sig-9" },
            ],
          },
        },
      },
      {
        type: "finish",
        reason: "tool_calls",
        usage: {
          promptTokens: 5,
          completionTokens: 9,
          totalTokens: 14,
          raw: { input_tokens: 5, output_tokens: 9 },
        },
        model: MODEL,
      },
    ]);
  });

  it("stream: after a thinking block the first tool call is still index 0 (content blocks are not counted)", async () => {
    server.enqueue({
      reasoningChunks: ["Need the weather."],
      toolCalls: [{ id: "toolu_1", name: "get_weather", arguments: { city: "Oslo" } }],
    });
    const parts = await collect(claude.stream(ask, { model: MODEL, tools: [weather] }));
    const start = parts.find((p) => p.type === "tool-call-start");
    expect(start).toEqual({
      type: "tool-call-start",
      index: 0,
      id: "toolu_1",
      name: "get_weather",
    });
  });
});

describe("history conversion", () => {
  const history: Message[] = [
    { role: "system", content: "Be brief." },
    ...ask,
    {
      role: "assistant",
      content: "Checking both.",
      toolCalls: [
        {
          id: "toolu_01",
          name: "get_weather",
          arguments: { city: "Paris" },
          rawArguments: '{"city":"Paris"}',
        },
        // Broken raw text: the parsed arguments are sent.
        { id: "toolu_02", name: "get_weather", arguments: { city: "Rome" }, rawArguments: "{oops" },
        // Only raw text: it is parsed.
        { id: "toolu_03", name: "get_time", arguments: undefined, rawArguments: "" },
      ],
    },
    { role: "tool", toolCallId: "toolu_01", content: '{"tempC":18}' },
    { role: "tool", toolCallId: "toolu_02", content: "Rome is unknown", isError: true },
    { role: "tool", toolCallId: "toolu_03", content: "" },
    { role: "user", content: "And tomorrow?" },
  ];

  it("sends tool_use blocks after the text, and every result of the turn in one user message with the next user text after them", async () => {
    await claude.generate(history, { model: MODEL, tools: [weather, time] });
    expect(body().system).toBe("Be brief.");
    expect(body().messages).toEqual([
      { role: "user", content: "Weather in Paris and Rome?" },
      {
        role: "assistant",
        content: [
          { type: "text", text: "Checking both." },
          { type: "tool_use", id: "toolu_01", name: "get_weather", input: { city: "Paris" } },
          { type: "tool_use", id: "toolu_02", name: "get_weather", input: { city: "Rome" } },
          { type: "tool_use", id: "toolu_03", name: "get_time", input: {} },
        ],
      },
      {
        role: "user",
        content: [
          { type: "tool_result", tool_use_id: "toolu_01", content: '{"tempC":18}' },
          {
            type: "tool_result",
            tool_use_id: "toolu_02",
            content: "Rome is unknown",
            is_error: true,
          },
          { type: "tool_result", tool_use_id: "toolu_03" },
          { type: "text", text: "And tomorrow?" },
        ],
      },
    ]);
  });

  it("an assistant turn with only tool calls has no text block", async () => {
    await claude.generate(
      [
        ...ask,
        {
          role: "assistant",
          content: "",
          toolCalls: [{ id: "t1", name: "get_time", arguments: {}, rawArguments: "{}" }],
        },
        { role: "tool", toolCallId: "t1", content: "12:00" },
      ],
      { model: MODEL, tools: [time] },
    );
    expect((body().messages as unknown[]).slice(1)).toEqual([
      { role: "assistant", content: [{ type: "tool_use", id: "t1", name: "get_time", input: {} }] },
      { role: "user", content: [{ type: "tool_result", tool_use_id: "t1", content: "12:00" }] },
    ]);
  });

  it("keeps signed thinking in providerMetadata.anthropic and sends it back first in the tool-use turn (generate)", async () => {
    const thinking = { type: "enabled", budget_tokens: 1024 };
    server.enqueue({
      reasoning: "Paris first.",
      text: "Checking.",
      toolCalls: [{ id: "toolu_1", name: "get_weather", arguments: { city: "Paris" } }],
    });
    const r = await claude.generate(ask, {
      model: MODEL,
      tools: [weather],
      providerOptions: { thinking },
    });
    expect(r.reasoning).toBe("Paris first.");
    expect(r.providerMetadata).toEqual({
      anthropic: {
        thinking: [{ type: "thinking", thinking: "Paris first.", signature: MOCK_SIGNATURE }],
      },
    });
    // The history goes through JSON, as an application would store it.
    const turn = JSON.parse(
      JSON.stringify({
        role: "assistant",
        content: r.content,
        reasoning: r.reasoning,
        toolCalls: r.toolCalls,
        providerMetadata: r.providerMetadata,
      }),
    ) as Message;
    await claude.generate([...ask, turn, { role: "tool", toolCallId: "toolu_1", content: "18C" }], {
      model: MODEL,
      tools: [weather],
      providerOptions: { thinking },
    });
    expect((body(1).messages as { content: unknown }[])[1]!.content).toEqual([
      { type: "thinking", thinking: "Paris first.", signature: MOCK_SIGNATURE },
      { type: "text", text: "Checking." },
      { type: "tool_use", id: "toolu_1", name: "get_weather", input: { city: "Paris" } },
    ]);
  });

  it("streams the signed thinking blocks as one metadata part before the finish", async () => {
    server.enqueue({
      reasoningChunks: ["Paris", " first."],
      toolCalls: [{ id: "toolu_1", name: "get_weather", arguments: { city: "Paris" } }],
    });
    const parts = await collect(claude.stream(ask, { model: MODEL, tools: [weather] }));
    const metadata = parts.filter((p) => p.type === "metadata" && p.providerMetadata);
    expect(metadata).toEqual([
      {
        type: "metadata",
        providerMetadata: {
          anthropic: {
            thinking: [{ type: "thinking", thinking: "Paris first.", signature: MOCK_SIGNATURE }],
          },
        },
      },
    ]);
    expect(parts.at(-2)).toBe(metadata[0]);
  });

  it("keeps redacted_thinking blocks, in order with the signed ones", async () => {
    server.enqueue({
      extra: {
        content: [
          { type: "redacted_thinking", data: "EmwKAhgBEgy3va3pzix" },
          { type: "thinking", thinking: "Then Paris.", signature: "sig-2" },
          { type: "tool_use", id: "toolu_1", name: "get_weather", input: { city: "Paris" } },
        ],
        stop_reason: "tool_use",
      },
    });
    const r = await claude.generate(ask, { model: MODEL, tools: [weather] });
    expect(r.providerMetadata).toEqual({
      anthropic: {
        thinking: [
          { type: "redacted_thinking", data: "EmwKAhgBEgy3va3pzix" },
          { type: "thinking", thinking: "Then Paris.", signature: "sig-2" },
        ],
      },
    });
    await claude.generate(
      [
        ...ask,
        {
          role: "assistant",
          content: "",
          toolCalls: r.toolCalls,
          providerMetadata: r.providerMetadata,
        },
        { role: "tool", toolCallId: "toolu_1", content: "18C" },
      ],
      { model: MODEL, tools: [weather] },
    );
    expect((body(1).messages as { content: unknown[] }[])[1]!.content.slice(0, 2)).toEqual([
      { type: "redacted_thinking", data: "EmwKAhgBEgy3va3pzix" },
      { type: "thinking", thinking: "Then Paris.", signature: "sig-2" },
    ]);
  });

  it("drops reasoning and metadata that are not Anthropic's (a turn another provider answered)", async () => {
    await claude.generate(
      [
        ...ask,
        {
          role: "assistant",
          content: "",
          reasoning: "Gemini thought this.",
          providerMetadata: { gemini: { thoughtSignature: "CiQB0e2Kb..." } },
          toolCalls: [
            {
              id: "call_1",
              name: "get_weather",
              arguments: { city: "Paris" },
              rawArguments: '{"city":"Paris"}',
              providerMetadata: { gemini: { thoughtSignature: "CiQB0e2Kb..." } },
            },
          ],
        },
        { role: "tool", toolCallId: "call_1", content: "18C" },
      ],
      { model: MODEL, tools: [weather] },
    );
    expect((body().messages as { content: unknown }[])[1]!.content).toEqual([
      { type: "tool_use", id: "call_1", name: "get_weather", input: { city: "Paris" } },
    ]);
  });

  it("ignores malformed Anthropic metadata entries (unsigned thinking cannot be verified)", async () => {
    await claude.generate(
      [
        ...ask,
        {
          role: "assistant",
          content: "Hi",
          providerMetadata: {
            anthropic: { thinking: [{ type: "thinking", thinking: "x" }, "junk", null] },
          },
        },
        { role: "user", content: "Again" },
      ],
      { model: MODEL },
    );
    expect((body().messages as { content: unknown }[])[1]!.content).toBe("Hi");
  });
});

describe("history shapes the API is strict about", () => {
  const call = {
    id: "toolu_9",
    name: "get_weather",
    arguments: { city: "Oslo" },
    rawArguments: '{"city":"Oslo"}',
  };
  const signed = {
    anthropic: { thinking: [{ type: "thinking", thinking: "Hm.", signature: "sig-1" }] },
  };

  it("a user text between a tool_use turn and its result: the tool_result block comes first", async () => {
    await claude.generate(
      [
        ...ask,
        { role: "assistant", content: "", toolCalls: [call] },
        { role: "user", content: "Also, hurry." },
        { role: "tool", toolCallId: "toolu_9", content: "5 C" },
      ],
      { model: MODEL, tools: [weather] },
    );
    const messages = body().messages as { role: string; content: { type: string }[] }[];
    expect(messages.at(-1)!.content.map((b) => b.type)).toEqual(["tool_result", "text"]);
  });

  it("thinking goes back only with the turn's tool calls; a turn of thinking alone is sent as its text", async () => {
    await claude.generate(
      [
        ...ask,
        { role: "assistant", content: "Partly.", providerMetadata: signed },
        { role: "user", content: "Go on." },
        { role: "assistant", content: "", toolCalls: [call], providerMetadata: signed },
        { role: "tool", toolCallId: "toolu_9", content: "5 C" },
      ],
      { model: MODEL, tools: [weather] },
    );
    const messages = body().messages as { role: string; content: unknown }[];
    expect(messages[1]).toEqual({ role: "assistant", content: "Partly." });
    expect((messages[3]!.content as { type: string }[]).map((b) => b.type)).toEqual([
      "thinking",
      "tool_use",
    ]);
  });
});

describe("validateCall", () => {
  const call = (options: Partial<ProviderCallOptions>, messages: Message[] = ask) =>
    claude.validateCall(messages, { model: MODEL, ...options });
  const thinking = { thinking: { type: "enabled", budget_tokens: 2048 } };

  it("refuses forcing a named tool while structured output is itself a forced tool", () => {
    expect(() =>
      call({
        model: OLD_MODEL,
        tools: [weather],
        toolChoice: { name: "get_weather" },
        responseFormat: { type: "json", schema: { type: "object" } },
      }),
    ).toThrow(/cannot be forced at the same time/);
    expect(() =>
      call({
        model: OLD_MODEL,
        tools: [weather],
        toolChoice: "required",
        responseFormat: { type: "json", schema: { type: "object" } },
      }),
    ).not.toThrow();
  });

  it("accepts valid tools, auto or none with thinking, and forcing without thinking", () => {
    expect(() => call({ tools: [weather, time] })).not.toThrow();
    expect(() =>
      call({ tools: [weather], toolChoice: "auto", providerOptions: thinking }),
    ).not.toThrow();
    expect(() =>
      call({ tools: [weather], toolChoice: "none", providerOptions: thinking }),
    ).not.toThrow();
    expect(() => call({ tools: [weather], toolChoice: "required" })).not.toThrow();
    expect(() =>
      call({
        tools: [weather],
        toolChoice: "required",
        providerOptions: { thinking: { type: "disabled" } },
      }),
    ).not.toThrow();
  });

  it("rejects a name outside ^[a-zA-Z0-9_-]{1,64}$, naming the rule and the provider", () => {
    for (const name of ["get weather", "a".repeat(65), "wetter.heute", ""]) {
      const error = thrown(() => call({ tools: [{ ...weather, name }] }));
      expect(error.reason).toBe("invalid_tool");
      expect(error.message).toContain("anthropic");
      expect(error.message).toContain("1 to 64 characters of a-z, A-Z, 0-9, _ and -");
    }
    expect(() => call({ tools: [{ ...weather, name: "get-weather_2" }] })).not.toThrow();
  });

  it.each([
    ["required", { thinking: { type: "enabled", budget_tokens: 2048 } }],
    [{ name: "get_weather" }, { thinking: { type: "enabled", budget_tokens: 2048 } }],
    ["required", { thinking: { type: "adaptive" } }],
  ] as const)(
    "rejects forcing a tool (%j) with extended thinking %j",
    (toolChoice, providerOptions) => {
      const error = thrown(() => call({ tools: [weather], toolChoice, providerOptions }));
      expect(error.reason).toBe("invalid_tool");
      expect(error.provider).toBe("anthropic");
      expect(error.message).toMatch(/forcing a tool.*extended thinking/);
      expect(error.message).toContain('"auto" or "none"');
    },
  );

  it("rejects a toolChoice naming a tool the call does not declare", () => {
    const error = thrown(() => call({ tools: [weather], toolChoice: { name: "get_time" } }));
    expect(error.reason).toBe("invalid_tool");
    expect(error.message).toContain('"get_time"');
  });

  it("rejects structured output through the forced tool with thinking, not native structured output", () => {
    const schema = {
      type: "object",
      properties: { a: { type: "string" } },
      required: ["a"],
      additionalProperties: false,
    };
    const error = thrown(() =>
      call({
        model: OLD_MODEL,
        responseFormat: { type: "json", schema },
        providerOptions: thinking,
      }),
    );
    expect(error.reason).toBe("unsupported_feature");
    expect(error.message).toContain(OLD_MODEL);
    expect(error.message).toContain("forced tool");
    // Without a schema every model uses the tool.
    expect(
      thrown(() => call({ responseFormat: { type: "json" }, providerOptions: thinking })).reason,
    ).toBe("unsupported_feature");
    expect(() =>
      call({ responseFormat: { type: "json", schema }, providerOptions: thinking }),
    ).not.toThrow();
  });

  it("reserves the answer tool's name when structured output uses it", () => {
    const error = thrown(() =>
      call({
        model: OLD_MODEL,
        tools: [{ ...weather, name: "json_response" }],
        responseFormat: { type: "json", schema: { type: "object" } },
      }),
    );
    expect(error.reason).toBe("invalid_tool");
    expect(error.message).toContain("json_response");
  });

  it("rejects a tool message that answers no earlier call", () => {
    const assistant: Message = {
      role: "assistant",
      content: "",
      toolCalls: [{ id: "toolu_1", name: "get_time", arguments: {}, rawArguments: "{}" }],
    };
    expect(() =>
      call({ tools: [time] }, [
        ...ask,
        assistant,
        { role: "tool", toolCallId: "toolu_1", content: "1" },
      ]),
    ).not.toThrow();
    const unknown = thrown(() =>
      call({ tools: [time] }, [
        ...ask,
        assistant,
        { role: "tool", toolCallId: "toolu_2", content: "1" },
      ]),
    );
    expect(unknown.reason).toBe("invalid_input");
    expect(unknown.message).toContain('"toolu_2"');
    const missing = thrown(() =>
      call({ tools: [time] }, [...ask, assistant, { role: "tool", content: "1" }]),
    );
    expect(missing.reason).toBe("invalid_input");
  });
});

describe("structured output", () => {
  const schema = {
    type: "object",
    properties: { city: { type: "string" }, tempC: { type: "number" } },
    required: ["city", "tempC"],
    additionalProperties: false,
  };
  const answer = { city: "Paris", tempC: 18 };

  it("native: output_config.format with the schema on a model that has it, the JSON text as content", async () => {
    server.enqueue({ text: JSON.stringify(answer) });
    const r = await claude.generate(ask, {
      model: "claude-sonnet-4-5-20250929",
      responseFormat: { type: "json", schema, name: "weather" },
    });
    expect(body().output_config).toEqual({ format: { type: "json_schema", schema } });
    expect(body()).not.toHaveProperty("tools");
    expect(body()).not.toHaveProperty("tool_choice");
    // GA: no beta header is needed.
    expect(server.requests[0]!.headers["anthropic-beta"]).toBeUndefined();
    expect(JSON.parse(r.content)).toEqual(answer);
    expect(r.finishReason).toBe("stop");
  });

  it("native: streams the JSON as text parts, and keeps the caller's tools and other output_config fields", async () => {
    server.enqueue({ chunks: ['{"city":', '"Paris","tempC":18}'] });
    const parts = await collect(
      claude.stream(ask, {
        model: MODEL,
        tools: [weather],
        responseFormat: { type: "json", schema },
        providerOptions: { output_config: { effort: "low" } },
      }),
    );
    expect(body().output_config).toEqual({
      format: { type: "json_schema", schema },
      effort: "low",
    });
    expect(body().tools).toEqual([
      {
        name: "get_weather",
        description: "Current weather of a city",
        input_schema: weather.parameters,
      },
    ]);
    expect(
      parts
        .filter((p) => p.type === "text")
        .map((p) => (p as { text: string }).text)
        .join(""),
    ).toBe(JSON.stringify(answer));
    expect(parts.at(-1)).toMatchObject({ type: "finish", reason: "stop" });
  });

  it("tool mode on a model without structured outputs: one forced answer tool, its input is the content", async () => {
    server.enqueue({ toolCalls: [{ id: "toolu_j", name: "json_response", arguments: answer }] });
    const r = await claude.generate(ask, {
      model: OLD_MODEL,
      responseFormat: { type: "json", schema, description: "The weather report" },
    });
    expect(body().tools).toEqual([
      { name: "json_response", description: "The weather report", input_schema: schema },
    ]);
    expect(body().tool_choice).toEqual({ type: "tool", name: "json_response" });
    expect(body()).not.toHaveProperty("output_config");
    expect(r.content).toBe(JSON.stringify(answer));
    expect(r.finishReason).toBe("stop");
    expect(r).not.toHaveProperty("toolCalls");
  });

  it("tool mode streams the answer tool's fragments as text parts, no tool-call parts, finish stop", async () => {
    server.enqueue({
      toolCalls: [
        {
          id: "toolu_j",
          name: "json_response",
          arguments: answer,
          argumentChunks: ["", '{"city": "Par', 'is", "tempC": 18}'],
        },
      ],
    });
    const parts = await collect(
      claude.stream(ask, { model: OLD_MODEL, responseFormat: { type: "json", schema } }),
    );
    expect(parts.filter((p) => p.type !== "metadata")).toEqual([
      { type: "text", text: '{"city": "Par' },
      { type: "text", text: 'is", "tempC": 18}' },
      expect.objectContaining({ type: "finish", reason: "stop" }),
    ]);
  });

  it("uses the answer tool on a native model when the schema does not fit the native limits", async () => {
    const open = { type: "object", properties: { n: { type: "integer", minimum: 1 } } };
    server.enqueue({ toolCalls: [{ name: "json_response", arguments: { n: 3 } }] });
    const r = await claude.generate(ask, {
      model: MODEL,
      responseFormat: { type: "json", schema: open },
    });
    expect(body().tool_choice).toEqual({ type: "tool", name: "json_response" });
    expect((body().tools as { input_schema: unknown }[])[0]!.input_schema).toEqual(open);
    expect(r.content).toBe('{"n":3}');
  });

  it("without a schema: the answer tool with the open schema { type: object }, on every model", async () => {
    server.enqueue({ toolCalls: [{ name: "json_response", arguments: { any: ["thing"] } }] });
    const r = await claude.generate(ask, { model: MODEL, responseFormat: { type: "json" } });
    expect((body().tools as { input_schema: unknown }[])[0]!.input_schema).toEqual({
      type: "object",
    });
    expect(body()).not.toHaveProperty("output_config");
    expect(JSON.parse(r.content)).toEqual({ any: ["thing"] });
  });

  it("tool mode with the caller's tools: all tools, tool_choice any; a real call is exposed as a tool call", async () => {
    server.enqueue({
      toolCalls: [{ id: "toolu_w", name: "get_weather", arguments: { city: "Paris" } }],
    });
    const r = await claude.generate(ask, {
      model: OLD_MODEL,
      tools: [weather],
      responseFormat: { type: "json", schema },
    });
    expect((body().tools as { name: string }[]).map((t) => t.name)).toEqual([
      "get_weather",
      "json_response",
    ]);
    expect(body().tool_choice).toEqual({ type: "any" });
    expect(r.finishReason).toBe("tool_calls");
    expect(r.toolCalls?.map((c) => c.name)).toEqual(["get_weather"]);
    expect(r.content).toBe("");

    server.enqueue({
      toolCalls: [{ id: "toolu_w", name: "get_weather", arguments: { city: "Paris" } }],
    });
    const parts = await collect(
      claude.stream(ask, {
        model: OLD_MODEL,
        tools: [weather],
        responseFormat: { type: "json", schema },
      }),
    );
    expect(parts.filter((p) => p.type === "tool-call-start")).toEqual([
      { type: "tool-call-start", index: 0, id: "toolu_w", name: "get_weather" },
    ]);
    expect(parts.at(-1)).toMatchObject({ type: "finish", reason: "tool_calls" });
  });

  it("the structuredOutput setting forces a mode, and is part of the cache identity", async () => {
    const native = createAnthropic({
      apiKey: KEY,
      baseURL: `${server.url}/v1`,
      structuredOutput: "native",
    });
    const tool = createAnthropic({
      apiKey: KEY,
      baseURL: `${server.url}/v1`,
      structuredOutput: "tool",
    });
    await native.generate(ask, { model: OLD_MODEL, responseFormat: { type: "json", schema } });
    server.enqueue({ toolCalls: [{ name: "json_response", arguments: answer }] });
    await tool.generate(ask, { model: MODEL, responseFormat: { type: "json", schema } });
    expect(body(0).output_config).toEqual({ format: { type: "json_schema", schema } });
    expect(body(1).tool_choice).toEqual({ type: "tool", name: "json_response" });
    expect(new Set([claude.cacheIdentity, native.cacheIdentity, tool.cacheIdentity]).size).toBe(3);
  });

  it("knows which models have native structured outputs (aliases and dated snapshots)", () => {
    expect(hasNativeStructuredOutput("claude-sonnet-4-5")).toBe(true);
    expect(hasNativeStructuredOutput("claude-sonnet-4-5-20250929")).toBe(true);
    expect(hasNativeStructuredOutput("claude-haiku-4-5-20251001")).toBe(true);
    expect(hasNativeStructuredOutput("claude-opus-4-6")).toBe(true);
    expect(hasNativeStructuredOutput("claude-opus-4-1")).toBe(false);
    expect(hasNativeStructuredOutput("claude-3-7-sonnet-latest")).toBe(false);
    expect(hasNativeStructuredOutput("claude-sonnet-4-50")).toBe(false);
  });

  it("tells schemas the native format accepts from those it rejects", () => {
    expect(fitsNativeOutputFormat(schema)).toBe(true);
    expect(
      fitsNativeOutputFormat({
        type: "object",
        properties: {
          tags: { type: "array", items: { type: "string", enum: ["a", "b"] }, minItems: 1 },
          when: { type: "string", format: "date-time" },
          nested: { $ref: "#/$defs/n" },
          either: { anyOf: [{ type: "string" }, { type: "null" }] },
        },
        required: ["tags"],
        additionalProperties: false,
        $defs: { n: { type: "object", properties: {}, additionalProperties: false } },
      }),
    ).toBe(true);
    expect(fitsNativeOutputFormat({ type: "object", properties: {} })).toBe(false);
    expect(
      fitsNativeOutputFormat({
        type: "object",
        properties: { inner: { type: "object", properties: {} } },
        additionalProperties: false,
      }),
    ).toBe(false);
    for (const bad of [
      { type: "integer", minimum: 0 },
      { type: "string", maxLength: 3 },
      { type: "array", minItems: 2 },
      { oneOf: [{ type: "string" }] },
      { $ref: "https://example.com/schema.json" },
    ]) {
      expect(
        fitsNativeOutputFormat({
          type: "object",
          properties: { x: bad },
          additionalProperties: false,
        }),
      ).toBe(false);
    }
  });
});

describe("capabilities", () => {
  it("declares tools and structured output", () => {
    expect(claude.capabilities).toMatchObject({ tools: true, structuredOutput: true });
  });
});
