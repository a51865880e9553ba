import type { StreamPart, ToolSpec } from "@rephysco/core";
import { drainParts, type MockServer } from "@rephysco/testing";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { GeminiProvider } from "../src/index.js";
import { bodyOf, call, setup, user } from "./helpers.js";

let server: MockServer;
let provider: GeminiProvider;

beforeAll(async () => {
  ({ server, provider } = await setup());
});
beforeEach(() => server.reset());
afterAll(() => server.close());

const WEATHER: ToolSpec = {
  name: "get_weather",
  description: "Current weather of a city",
  parameters: {
    type: "object",
    properties: { city: { type: "string" } },
    required: ["city"],
    additionalProperties: false,
  },
};
const TIME: ToolSpec = { name: "get_time", parameters: { type: "object", properties: {} } };

/** A recorded-style SSE body (each event a whole GenerateContentResponse, CRLF framing). */
function sse(events: Record<string, unknown>[]) {
  return {
    raw: {
      status: 200,
      headers: { "content-type": "text/event-stream" },
      body: events.map((e) => `data: ${JSON.stringify(e)}\r\n\r\n`),
    },
  };
}
const USAGE = { promptTokenCount: 29, candidatesTokenCount: 15, totalTokenCount: 44 };
const event = (parts: unknown[], extra: Record<string, unknown> = {}) => ({
  candidates: [{ content: { parts, role: "model" }, index: 0, ...extra }],
  usageMetadata: USAGE,
  modelVersion: "gemini-3-pro-preview",
  responseId: "QHiLaa6LBrb8vdIPoNztsAg",
});

describe("tools: request", () => {
  it("declares tools as functionDeclarations with parametersJsonSchema, no toolConfig without a choice", async () => {
    await provider.generate(
      [user("Weather?")],
      call("gemini-2.5-flash", { tools: [WEATHER, TIME] }),
    );
    const body = bodyOf(server);
    expect(body.tools).toEqual([
      {
        functionDeclarations: [
          {
            name: "get_weather",
            description: "Current weather of a city",
            parametersJsonSchema: WEATHER.parameters,
          },
          { name: "get_time", parametersJsonSchema: { type: "object", properties: {} } },
        ],
      },
    ]);
    expect(body).not.toHaveProperty("toolConfig");
    expect(body.generationConfig).not.toHaveProperty("responseMimeType");
  });

  it("maps toolChoice to functionCallingConfig: AUTO, NONE, ANY, ANY with allowedFunctionNames", async () => {
    const choices = ["auto", "none", "required", { name: "get_time" }] as const;
    for (const toolChoice of choices) {
      await provider.generate(
        [user("Hi")],
        call("gemini-2.5-flash", { tools: [WEATHER, TIME], toolChoice }),
      );
    }
    expect(server.requests.map((r) => (r.body as Record<string, unknown>).toolConfig)).toEqual([
      { functionCallingConfig: { mode: "AUTO" } },
      { functionCallingConfig: { mode: "NONE" } },
      { functionCallingConfig: { mode: "ANY" } },
      { functionCallingConfig: { mode: "ANY", allowedFunctionNames: ["get_time"] } },
    ]);
  });

  it("sends no tools at all when the call has none (a toolChoice alone is dropped)", async () => {
    await provider.generate([user("Hi")], call("gemini-2.5-flash", { toolChoice: "required" }));
    expect(bodyOf(server)).not.toHaveProperty("tools");
    expect(bodyOf(server)).not.toHaveProperty("toolConfig");
  });

  it("appends functions to providerOptions.tools and keeps other toolConfig fields", async () => {
    await provider.generate(
      [user("Hi")],
      call("gemini-2.5-flash", {
        tools: [TIME],
        toolChoice: "auto",
        providerOptions: {
          tools: [{ googleSearch: {} }],
          toolConfig: {
            functionCallingConfig: { mode: "NONE" },
            retrievalConfig: { languageCode: "en" },
          },
        },
      }),
    );
    const body = bodyOf(server);
    expect(body.tools).toEqual([
      { googleSearch: {} },
      { functionDeclarations: [{ name: "get_time", parametersJsonSchema: TIME.parameters }] },
    ]);
    expect(body.toolConfig).toEqual({
      functionCallingConfig: { mode: "AUTO" },
      retrievalConfig: { languageCode: "en" },
    });
  });

  it("asks for JSON with responseMimeType and the schema as responseJsonSchema", async () => {
    const schema = {
      type: "object",
      properties: { name: { type: "string" }, age: { type: "integer", minimum: 0 } },
      required: ["name", "age"],
    };
    await provider.generate(
      [user("Who?")],
      call("gemini-2.5-flash", {
        responseFormat: { type: "json", schema, name: "person", description: "A person" },
        // The older OpenAPI-subset field is exclusive with responseJsonSchema: ours wins.
        providerOptions: { responseSchema: { type: "STRING" }, responseMimeType: "text/plain" },
      }),
    );
    expect(bodyOf(server).generationConfig).toEqual({
      responseMimeType: "application/json",
      responseJsonSchema: schema,
    });
  });

  it("without a schema sends only the JSON mime type", async () => {
    await provider.generate(
      [user("JSON please")],
      call("gemini-2.5-flash", { responseFormat: { type: "json" } }),
    );
    expect(bodyOf(server).generationConfig).toEqual({ responseMimeType: "application/json" });
  });
});

