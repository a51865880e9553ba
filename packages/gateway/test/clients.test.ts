// Third-party OpenAI clients against the gateway: LangChain's ChatOpenAI and the Vercel AI SDK's
// OpenAI-compatible provider, unchanged, over real sockets. The upstream is the mock server from
// @rephysco/testing, configured as the gateway's `openai` base URL.
import { createOpenAICompatible } from "@ai-sdk/openai-compatible";
import type { AIMessageChunk } from "@langchain/core/messages";
import { ChatOpenAI } from "@langchain/openai";
// Registers the `openai` provider with core (a program embedding the gateway imports its providers).
import "@rephysco/openai";
import { createMockServer, type MockServer } from "@rephysco/testing";
import { generateObject, generateText, jsonSchema, Output, streamText, tool } from "ai";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createGateway, type Gateway } from "../src/index.js";

let mock: MockServer;
let gateway: Gateway;
let baseURL: string;

/** The model clients name: `provider/model` routes to the mock through the `openai` provider. */
const MODEL = "openai/gpt-4o-mini";

interface WireBody {
  model?: string;
  stream?: boolean;
  stream_options?: { include_usage?: boolean };
  tools?: { type: string; function: { name: string; parameters?: unknown } }[];
  tool_choice?: unknown;
  response_format?: { type: string; json_schema?: { name?: string; schema?: unknown } };
}

/** The body the upstream received for the last request. */
function lastUpstreamBody(): WireBody {
  const last = mock.requests.at(-1);
  if (last === undefined) throw new Error("the upstream received no request");
  return last.body as WireBody;
}

const citySchema = {
  type: "object",
  properties: { name: { type: "string" }, population: { type: "number" } },
  required: ["name", "population"],
  additionalProperties: false,
} as const;

const weatherParameters = {
  type: "object",
  properties: { city: { type: "string" } },
  required: ["city"],
  additionalProperties: false,
} as const;

beforeAll(async () => {
  mock = await createMockServer();
  gateway = await createGateway({
    providers: { openai: { baseURL: `${mock.url}/v1`, apiKey: "upstream-key" } },
    models: {
      "no-retries": {
        provider: "openai",
        model: "gpt-4o-mini",
        retries: 0,
        settings: { baseURL: `${mock.url}/v1`, apiKey: "upstream-key" },
      },
    },
  });
  const { url } = await gateway.listen({ port: 0 });
  baseURL = `${url}/v1`;
});
afterAll(async () => {
  await gateway?.close();
  await mock?.close();
});
beforeEach(() => mock.reset());

