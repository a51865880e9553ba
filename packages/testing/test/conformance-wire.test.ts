import { describe, expect, it } from "vitest";
import { readToolRequest } from "../src/index.js";

// Request bodies shaped on the vendors' API references (OpenAI Chat Completions "function
// calling", Anthropic Messages "tool use" and "structured outputs", Gemini generateContent
// "function calling" and "structured output"): what the conformance kit reads on the wire.

const schema = { type: "object", properties: { city: { type: "string" } }, required: ["city"] };

describe("readToolRequest: OpenAI dialect", () => {
  const body = {
    model: "gpt-4o-mini",
    messages: [
      { role: "user", content: "Weather in Paris?" },
      {
        role: "assistant",
        content: null,
        tool_calls: [
          {
            id: "call_1",
            type: "function",
            function: { name: "get_weather", arguments: '{"city":"Paris"}' },
          },
          { id: "call_2", type: "function", function: { name: "get_weather", arguments: "{bad" } },
        ],
      },
      { role: "tool", tool_call_id: "call_1", content: '{"tempC":18}' },
      { role: "tool", tool_call_id: "call_2", content: [{ type: "text", text: "failed" }] },
    ],
    tools: [
      {
        type: "function",
        function: { name: "get_weather", description: "Weather", parameters: schema },
      },
    ],
    tool_choice: { type: "function", function: { name: "get_weather" } },
    response_format: { type: "json_schema", json_schema: { name: "r", schema, strict: true } },
  };

  it("reads tools, the forced tool, calls (JSON text parsed, broken text kept), results and json_schema", () => {
    expect(readToolRequest("openai", body)).toEqual({
      tools: [{ name: "get_weather", description: "Weather", parameters: schema }],
      toolChoice: { name: "get_weather" },
      calls: [
        {
          id: "call_1",
          name: "get_weather",
          arguments: { city: "Paris" },
          rawArguments: '{"city":"Paris"}',
        },
        { id: "call_2", name: "get_weather", arguments: undefined, rawArguments: "{bad" },
      ],
      results: [
        { id: "call_1", content: '{"tempC":18}' },
        { id: "call_2", content: "failed" },
      ],
      json: { mode: "schema", schema },
    });
  });

  it("reads string tool choices and json_object; a plain request has none of it", () => {
    for (const choice of ["auto", "none", "required"] as const)
      expect(readToolRequest("openai", { tool_choice: choice }).toolChoice).toBe(choice);
    expect(readToolRequest("openai", { response_format: { type: "json_object" } }).json).toEqual({
      mode: "object",
    });
    expect(readToolRequest("openai", { messages: [{ role: "user", content: "Hi" }] })).toEqual({
      tools: [],
      calls: [],
      results: [],
    });
    expect(readToolRequest("openai", "not json")).toEqual({ tools: [], calls: [], results: [] });
  });
});

