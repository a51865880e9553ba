import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { LLMClient } from "@rephysco/core";
import "@rephysco/openai";
import { createMockServer, type MockServer } from "@rephysco/testing";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { weatherModel } from "../src/scripted-model.mjs";
import { askWeatherAgent, SYSTEM_PROMPT } from "../src/weather-agent.mjs";
import { createWeatherTools } from "../src/weather-tools.mjs";

let server: MockServer;
let client: LLMClient;

beforeAll(async () => {
  server = await createMockServer();
  client = new LLMClient({
    provider: "openai",
    apiKey: "test-key",
    baseURL: `${server.url}/v1`,
    retry: false,
  });
});
afterAll(() => server.close());
beforeEach(() => server.reset());

/** 13:05 UTC: 14:05 in Paris, 22:05 in Tokyo (no daylight saving in January). */
const NOON = new Date("2025-01-15T13:05:00Z");
const tools = createWeatherTools({ now: () => NOON });

interface WireBody {
  messages: {
    role: string;
    content: string | null;
    tool_call_id?: string;
    tool_calls?: { id: string; type: string; function: { name: string; arguments: string } }[];
  }[];
  tools?: { type: string; function: { name: string; description: string; parameters: unknown } }[];
}
const body = (i: number) => server.requests[i]!.body as WireBody;

describe("the weather agent", () => {
  it("runs the tool loop over HTTP: both tools in one step, their results sent back, then the answer", async () => {
    server.enqueue([
      {
        toolCalls: [
          { id: "call_w", name: "get_weather", arguments: { city: "Paris" } },
          { id: "call_t", name: "get_time", arguments: { city: "paris" } },
        ],
        usage: { promptTokens: 80, completionTokens: 20 },
      },
      { text: "18 °C and sunny; it is 14:05.", usage: { promptTokens: 120, completionTokens: 9 } },
    ]);
    const seen: string[] = [];
    const answer = await askWeatherAgent(client, "Weather and time in Paris?", {
      tools,
      onToolCall: (call) => seen.push(`${call.name} ${JSON.stringify(call.arguments)}`),
    });

    expect(answer.content).toBe("18 °C and sunny; it is 14:05.");
    expect(answer.finishReason).toBe("stop");
    expect(seen).toEqual(['get_weather {"city":"Paris"}', 'get_time {"city":"paris"}']);
    expect(answer.steps).toHaveLength(2);
    expect(answer.steps![0]!.toolResults).toEqual([
      {
        toolCallId: "call_w",
        name: "get_weather",
        result: { city: "Paris", tempC: 18, sky: "sunny" },
        isError: false,
      },
      { toolCallId: "call_t", name: "get_time", result: "14:05", isError: false },
    ]);
    expect(answer.usage).toMatchObject({ promptTokens: 200, completionTokens: 29 });

    // First request: the system prompt, the question, and both tools as JSON Schema.
    expect(server.requests).toHaveLength(2);
    expect(body(0).messages).toEqual([
      { role: "system", content: SYSTEM_PROMPT },
      { role: "user", content: "Weather and time in Paris?" },
    ]);
    const parameters = {
      type: "object",
      properties: { city: { type: "string", description: "City name, e.g. Paris" } },
      required: ["city"],
      additionalProperties: false,
    };
    // zod's schema and the plain JSON Schema reach the wire alike.
    expect(
      body(0).tools!.map(({ type, function: f }) => [type, f.name, f.description, f.parameters]),
    ).toEqual([
      [
        "function",
        "get_weather",
        "Current weather in a city: temperature in °C and the sky.",
        parameters,
      ],
      ["function", "get_time", "Local time in a city, as HH:MM (24 hours).", parameters],
    ]);
    // Second request: the assistant's calls, then one result per call, by id.
    const [, , assistant, weather, time] = body(1).messages;
    expect(assistant).toMatchObject({
      role: "assistant",
      tool_calls: [
        { id: "call_w", function: { name: "get_weather" } },
        { id: "call_t", function: { name: "get_time" } },
      ],
    });
    expect(weather).toEqual({
      role: "tool",
      tool_call_id: "call_w",
      content: '{"city":"Paris","tempC":18,"sky":"sunny"}',
    });
    expect(time).toEqual({ role: "tool", tool_call_id: "call_t", content: "14:05" });
  });

  it("tells the model when a tool fails, and the loop goes on", async () => {
    server.enqueue([
      { toolCalls: [{ id: "call_1", name: "get_weather", arguments: { city: "Atlantis" } }] },
      { text: "I don't know Atlantis." },
    ]);
    const answer = await askWeatherAgent(client, "Weather in Atlantis?", { tools });
    expect(answer.content).toBe("I don't know Atlantis.");
    const result = answer.steps![0]!.toolResults[0]!;
    expect(result.isError).toBe(true);
    expect(String(result.result)).toMatch(/Unknown city "Atlantis"\. Known cities: Paris, Tokyo/);
    const sent = body(1).messages.find((m) => m.role === "tool")!;
    expect(sent.tool_call_id).toBe("call_1");
    expect(sent.content).toMatch(/Unknown city "Atlantis"/);
  });

  it("the scripted model calls both tools for every city named and answers from the results", async () => {
    const scripted = await createMockServer({ defaultReply: weatherModel });
    try {
      const offline = new LLMClient({
        provider: "openai",
        apiKey: "test-key",
        baseURL: `${scripted.url}/v1`,
      });
      const answer = await askWeatherAgent(offline, "Is it cold in Oslo and in New York?", {
        tools,
      });
      expect(answer.steps![0]!.toolCalls.map((c) => [c.name, c.arguments])).toEqual([
        ["get_weather", { city: "New York" }],
        ["get_time", { city: "New York" }],
        ["get_weather", { city: "Oslo" }],
        ["get_time", { city: "Oslo" }],
      ]);
      expect(answer.content).toBe(
        "New York: 9 °C and cloudy, 08:05 local time. Oslo: -2 °C and snow, 14:05 local time.",
      );
      expect(scripted.requests).toHaveLength(2);
    } finally {
      await scripted.close();
    }
  });

  it("runs as a script with no key and no network", async () => {
    const script = fileURLToPath(new URL("../weather-agent.mjs", import.meta.url));
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [script, "How is Tokyo today?"],
      { env: { PATH: process.env.PATH ?? "" } },
    );
    const lines = stdout.trim().split("\n");
    expect(lines[0]).toBe("? How is Tokyo today?");
    expect(lines).toContain('  → get_weather({"city":"Tokyo"})');
    expect(lines).toContain('  ← get_weather: {"city":"Tokyo","tempC":24,"sky":"light rain"}');
    expect(lines.at(-2)).toMatch(/^Tokyo: 24 °C and light rain, \d\d:\d\d local time\.$/);
    expect(lines.at(-1)).toMatch(/^\(2 model calls, \d+ tokens in all\)$/);
  });
});
