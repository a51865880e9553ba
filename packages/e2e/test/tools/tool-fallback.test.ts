// Tools across providers: a tool loop whose second step falls back from OpenAI to Gemini and to
// Anthropic, over real HTTP to the local wire server. The fallback gets the tools in its own
// dialect and the history OpenAI produced, without provider-bound data it cannot use.
import { LLMClient, tool } from "@rephysco/core";
import "@rephysco/anthropic";
import "@rephysco/gemini";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { TEST_KEY, useMockServer } from "../helpers.js";

const ctx = useMockServer();
const down = {
  error: {
    status: 503,
    body: { error: { message: "overloaded", type: "server_error", param: null, code: null } },
  },
};
const weather = tool({
  description: "Current weather",
  parameters: z.object({ city: z.string() }),
  execute: ({ city }) => ({ city, tempC: 21 }),
});

describe("tools across a fallback", () => {
  it("OpenAI answers step 1; Gemini answers step 2 with OpenAI's calls in its own form", async () => {
    const { server } = ctx;
    const client = new LLMClient({
      provider: "openai",
      apiKey: TEST_KEY,
      baseURL: `${server.url}/v1`,
      model: "gpt-4o-mini",
      retry: false,
      fallbacks: [
        {
          provider: "gemini",
          model: "gemini-3-pro-preview",
          apiKey: TEST_KEY,
          baseURL: server.url,
        },
      ],
    });
    server.enqueue([
      { toolCalls: [{ id: "call_abc", name: "get_weather", arguments: { city: "Paris" } }] },
      down,
      { text: "It is 21 degrees in Paris." },
    ]);
    const r = await client.generate("Weather in Paris?", {
      tools: { get_weather: weather },
      maxSteps: 3,
    });
    expect(r.content).toBe("It is 21 degrees in Paris.");
    expect(r.provider).toBe("gemini");
    expect(r.steps?.map((s) => s.provider)).toEqual(["openai", "gemini"]);
    const [first, , third] = server.requests;
    expect((first!.body as { tools: unknown[] }).tools).toEqual([
      {
        type: "function",
        function: expect.objectContaining({
          name: "get_weather",
          parameters: expect.objectContaining({ type: "object" }),
        }),
      },
    ]);
    const body = third!.body as {
      contents: { role: string; parts: Record<string, unknown>[] }[];
      tools: { functionDeclarations: { name: string }[] }[];
    };
    expect(body.tools[0]!.functionDeclarations[0]!.name).toBe("get_weather");
    const model = body.contents.find((c) => c.role === "model")!;
    const call = model.parts.find((p) => p.functionCall)!;
    expect(call.functionCall).toMatchObject({ name: "get_weather", args: { city: "Paris" } });
    // A call Gemini did not sign goes with the value Gemini documents for that case.
    expect(call.thoughtSignature).toBe("skip_thought_signature_validator");
    const result = body.contents.at(-1)!.parts[0]!.functionResponse as Record<string, unknown>;
    expect(result).toMatchObject({ name: "get_weather", response: { city: "Paris", tempC: 21 } });
  });

  it("Gemini's thought signatures never travel to Anthropic; Anthropic gets tool_use and tool_result blocks", async () => {
    const { server } = ctx;
    const client = new LLMClient({
      provider: "gemini",
      apiKey: TEST_KEY,
      baseURL: server.url,
      model: "gemini-2.5-flash",
      retry: false,
      fallbacks: [
        {
          provider: "anthropic",
          model: "claude-sonnet-4-5",
          apiKey: TEST_KEY,
          baseURL: server.url,
        },
      ],
    });
    server.enqueue([
      {
        toolCalls: [
          { name: "get_weather", arguments: { city: "Oslo" }, thoughtSignature: "c2lnbmVk" },
        ],
      },
      {
        error: {
          status: 503,
          body: { error: { code: 503, message: "overloaded", status: "UNAVAILABLE" } },
        },
      },
      { text: "Oslo: 21." },
    ]);
    const r = await client.generate("Weather in Oslo?", {
      tools: { get_weather: weather },
      maxSteps: 3,
    });
    expect(r.provider).toBe("anthropic");
    const step1 = r.steps![0]!;
    expect(step1.toolCalls[0]!.providerMetadata?.gemini).toMatchObject({
      thoughtSignature: "c2lnbmVk",
    });
    const sent = JSON.stringify(server.requests[2]!.body);
    expect(sent).not.toContain("c2lnbmVk");
    const messages = (
      server.requests[2]!.body as { messages: { role: string; content: unknown }[] }
    ).messages;
    expect(messages.at(-2)).toMatchObject({
      role: "assistant",
      content: [
        {
          type: "tool_use",
          id: step1.toolCalls[0]!.id,
          name: "get_weather",
          input: { city: "Oslo" },
        },
      ],
    });
    expect(messages.at(-1)).toMatchObject({
      role: "user",
      content: [{ type: "tool_result", tool_use_id: step1.toolCalls[0]!.id }],
    });
  });

  it("a signature made under one Gemini key is not sent under another (fallback to a second account)", async () => {
    const { server } = ctx;
    const client = new LLMClient({
      provider: "gemini",
      apiKey: TEST_KEY,
      baseURL: server.url,
      model: "gemini-3-pro-preview",
      retry: false,
      fallbacks: [
        {
          provider: "gemini",
          model: "gemini-3-pro-preview",
          apiKey: `${TEST_KEY}-second`,
          baseURL: server.url,
        },
      ],
    });
    server.enqueue([
      {
        toolCalls: [
          { name: "get_weather", arguments: { city: "Rome" }, thoughtSignature: "c2lnLWtleS1h" },
        ],
      },
      {
        error: {
          status: 503,
          body: { error: { code: 503, message: "overloaded", status: "UNAVAILABLE" } },
        },
      },
      { text: "Rome: 21." },
    ]);
    const r = await client.generate("Weather in Rome?", {
      tools: { get_weather: weather },
      maxSteps: 3,
    });
    expect(r.content).toBe("Rome: 21.");
    // The first key's signature went to the first key only: the second got the documented dummy.
    const retried = JSON.stringify(server.requests[1]!.body);
    expect(retried).toContain("c2lnLWtleS1h");
    const fellBack = JSON.stringify(server.requests[2]!.body);
    expect(fellBack).not.toContain("c2lnLWtleS1h");
    expect(fellBack).toContain("skip_thought_signature_validator");
    expect(fellBack).not.toContain(TEST_KEY);
  });
});