describe("LangChain ChatOpenAI", () => {
  const llm = () =>
    new ChatOpenAI({ model: MODEL, apiKey: "unused", configuration: { baseURL }, maxRetries: 0 });

  it("invoke: answer and usage", async () => {
    mock.enqueue({
      text: "Hello from upstream",
      usage: { promptTokens: 7, completionTokens: 3 },
    });
    const r = await llm().invoke("hi");
    expect(r.content).toBe("Hello from upstream");
    expect(r.usage_metadata).toMatchObject({ input_tokens: 7, output_tokens: 3, total_tokens: 10 });
    const body = lastUpstreamBody();
    expect(body.model).toBe("gpt-4o-mini");
    // The client's Authorization header is not forwarded; the configured key is.
    expect(mock.requests.at(-1)?.headers.authorization).toBe("Bearer upstream-key");
  });

  it("stream: chunks in order, usage on the last chunk", async () => {
    mock.enqueue({
      chunks: ["Hel", "lo", " world"],
      usage: { promptTokens: 5, completionTokens: 3 },
    });
    const chunks: AIMessageChunk[] = [];
    for await (const chunk of await llm().stream("hi")) chunks.push(chunk);
    expect(chunks.map((c) => c.content).join("")).toBe("Hello world");
    const usage = chunks.find((c) => c.usage_metadata !== undefined)?.usage_metadata;
    expect(usage).toMatchObject({ input_tokens: 5, output_tokens: 3, total_tokens: 8 });
    expect(lastUpstreamBody().stream).toBe(true);
  });

  it("bindTools: the model's tool calls come back parsed", async () => {
    mock.enqueue({
      toolCalls: [{ id: "call_w1", name: "getWeather", arguments: { city: "Paris" } }],
    });
    const withTools = llm().bindTools([
      {
        type: "function",
        function: {
          name: "getWeather",
          description: "Current weather in a city",
          parameters: weatherParameters,
        },
      },
    ]);
    const r = await withTools.invoke("Weather in Paris?");
    expect(r.tool_calls).toEqual([
      expect.objectContaining({ id: "call_w1", name: "getWeather", args: { city: "Paris" } }),
    ]);
    const body = lastUpstreamBody();
    expect(body.tools?.map((t) => t.function.name)).toEqual(["getWeather"]);
    expect(body.tools?.[0]?.function.parameters).toMatchObject({
      properties: { city: { type: "string" } },
    });
  });

  it("bindTools streamed: tool call fragments are reassembled", async () => {
    mock.enqueue({
      toolCalls: [
        {
          id: "call_w2",
          name: "getWeather",
          arguments: '{"city":"Rome"}',
          argumentChunks: ['{"ci', 'ty":"Ro', 'me"}'],
        },
      ],
    });
    const withTools = llm().bindTools([
      { type: "function", function: { name: "getWeather", parameters: weatherParameters } },
    ]);
    let merged: AIMessageChunk | undefined;
    for await (const chunk of await withTools.stream("Weather in Rome?")) {
      merged = merged === undefined ? chunk : merged.concat(chunk);
    }
    expect(merged?.tool_calls).toEqual([
      expect.objectContaining({ id: "call_w2", name: "getWeather", args: { city: "Rome" } }),
    ]);
  });

  it("withStructuredOutput (JSON schema): response_format json_schema, parsed object", async () => {
    mock.enqueue({ text: '{"name":"Atlantis","population":12}' });
    const structured = llm().withStructuredOutput(
      { title: "city", ...citySchema },
      { name: "city", method: "jsonSchema" },
    );
    const city = await structured.invoke("Invent a city.");
    expect(city).toEqual({ name: "Atlantis", population: 12 });
    const format = lastUpstreamBody().response_format;
    expect(format?.type).toBe("json_schema");
    expect(format?.json_schema?.name).toBe("city");
    expect(format?.json_schema?.schema).toMatchObject({ required: ["name", "population"] });
  });

  it("an upstream 400 becomes an error the client raises with the vendor's message", async () => {
    mock.enqueue({
      error: {
        status: 400,
        body: {
          error: {
            message: "Invalid value for 'temperature'.",
            type: "invalid_request_error",
            param: "temperature",
            code: "invalid_value",
          },
        },
      },
    });
    await expect(llm().invoke("hi")).rejects.toThrow(/temperature/);
  });
});

