import type { Message, ToolSpec } from "@rephysco/core";
import { createMockServer, drainParts, type MockServer } from "@rephysco/testing";
import { XAIProvider } from "@rephysco/xai";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { KEY } from "./helpers.js";

let server: MockServer;
let grok: XAIProvider;

beforeAll(async () => {
  server = await createMockServer();
  grok = new XAIProvider({ apiKey: KEY, baseURL: `${server.url}/v1` });
});
afterEach(() => server.reset());
afterAll(() => server.close());

const user = (content: string): Message[] => [{ role: "user", content }];
const body = () => server.requests[0]!.body as Record<string, unknown>;
const model = "grok-3-mini";
const WEATHER: ToolSpec = {
  name: "weather",
  parameters: {
    type: "object",
    properties: { location: { type: "string" } },
    required: ["location"],
  },
};

describe("xAI tool calls", () => {
  it("a whole call in one chunk yields start, delta and end at once, before the next call", async () => {
    // The recorded shape (xai-tool-call.chunks.txt): reasoning, then each call whole in one
    // chunk, then a chunk with the finish reason.
    server.enqueue({
      toolCallStyle: "xai",
      reasoningChunks: ["First", ", the user"],
      toolCalls: [
        { id: "call_55117580", name: "weather", arguments: { location: "San Francisco" } },
        { id: "call_55117581", name: "weather", arguments: { location: "Los Angeles" } },
      ],
    });
    const { parts, error } = await drainParts(
      grok.stream(user("SF and LA?"), { model, tools: [WEATHER] }),
    );
    expect(error).toBeUndefined();
    expect(parts.filter((p) => p.type !== "metadata")).toEqual([
      { type: "reasoning", text: "First" },
      { type: "reasoning", text: ", the user" },
      { type: "tool-call-start", index: 0, id: "call_55117580", name: "weather" },
      { type: "tool-call-delta", index: 0, argumentsDelta: '{"location":"San Francisco"}' },
      { type: "tool-call-start", index: 1, id: "call_55117581", name: "weather" },
      { type: "tool-call-delta", index: 1, argumentsDelta: '{"location":"Los Angeles"}' },
      { type: "tool-call-end", index: 0 },
      { type: "tool-call-end", index: 1 },
      expect.objectContaining({ type: "finish", reason: "tool_calls" }),
    ]);
  });

  it('reads a whole answer with reasoning and a call (content "")', async () => {
    server.enqueue({
      toolCallStyle: "xai",
      reasoning: "I should call weather.",
      toolCalls: [
        { id: "call_93562515", name: "weather", arguments: { location: "San Francisco" } },
      ],
    });
    const res = await grok.generate(user("SF?"), { model, tools: [WEATHER] });
    expect(res).toMatchObject({
      content: "",
      reasoning: "I should call weather.",
      finishReason: "tool_calls",
      toolCalls: [
        {
          id: "call_93562515",
          name: "weather",
          arguments: { location: "San Francisco" },
          rawArguments: '{"location":"San Francisco"}',
        },
      ],
    });
  });

  it("does not echo reasoning in the history", async () => {
    await grok.generate(
      [
        ...user("SF?"),
        {
          role: "assistant",
          content: "",
          reasoning: "call it",
          toolCalls: [
            {
              id: "c1",
              name: "weather",
              arguments: { location: "SF" },
              rawArguments: '{"location":"SF"}',
            },
          ],
        },
        { role: "tool", toolCallId: "c1", content: "12°C" },
      ],
      { model, tools: [WEATHER] },
    );
    expect((body().messages as Record<string, unknown>[])[1]).not.toHaveProperty(
      "reasoning_content",
    );
  });
});

describe("xAI structured output", () => {
  it("sends json_schema (strict when the schema allows) and declares the capability", async () => {
    const schema = {
      type: "object",
      properties: { a: { type: "string" } },
      required: ["a"],
      additionalProperties: false,
    };
    await grok.generate(user("x"), { model, responseFormat: { type: "json", schema } });
    expect(body().response_format).toEqual({
      type: "json_schema",
      json_schema: { name: "response", schema, strict: true },
    });
    expect(grok.capabilities).toMatchObject({ tools: true, structuredOutput: true });
  });

  it("a refusal is an answer with finish refusal", async () => {
    server.enqueue({ refusal: "I can't do that." });
    const res = await grok.generate(user("x"), { model });
    expect(res).toMatchObject({
      content: "",
      refusal: "I can't do that.",
      finishReason: "refusal",
    });
  });
});