describe("tools: generate", () => {
  it("returns a call without an id with a stable Rephysco id and finish reason tool_calls", async () => {
    server.enqueue({
      toolCalls: [{ name: "get_weather", arguments: { city: "Paris" } }],
      extra: { responseId: "b36LacjwM668nsEP2tbsgQQ" },
    });
    const res = await provider.generate(
      [user("Weather in Paris?")],
      call("gemini-2.5-flash", { tools: [WEATHER] }),
    );
    expect(res.content).toBe("");
    expect(res.finishReason).toBe("tool_calls");
    expect(res.toolCalls).toEqual([
      {
        id: "gemini_b36LacjwM668nsEP2tbsgQQ_0",
        name: "get_weather",
        arguments: { city: "Paris" },
        rawArguments: '{"city":"Paris"}',
      },
    ]);
    expect(res).not.toHaveProperty("providerMetadata");
  });

  it("keeps Gemini's own ids and each call's thought signature (parallel calls)", async () => {
    server.enqueue({
      toolCalls: [
        {
          id: "fc-1",
          name: "get_weather",
          arguments: { city: "Paris" },
          thoughtSignature: "sig-A",
        },
        { id: "fc-2", name: "get_weather", arguments: { city: "Tokyo" } },
      ],
    });
    const res = await provider.generate(
      [user("Paris and Tokyo?")],
      call("gemini-3-pro-preview", { tools: [WEATHER] }),
    );
    expect(res.finishReason).toBe("tool_calls");
    expect(res.toolCalls).toEqual([
      {
        id: "fc-1",
        name: "get_weather",
        arguments: { city: "Paris" },
        rawArguments: '{"city":"Paris"}',
        providerMetadata: {
          gemini: {
            thoughtSignature: "sig-A",
            signatureScope: expect.any(String),
            functionCallId: "fc-1",
          },
        },
      },
      {
        id: "fc-2",
        name: "get_weather",
        arguments: { city: "Tokyo" },
        rawArguments: '{"city":"Tokyo"}',
        providerMetadata: { gemini: { functionCallId: "fc-2" } },
      },
    ]);
  });

  it("puts a text part's thought signature on the response, the text as content", async () => {
    server.enqueue({
      text: "Let me check.",
      thoughtSignature: "sig-text",
      toolCalls: [{ name: "get_time", arguments: {}, thoughtSignature: "sig-call" }],
    });
    const res = await provider.generate(
      [user("Time?")],
      call("gemini-3-pro-preview", { tools: [TIME] }),
    );
    expect(res.content).toBe("Let me check.");
    expect(res.providerMetadata).toEqual({
      gemini: { thoughtSignature: "sig-text", signatureScope: expect.any(String) },
    });
    expect(res.toolCalls![0]!.providerMetadata).toEqual({
      gemini: { thoughtSignature: "sig-call", signatureScope: expect.any(String) },
    });
    expect(res.toolCalls![0]!.rawArguments).toBe("{}");
  });

  it("a text answer keeps finish reason stop and has no toolCalls", async () => {
    server.enqueue({ text: "Sunny.", thoughtSignature: "sig-only" });
    const res = await provider.generate(
      [user("Weather?")],
      call("gemini-2.5-flash", { tools: [WEATHER] }),
    );
    expect(res.finishReason).toBe("stop");
    expect(res).not.toHaveProperty("toolCalls");
    expect(res.providerMetadata).toEqual({
      gemini: { thoughtSignature: "sig-only", signatureScope: expect.any(String) },
    });
  });

  it("a call cut by the token limit keeps its reason (length), calls or not", async () => {
    server.enqueue({
      toolCalls: [{ name: "get_time", arguments: {} }],
      finishReason: "MAX_TOKENS",
    });
    const res = await provider.generate([user("Time?")], call());
    expect(res.finishReason).toBe("length");
    expect(res.toolCalls).toHaveLength(1);
  });

  it("makes the same ids for the same answer (a replay and the history agree)", async () => {
    const answer = {
      toolCalls: [
        { name: "get_weather", arguments: { city: "Paris" } },
        { name: "get_weather", arguments: { city: "Tokyo" } },
      ],
      extra: { responseId: "same-response" },
    };
    server.enqueue([answer, answer]);
    const a = await provider.generate([user("?")], call());
    const b = await provider.generate([user("?")], call());
    expect(a.toolCalls!.map((c) => c.id)).toEqual([
      "gemini_same-response_0",
      "gemini_same-response_1",
    ]);
    expect(b.toolCalls!.map((c) => c.id)).toEqual(a.toolCalls!.map((c) => c.id));
  });

  it("without a responseId hashes name, arguments and ordinal: stable, and distinct per call", async () => {
    const answer = (city: string) => ({
      toolCalls: [
        { name: "get_weather", arguments: { city } },
        { name: "get_weather", arguments: { city } },
      ],
      extra: { responseId: undefined },
    });
    server.enqueue([answer("Paris"), answer("Paris"), answer("Rome")]);
    const ids = [];
    for (let i = 0; i < 3; i++) {
      const res = await provider.generate([user("?")], call());
      expect(res.raw).not.toHaveProperty("responseId");
      ids.push(res.toolCalls!.map((c) => c.id));
    }
    for (const id of ids.flat()) expect(id).toMatch(/^gemini_[0-9a-f]{16}_[01]$/);
    expect(ids[1]).toEqual(ids[0]);
    expect(ids[0]![0]).not.toBe(ids[0]![1]);
    expect(ids[2]![0]).not.toBe(ids[0]![0]);
  });
});