describe("Vercel AI SDK (@ai-sdk/openai-compatible)", () => {
  const provider = (supportsStructuredOutputs = false) =>
    createOpenAICompatible({
      name: "rephysco",
      baseURL,
      apiKey: "unused",
      includeUsage: true,
      supportsStructuredOutputs,
    });

  it("generateText: text, finish reason, usage", async () => {
    mock.enqueue({ text: "Bonjour", usage: { promptTokens: 4, completionTokens: 1 } });
    const r = await generateText({
      model: provider().chatModel(MODEL),
      prompt: "hi",
      maxRetries: 0,
    });
    expect(r.text).toBe("Bonjour");
    expect(r.finishReason).toBe("stop");
    expect(r.usage).toMatchObject({ inputTokens: 4, outputTokens: 1, totalTokens: 5 });
  });

  it("streamText: text deltas and usage (stream_options.include_usage)", async () => {
    mock.enqueue({
      chunks: ["one ", "two ", "three"],
      usage: { promptTokens: 6, completionTokens: 3 },
    });
    const errors: unknown[] = [];
    const s = streamText({
      model: provider().chatModel(MODEL),
      prompt: "count",
      maxRetries: 0,
      onError: ({ error }) => {
        errors.push(error);
      },
    });
    const deltas: string[] = [];
    for await (const delta of s.textStream) deltas.push(delta);
    expect(deltas.join("")).toBe("one two three");
    expect(deltas.length).toBeGreaterThan(1);
    expect(await s.finishReason).toBe("stop");
    expect(await s.usage).toMatchObject({ inputTokens: 6, outputTokens: 3, totalTokens: 9 });
    expect(errors).toEqual([]);
    expect(lastUpstreamBody().stream_options).toEqual({ include_usage: true });
  });

  it("tools: tool calls come back with parsed input; tool_choice passes through", async () => {
    mock.enqueue({
      toolCalls: [{ id: "call_v1", name: "getWeather", arguments: { city: "Oslo" } }],
    });
    const r = await generateText({
      model: provider().chatModel(MODEL),
      prompt: "Weather in Oslo?",
      maxRetries: 0,
      tools: {
        getWeather: tool({
          description: "Current weather in a city",
          inputSchema: jsonSchema<{ city: string }>(weatherParameters),
        }),
      },
      toolChoice: { type: "tool", toolName: "getWeather" },
    });
    expect(r.finishReason).toBe("tool-calls");
    expect(r.toolCalls).toEqual([
      expect.objectContaining({
        toolCallId: "call_v1",
        toolName: "getWeather",
        input: { city: "Oslo" },
      }),
    ]);
    const body = lastUpstreamBody();
    expect(body.tools?.map((t) => t.function.name)).toEqual(["getWeather"]);
    expect(body.tool_choice).toEqual({ type: "function", function: { name: "getWeather" } });
  });

  it("streamText with tools: streamed tool call", async () => {
    mock.enqueue({
      toolCalls: [
        {
          id: "call_v2",
          name: "getWeather",
          arguments: { city: "Lima" },
          argumentChunks: ['{"city":', '"Lima"}'],
        },
      ],
    });
    const s = streamText({
      model: provider().chatModel(MODEL),
      prompt: "Weather in Lima?",
      maxRetries: 0,
      tools: { getWeather: tool({ inputSchema: jsonSchema<{ city: string }>(weatherParameters) }) },
    });
    for await (const _ of s.fullStream) {
      // drain
    }
    expect(await s.toolCalls).toEqual([
      expect.objectContaining({
        toolCallId: "call_v2",
        toolName: "getWeather",
        input: { city: "Lima" },
      }),
    ]);
    expect(await s.finishReason).toBe("tool-calls");
  });

  it("generateObject with structured outputs: response_format json_schema", async () => {
    mock.enqueue({ text: '{"name":"Rivendell","population":500}' });
    const r = await generateObject({
      model: provider(true).chatModel(MODEL),
      schema: jsonSchema<{ name: string; population: number }>(citySchema),
      schemaName: "city",
      prompt: "Invent a city.",
      maxRetries: 0,
    });
    expect(r.object).toEqual({ name: "Rivendell", population: 500 });
    const format = lastUpstreamBody().response_format;
    expect(format?.type).toBe("json_schema");
    expect(format?.json_schema?.name).toBe("city");
  });

  it("generateObject in JSON mode: response_format json_object", async () => {
    mock.enqueue({ text: '{"name":"Gondor","population":9000}' });
    const r = await generateObject({
      model: provider(false).chatModel(MODEL),
      schema: jsonSchema<{ name: string; population: number }>(citySchema),
      prompt: "Invent a city. Answer in JSON.",
      maxRetries: 0,
    });
    expect(r.object).toEqual({ name: "Gondor", population: 9000 });
    expect(lastUpstreamBody().response_format).toEqual({ type: "json_object" });
  });

  it("generateText with Output.object: structured output through json_schema", async () => {
    mock.enqueue({ text: '{"name":"Lothlorien","population":77}' });
    const r = await generateText({
      model: provider(true).chatModel(MODEL),
      output: Output.object({
        schema: jsonSchema<{ name: string; population: number }>(citySchema),
      }),
      prompt: "Invent a city.",
      maxRetries: 0,
    });
    expect(r.output).toEqual({ name: "Lothlorien", population: 77 });
    expect(lastUpstreamBody().response_format?.type).toBe("json_schema");
  });

  it("an upstream 429 becomes an APICallError with status 429 and Retry-After", async () => {
    const rateLimited = {
      error: {
        status: 429,
        headers: { "retry-after": "7" },
        body: {
          error: {
            message: "Rate limit reached for requests",
            type: "requests",
            param: null,
            code: "rate_limit_exceeded",
          },
        },
      },
    };
    mock.enqueue(rateLimited);
    const error = await generateText({
      model: provider().chatModel("no-retries"),
      prompt: "hi",
      maxRetries: 0,
    }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ statusCode: 429 });
    expect((error as { message: string }).message).toMatch(/Rate limit/);
    const headers = (error as { responseHeaders?: Record<string, string> }).responseHeaders;
    expect(headers?.["retry-after"]).toBe("7");
    expect(mock.requests).toHaveLength(1);
  });
});
