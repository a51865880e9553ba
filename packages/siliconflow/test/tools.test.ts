import { InvalidRequestError, type Message, type ToolSpec } from "@rephysco/core";
import { SiliconFlowProvider } from "@rephysco/siliconflow";
import { createMockServer, drainParts, type MockServer } from "@rephysco/testing";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { KEY } from "./helpers.js";

let server: MockServer;
let sf: SiliconFlowProvider;

beforeAll(async () => {
  server = await createMockServer();
  sf = new SiliconFlowProvider({ apiKey: KEY, baseURL: `${server.url}/v1` });
});
afterEach(() => server.reset());
afterAll(() => server.close());

const user = (content: string): Message[] => [{ role: "user", content }];
const body = () => server.requests[0]!.body as Record<string, unknown>;
const model = "deepseek-ai/DeepSeek-V3";
const WEATHER: ToolSpec = {
  name: "weather",
  parameters: {
    type: "object",
    properties: { location: { type: "string" } },
    required: ["location"],
  },
};

describe("SiliconFlow tools", () => {
  it("declares the tools and streams a call", async () => {
    server.enqueue({
      toolCalls: [
        {
          id: "019a",
          name: "weather",
          arguments: "",
          argumentChunks: ['{"location"', ':"Beijing"}'],
        },
      ],
    });
    const { parts, error } = await drainParts(
      sf.stream(user("Beijing?"), { model, tools: [WEATHER], toolChoice: "auto" }),
    );
    expect(error).toBeUndefined();
    expect(body()).toMatchObject({
      tools: [{ type: "function", function: { name: "weather", parameters: WEATHER.parameters } }],
      tool_choice: "auto",
    });
    expect(parts.filter((p) => p.type.startsWith("tool-call"))).toEqual([
      { type: "tool-call-start", index: 0, id: "019a", name: "weather" },
      { type: "tool-call-delta", index: 0, argumentsDelta: '{"location"' },
      { type: "tool-call-delta", index: 0, argumentsDelta: ':"Beijing"}' },
      { type: "tool-call-end", index: 0 },
    ]);
    expect(parts.at(-1)).toMatchObject({ type: "finish", reason: "tool_calls" });
  });

  it("echoes reasoning_content on assistant turns of the history (DeepSeek thinking)", async () => {
    await sf.generate(
      [
        ...user("Beijing?"),
        {
          role: "assistant",
          content: "",
          reasoning: "Use the tool.",
          toolCalls: [{ id: "c1", name: "weather", arguments: {}, rawArguments: "" }],
        },
        { role: "tool", toolCallId: "c1", content: '{"tempC":3}' },
      ],
      { model: "deepseek-ai/DeepSeek-R1", tools: [WEATHER] },
    );
    expect((body().messages as unknown[]).slice(1)).toEqual([
      {
        role: "assistant",
        content: null,
        reasoning_content: "Use the tool.",
        tool_calls: [
          { id: "c1", type: "function", function: { name: "weather", arguments: "{}" } },
        ],
      },
      { role: "tool", tool_call_id: "c1", content: '{"tempC":3}' },
    ]);
  });

  it("validateCall rejects a bad tool name, naming silicon_flow", () => {
    expect(sf.capabilities).toMatchObject({ tools: true, structuredOutput: true });
    expect(() =>
      sf.validateCall(user("x"), { model, tools: [{ ...WEATHER, name: "a.b" }] }),
    ).toThrow(InvalidRequestError);
    expect(() =>
      sf.validateCall(user("x"), { model, tools: [{ ...WEATHER, name: "a.b" }] }),
    ).toThrow(/silicon_flow/);
  });
});

describe("SiliconFlow structured output", () => {
  it("sends json_schema with a schema (strict false for an open one)", async () => {
    const schema = { type: "object", properties: { a: { type: "string" } } };
    await sf.generate(user("x"), {
      model,
      responseFormat: { type: "json", schema, name: "thing" },
    });
    expect(body().response_format).toEqual({
      type: "json_schema",
      json_schema: { name: "thing", schema, strict: false },
    });
  });

  it("json_object without a schema, with the JSON instruction its docs ask for", async () => {
    await sf.generate(user("Two colors"), { model, responseFormat: { type: "json" } });
    expect(body().response_format).toEqual({ type: "json_object" });
    expect((body().messages as Message[])[0]).toEqual({
      role: "system",
      content: "Answer with one JSON object.",
    });
  });
});