describe("tools: stream", () => {
  const toolParts = (parts: StreamPart[]) =>
    parts.filter((p) => p.type.startsWith("tool-call") || p.type === "finish");

  it("yields each whole call as start, one delta and end; parallel calls numbered 0, 1", async () => {
    server.enqueue({
      chunks: ["Checking ", "both."],
      toolCalls: [
        { name: "get_weather", arguments: { city: "Paris" }, thoughtSignature: "sig-A" },
        { id: "fc-2", name: "get_weather", arguments: { city: "Tokyo" } },
      ],
      usage: { promptTokens: 10, completionTokens: 20 },
    });
    const { parts, texts, error } = await drainParts(
      provider.stream(
        [user("Paris and Tokyo?")],
        call("gemini-3-pro-preview", { tools: [WEATHER] }),
      ),
    );
    expect(error).toBeUndefined();
    expect(texts).toEqual(["Checking ", "both."]);
    // The mock's responseId is `mock-response-<n>`.
    const first = parts.find((p) => p.type === "tool-call-start")!;
    expect(first).toMatchObject({ id: expect.stringMatching(/^gemini_mock-response-\d+_0$/) });
    expect(toolParts(parts)).toEqual([
      {
        type: "tool-call-start",
        index: 0,
        id: (first as { id: string }).id,
        name: "get_weather",
        providerMetadata: {
          gemini: { thoughtSignature: "sig-A", signatureScope: expect.any(String) },
        },
      },
      { type: "tool-call-delta", index: 0, argumentsDelta: '{"city":"Paris"}' },
      { type: "tool-call-end", index: 0 },
      {
        type: "tool-call-start",
        index: 1,
        id: "fc-2",
        name: "get_weather",
        providerMetadata: { gemini: { functionCallId: "fc-2" } },
      },
      { type: "tool-call-delta", index: 1, argumentsDelta: '{"city":"Tokyo"}' },
      { type: "tool-call-end", index: 1 },
      {
        type: "finish",
        reason: "tool_calls",
        usage: {
          promptTokens: 10,
          completionTokens: 20,
          totalTokens: 30,
          raw: expect.objectContaining({ promptTokenCount: 10, candidatesTokenCount: 20 }),
        },
        model: "gemini-3-pro-preview",
      },
    ]);
  });

  it("numbers calls across events, and ids follow the answer's responseId", async () => {
    server.enqueue(
      sse([
        event([
          {
            functionCall: { name: "get_weather", args: { city: "Paris" } },
            thoughtSignature: "sig-1",
          },
        ]),
        event([{ functionCall: { name: "get_time", args: {} } }]),
        event([{ text: "" }], { finishReason: "STOP" }),
      ]),
    );
    const { parts, error } = await drainParts(
      provider.stream([user("?")], call("gemini-3-pro-preview")),
    );
    expect(error).toBeUndefined();
    const starts = parts.filter((p) => p.type === "tool-call-start");
    expect(starts).toEqual([
      {
        type: "tool-call-start",
        index: 0,
        id: "gemini_QHiLaa6LBrb8vdIPoNztsAg_0",
        name: "get_weather",
        providerMetadata: {
          gemini: { thoughtSignature: "sig-1", signatureScope: expect.any(String) },
        },
      },
      {
        type: "tool-call-start",
        index: 1,
        id: "gemini_QHiLaa6LBrb8vdIPoNztsAg_1",
        name: "get_time",
      },
    ]);
    expect(parts.at(-1)).toMatchObject({ type: "finish", reason: "tool_calls" });
  });

  it("streams the same ids as generate for the same answer", async () => {
    const parts = [
      { functionCall: { name: "get_weather", args: { city: "Paris" } } },
      { functionCall: { name: "get_weather", args: { city: "Oslo" } } },
    ];
    server.enqueue([
      sse([event(parts), event([{ text: "" }], { finishReason: "STOP" })]),
      {
        text: "",
        extra: {
          candidates: event(parts, { finishReason: "STOP" }).candidates,
          responseId: "QHiLaa6LBrb8vdIPoNztsAg",
        },
      },
    ]);
    const streamed = await drainParts(provider.stream([user("?")], call()));
    const generated = await provider.generate([user("?")], call());
    const streamedIds = streamed.parts.flatMap((p) => (p.type === "tool-call-start" ? [p.id] : []));
    expect(streamedIds).toEqual(generated.toolCalls!.map((c) => c.id));
    expect(streamedIds).toEqual([
      "gemini_QHiLaa6LBrb8vdIPoNztsAg_0",
      "gemini_QHiLaa6LBrb8vdIPoNztsAg_1",
    ]);
  });

  it("yields a text part's thought signature as a metadata part (recorded on the closing empty part)", async () => {
    server.enqueue({ chunks: ["4"], thoughtSignature: "sig-text" });
    const { parts } = await drainParts(
      provider.stream([user("2+2?")], call("gemini-3-flash-preview")),
    );
    expect(parts.filter((p) => p.type === "metadata" && p.providerMetadata)).toEqual([
      {
        type: "metadata",
        providerMetadata: {
          gemini: { thoughtSignature: "sig-text", signatureScope: expect.any(String) },
        },
      },
    ]);
    expect(parts.at(-1)).toMatchObject({ type: "finish", reason: "stop" });
    expect(parts.some((p) => p.type.startsWith("tool-call"))).toBe(false);
  });
});