describe("readToolRequest: Anthropic dialect", () => {
  it("reads tool_use blocks, one user turn of tool_result blocks (is_error), tool_choice and output_config", () => {
    const body = {
      model: "claude-haiku-4-5",
      max_tokens: 1024,
      messages: [
        { role: "user", content: "Weather in Paris and Rome?" },
        {
          role: "assistant",
          content: [
            { type: "text", text: "Checking." },
            { type: "tool_use", id: "toolu_1", name: "get_weather", input: { city: "Paris" } },
            { type: "tool_use", id: "toolu_2", name: "get_weather", input: { city: "Rome" } },
          ],
        },
        {
          role: "user",
          content: [
            { type: "tool_result", tool_use_id: "toolu_1", content: '{"tempC":18}' },
            {
              type: "tool_result",
              tool_use_id: "toolu_2",
              content: [{ type: "text", text: "down" }],
              is_error: true,
            },
          ],
        },
      ],
      tools: [{ name: "get_weather", description: "Weather", input_schema: schema }],
      tool_choice: { type: "any" },
      output_config: { format: { type: "json_schema", schema } },
    };
    expect(readToolRequest("anthropic", body)).toEqual({
      tools: [{ name: "get_weather", description: "Weather", parameters: schema }],
      toolChoice: "required",
      calls: [
        {
          id: "toolu_1",
          name: "get_weather",
          arguments: { city: "Paris" },
          rawArguments: '{"city":"Paris"}',
        },
        {
          id: "toolu_2",
          name: "get_weather",
          arguments: { city: "Rome" },
          rawArguments: '{"city":"Rome"}',
        },
      ],
      results: [
        { id: "toolu_1", content: '{"tempC":18}', isError: false },
        { id: "toolu_2", content: "down", isError: true },
      ],
      json: { mode: "schema", schema },
    });
  });

  it("reads a forced tool as { name }, auto and none as they are", () => {
    expect(
      readToolRequest("anthropic", { tool_choice: { type: "tool", name: "json_response" } })
        .toolChoice,
    ).toEqual({ name: "json_response" });
    expect(readToolRequest("anthropic", { tool_choice: { type: "auto" } }).toolChoice).toBe("auto");
    expect(readToolRequest("anthropic", { tool_choice: { type: "none" } }).toolChoice).toBe("none");
    // A tool_use block in a user turn is not a call.
    expect(
      readToolRequest("anthropic", {
        messages: [
          { role: "user", content: [{ type: "tool_use", id: "x", name: "f", input: {} }] },
        ],
      }).calls,
    ).toEqual([]);
  });
});

describe("readToolRequest: Gemini dialect", () => {
  it("reads functionDeclarations, functionCall parts with signatures, functionResponse parts and responseJsonSchema", () => {
    const body = {
      contents: [
        { role: "user", parts: [{ text: "Weather in Paris?" }] },
        {
          role: "model",
          parts: [
            {
              functionCall: { name: "get_weather", args: { city: "Paris" } },
              thoughtSignature: "s1",
            },
            { functionCall: { id: "fc-2", name: "get_time", args: { city: "Paris" } } },
          ],
        },
        {
          role: "user",
          parts: [
            { functionResponse: { name: "get_weather", response: { tempC: 18 } } },
            { functionResponse: { id: "fc-2", name: "get_time", response: { error: "down" } } },
          ],
        },
      ],
      tools: [
        {
          functionDeclarations: [
            { name: "get_weather", description: "Weather", parametersJsonSchema: schema },
            { name: "get_time", parameters: schema },
          ],
        },
      ],
      toolConfig: { functionCallingConfig: { mode: "ANY", allowedFunctionNames: ["get_weather"] } },
      generationConfig: { responseMimeType: "application/json", responseJsonSchema: schema },
    };
    expect(readToolRequest("gemini", body)).toEqual({
      tools: [
        { name: "get_weather", description: "Weather", parameters: schema },
        { name: "get_time", parameters: schema },
      ],
      toolChoice: { name: "get_weather" },
      calls: [
        {
          name: "get_weather",
          arguments: { city: "Paris" },
          rawArguments: '{"city":"Paris"}',
          thoughtSignature: "s1",
        },
        {
          id: "fc-2",
          name: "get_time",
          arguments: { city: "Paris" },
          rawArguments: '{"city":"Paris"}',
        },
      ],
      results: [
        { name: "get_weather", content: '{"tempC":18}', isError: false },
        { id: "fc-2", name: "get_time", content: '{"error":"down"}', isError: true },
      ],
      json: { mode: "schema", schema },
    });
  });

  it("reads the modes AUTO, NONE and ANY, and JSON without a schema", () => {
    const mode = (m: object) =>
      readToolRequest("gemini", { toolConfig: { functionCallingConfig: m } }).toolChoice;
    expect(mode({ mode: "AUTO" })).toBe("auto");
    expect(mode({ mode: "NONE" })).toBe("none");
    expect(mode({ mode: "ANY" })).toBe("required");
    expect(mode({ mode: "ANY", allowedFunctionNames: ["a", "b"] })).toBe("required");
    expect(
      readToolRequest("gemini", { generationConfig: { responseMimeType: "application/json" } })
        .json,
    ).toEqual({ mode: "object" });
    expect(
      readToolRequest("gemini", { generationConfig: { responseMimeType: "text/plain" } }).json,
    ).toBeUndefined();
  });
});
