import { AliyunProvider } from "@rephysco/aliyun";
import { InvalidRequestError, type Message, type ToolSpec } from "@rephysco/core";
import { createMockServer, drainParts, type MockServer } from "@rephysco/testing";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { supportsDashScopeJsonSchema } from "../src/supports-dashscope-json-schema.js";

const KEY = "dashscope-test-key-0123456789";

let server: MockServer;
let qwen: AliyunProvider;

beforeAll(async () => {
  server = await createMockServer();
  qwen = new AliyunProvider({ apiKey: KEY, baseURL: `${server.url}/compatible-mode/v1` });
});
afterEach(() => server.reset());
afterAll(() => server.close());

const user = (content: string): Message[] => [{ role: "user", content }];
const body = (i = 0) => server.requests[i]!.body as Record<string, unknown>;
const model = "qwen-plus";
const WEATHER: ToolSpec = {
  name: "weather",
  parameters: {
    type: "object",
    properties: { location: { type: "string" } },
    required: ["location"],
  },
};

async function partsOf(messages: Message[], options: Parameters<AliyunProvider["stream"]>[1]) {
  const { parts, error } = await drainParts(qwen.stream(messages, options));
  expect(error).toBeUndefined();
  return parts.filter((p) => p.type !== "metadata");
}

describe("DashScope tool-call streams", () => {
  it("keeps the id of the first delta when later ones repeat an empty id, skips the trailing empty delta", async () => {
    // The recorded shape (alibaba-tool-call.chunks.txt): arguments "" first, fragments with
    // `"id": ""` and `"type": "function"`, then an empty-arguments delta, then the finish.
    server.enqueue({
      toolCallStyle: "dashscope",
      nullFields: true,
      toolCalls: [
        {
          id: "call_eee11723464a4b9eb8cee71d",
          name: "weather",
          arguments: "",
          argumentChunks: ["", '{"location": "San Francisco', '"}'],
        },
      ],
    });
    const parts = await partsOf(user("Weather in SF?"), { model, tools: [WEATHER] });
    expect(parts).toEqual([
      { type: "tool-call-start", index: 0, id: "call_eee11723464a4b9eb8cee71d", name: "weather" },
      { type: "tool-call-delta", index: 0, argumentsDelta: '{"location": "San Francisco' },
      { type: "tool-call-delta", index: 0, argumentsDelta: '"}' },
      { type: "tool-call-end", index: 0 },
      expect.objectContaining({ type: "finish", reason: "tool_calls" }),
    ]);
  });

  it("reads arguments that already start in the first delta, for parallel calls", async () => {
    server.enqueue({
      toolCallStyle: "dashscope",
      toolCalls: [
        {
          id: "call_1",
          name: "weather",
          arguments: "",
          argumentChunks: ['{"location":', ' "Paris"}'],
        },
        {
          id: "call_2",
          name: "weather",
          arguments: "",
          argumentChunks: ['{"location": "Rome"', "}"],
        },
      ],
    });
    const parts = await partsOf(user("Paris and Rome?"), { model, tools: [WEATHER] });
    expect(parts).toEqual([
      { type: "tool-call-start", index: 0, id: "call_1", name: "weather" },
      { type: "tool-call-delta", index: 0, argumentsDelta: '{"location":' },
      { type: "tool-call-delta", index: 0, argumentsDelta: ' "Paris"}' },
      { type: "tool-call-start", index: 1, id: "call_2", name: "weather" },
      { type: "tool-call-delta", index: 1, argumentsDelta: '{"location": "Rome"' },
      { type: "tool-call-delta", index: 1, argumentsDelta: "}" },
      { type: "tool-call-end", index: 0 },
      { type: "tool-call-end", index: 1 },
      expect.objectContaining({ type: "finish", reason: "tool_calls" }),
    ]);
  });

  it("a stream-only model's generate() assembles the calls from the stream", async () => {
    server.enqueue({
      toolCallStyle: "dashscope",
      nullFields: true,
      reasoningChunks: ["Need ", "weather."],
      toolCalls: [
        {
          id: "call_q",
          name: "weather",
          arguments: "",
          argumentChunks: ['{"location":', '"Lisbon"}'],
        },
      ],
    });
    const res = await qwen.generate(user("Lisbon?"), { model: "qwq-plus", tools: [WEATHER] });
    expect(body().stream).toBe(true);
    expect(res).toMatchObject({
      content: "",
      reasoning: "Need weather.",
      finishReason: "tool_calls",
      toolCalls: [
        {
          id: "call_q",
          name: "weather",
          arguments: { location: "Lisbon" },
          rawArguments: '{"location":"Lisbon"}',
        },
      ],
    });
  });

  it('a whole answer with tool calls (content "", index on each call) is read', async () => {
    server.enqueue({
      toolCallStyle: "dashscope",
      toolCalls: [{ id: "call_962", name: "weather", arguments: '{"location": "San Francisco"}' }],
    });
    const res = await qwen.generate(user("SF?"), { model, tools: [WEATHER] });
    expect(res).toMatchObject({
      content: "",
      finishReason: "tool_calls",
      toolCalls: [{ id: "call_962", name: "weather", arguments: { location: "San Francisco" } }],
    });
  });
});

describe("DashScope tool history", () => {
  it("echoes reasoning_content on assistant turns and replays broken arguments as valid JSON", async () => {
    // DashScope answers 400 "must be in JSON format" to invalid replayed arguments
    // (vercel/ai qwen-plus-malformed-replayed-tool-arguments-error.json).
    await qwen.generate(
      [
        ...user("Weather in Paris?"),
        {
          role: "assistant",
          content: "",
          reasoning: "Call the weather tool.",
          toolCalls: [
            {
              id: "call_1",
              name: "weather",
              arguments: { location: "Paris" },
              rawArguments: '{"location": "Paris"',
            },
          ],
        },
        { role: "tool", toolCallId: "call_1", content: "18°C" },
        { role: "assistant", content: "It is 18°C.", reasoning: "Answer briefly." },
        ...user("And tomorrow?"),
      ],
      { model, tools: [WEATHER] },
    );
    expect((body().messages as unknown[]).slice(1, 4)).toEqual([
      {
        role: "assistant",
        content: null,
        reasoning_content: "Call the weather tool.",
        tool_calls: [
          {
            id: "call_1",
            type: "function",
            function: { name: "weather", arguments: '{"location":"Paris"}' },
          },
        ],
      },
      { role: "tool", tool_call_id: "call_1", content: "18°C" },
      { role: "assistant", content: "It is 18°C.", reasoning_content: "Answer briefly." },
    ]);
  });
});

describe("DashScope structured output", () => {
  const schema = {
    type: "object",
    properties: { name: { type: "string" }, age: { type: "number" } },
    required: ["name", "age"],
    additionalProperties: false,
  };

  it.each([
    "qwen-plus",
    "qwen-plus-latest",
    "qwen-plus-2025-09-11",
    "qwen-flash",
    "qwen3-max",
    "qwen3-max-2025-09-23",
    "qwen3.7-plus",
  ])("%s takes json_schema", async (m) => {
    await qwen.generate(user("Extract: Ann, 31"), {
      model: m,
      responseFormat: { type: "json", schema },
    });
    expect(body().response_format).toEqual({
      type: "json_schema",
      json_schema: { name: "response", schema, strict: true },
    });
    expect(body().messages).toEqual(user("Extract: Ann, 31"));
  });

  it.each(["qwen-turbo", "qwen-max", "qwen-plus-2025-04-28", "qwen3-32b-instruct", "qwen3.8-plus"])(
    "%s falls back to json_object with the schema in a system instruction",
    async (m) => {
      await qwen.generate(user("Extract: Ann, 31"), {
        model: m,
        responseFormat: { type: "json", schema },
        providerOptions: { enable_thinking: false },
      });
      expect(body().response_format).toEqual({ type: "json_object" });
      expect(body().messages).toEqual([
        {
          role: "system",
          content: `Answer with one JSON object that matches this JSON Schema: ${JSON.stringify(schema)}`,
        },
        { role: "user", content: "Extract: Ann, 31" },
      ]);
    },
  );

  it("json_object without a schema gets the word JSON unless a system or user message has it", async () => {
    await qwen.generate([{ role: "system", content: "You extract data." }, ...user("Ann, 31")], {
      model,
      responseFormat: { type: "json" },
    });
    expect(body().response_format).toEqual({ type: "json_object" });
    expect((body().messages as Message[])[0]!.content).toBe(
      "You extract data.\n\nAnswer with one JSON object.",
    );
    server.reset();
    await qwen.generate([{ role: "system", content: "Reply in Json." }, ...user("Ann, 31")], {
      model,
      responseFormat: { type: "json" },
    });
    expect((body().messages as Message[])[0]!.content).toBe("Reply in Json.");
  });

  it("the model list lives in one place", () => {
    expect(supportsDashScopeJsonSchema("qwen-flash-2025-07-28")).toBe(true);
    expect(supportsDashScopeJsonSchema("qwen-flash-2025-07-27")).toBe(false);
    expect(supportsDashScopeJsonSchema("qwen3-max-preview")).toBe(false);
    expect(supportsDashScopeJsonSchema("qwen-vl-max")).toBe(false);
  });
});

describe("DashScope validateCall", () => {
  it("declares tools and structured output and rejects names outside the OpenAI rule", () => {
    expect(qwen.capabilities).toMatchObject({ tools: true, structuredOutput: true });
    let error: unknown;
    try {
      qwen.validateCall(user("Hi"), { model, tools: [{ ...WEATHER, name: "天气" }] });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InvalidRequestError);
    expect(error).toMatchObject({ provider: "aliyun", reason: "invalid_tool" });
    expect((error as Error).message).toContain("aliyun");
  });
});
