import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createMockServer, type MockServer } from "../src/index.js";
import { OpenAI } from "./support/clients.js";
import { jsonEvents, postJson, readEvents } from "./support/http.js";

// Shapes follow recorded traffic: OpenAI tool-call streams (first delta with id, type, name and
// `arguments: ""` beside `role` and `content: null`, then `{index, function: {arguments}}`
// fragments), vercel/ai alibaba-tool-call.json / .chunks.txt (DashScope repeats `"id": ""` and
// `"type": "function"`, a trailing empty-arguments delta, `content: ""` in whole answers) and
// xai-tool-call.json / .chunks.txt (a whole call in one chunk, no finish_reason until the end).

let server: MockServer;
const request = {
  model: "gpt-4.1-nano",
  messages: [{ role: "user" as const, content: "Weather?" }],
};

beforeAll(async () => {
  server = await createMockServer();
});
afterAll(() => server.close());
beforeEach(() => server.reset());

const chat = (body: unknown) => postJson(`${server.url}/v1/chat/completions`, body);
type Choice = { delta: Record<string, unknown>; finish_reason?: string | null };
const choices = (chunk: Record<string, unknown>) => chunk.choices as Choice[];
const streamed = async (body: unknown = { ...request, stream: true }) =>
  jsonEvents(await readEvents(await chat(body)));
const deltas = (chunks: Record<string, unknown>[]) =>
  chunks.filter((c) => choices(c).length > 0).map((c) => choices(c)[0]!.delta);

describe("OpenAI dialect: tool calls in a whole answer", () => {
  it("renders message.tool_calls with content null, default ids and finish tool_calls", async () => {
    server.enqueue({
      toolCalls: [
        { name: "get_weather", arguments: { city: "Paris" } },
        { id: "call_given", name: "get_time", arguments: '{"tz":"CET"}' },
      ],
    });
    const body = await (await chat(request)).json();
    expect(body.choices[0]).toEqual({
      index: 0,
      message: {
        role: "assistant",
        content: null,
        tool_calls: [
          {
            id: expect.stringMatching(/^call_\d+_0$/),
            type: "function",
            function: { name: "get_weather", arguments: '{"city":"Paris"}' },
          },
          {
            id: "call_given",
            type: "function",
            function: { name: "get_time", arguments: '{"tz":"CET"}' },
          },
        ],
        refusal: null,
        annotations: [],
      },
      logprobs: null,
      finish_reason: "tool_calls",
    });
  });

  it("keeps text next to the calls and sends broken argument text verbatim", async () => {
    server.enqueue({ text: "Checking.", toolCalls: [{ name: "f", arguments: '{"a":' }] });
    const message = (await (await chat(request)).json()).choices[0].message;
    expect(message.content).toBe("Checking.");
    expect(message.tool_calls[0].function.arguments).toBe('{"a":');
  });

  it('DashScope and xAI styles send content "" and their own call shapes', async () => {
    server.enqueue([
      {
        toolCallStyle: "dashscope",
        toolCalls: [{ name: "weather", arguments: { location: "SF" } }],
      },
      { toolCallStyle: "xai", toolCalls: [{ name: "weather", arguments: { location: "SF" } }] },
    ]);
    const qwen = (await (await chat(request)).json()).choices[0].message;
    expect(qwen.content).toBe("");
    expect(qwen.tool_calls).toEqual([
      {
        function: { arguments: '{"location":"SF"}', name: "weather" },
        id: expect.stringMatching(/^call_\d+_0$/),
        index: 0,
        type: "function",
      },
    ]);
    const grok = (await (await chat(request)).json()).choices[0].message;
    expect(grok.content).toBe("");
    expect(grok).not.toHaveProperty("annotations");
    expect(grok.tool_calls).toEqual([
      {
        id: expect.stringMatching(/^call_\d+_0$/),
        function: { name: "weather", arguments: '{"location":"SF"}' },
        type: "function",
      },
    ]);
  });

  it("renders a refusal as message.refusal with content null and finish stop", async () => {
    server.enqueue({ refusal: "I can't help with that." });
    const body = await (await chat(request)).json();
    expect(body.choices[0].message).toMatchObject({
      content: null,
      refusal: "I can't help with that.",
    });
    expect(body.choices[0].finish_reason).toBe("stop");
  });
});

describe("OpenAI dialect: streamed tool calls", () => {
  it("openai style: a start delta per index, then argument fragments, finish, usage, [DONE]", async () => {
    server.enqueue({
      toolCalls: [
        { name: "get_weather", arguments: "", argumentChunks: ['{"city":', '"Paris"}'] },
        { id: "call_b", name: "get_time", arguments: "", argumentChunks: ['{"tz":"CET"}'] },
      ],
      usage: { promptTokens: 9, completionTokens: 4 },
    });
    const events = await readEvents(
      await chat({ ...request, stream: true, stream_options: { include_usage: true } }),
    );
    expect(events.at(-1)!.data).toBe("[DONE]");
    const chunks = jsonEvents(events);
    expect(deltas(chunks)).toEqual([
      {
        role: "assistant",
        tool_calls: [
          {
            index: 0,
            id: expect.stringMatching(/^call_\d+_0$/),
            type: "function",
            function: { name: "get_weather", arguments: "" },
          },
        ],
        content: null,
        refusal: null,
      },
      { tool_calls: [{ index: 0, function: { arguments: '{"city":' } }] },
      { tool_calls: [{ index: 0, function: { arguments: '"Paris"}' } }] },
      {
        tool_calls: [
          {
            index: 1,
            id: "call_b",
            type: "function",
            function: { name: "get_time", arguments: "" },
          },
        ],
      },
      { tool_calls: [{ index: 1, function: { arguments: '{"tz":"CET"}' } }] },
      {},
    ]);
    expect(chunks.map((c) => choices(c)[0]?.finish_reason)).toEqual([
      null,
      null,
      null,
      null,
      null,
      "tool_calls",
      undefined,
    ]);
    expect(chunks.at(-1)).toMatchObject({ choices: [], usage: { prompt_tokens: 9 } });
  });

  it("tool calls come after streamed text, without a second role", async () => {
    server.enqueue({ chunks: ["Let me check."], toolCalls: [{ name: "f", arguments: {} }] });
    const d = deltas(await streamed());
    expect(d[0]).toEqual({ role: "assistant", content: "Let me check." });
    expect(d[1]).toEqual({
      tool_calls: [
        {
          index: 0,
          id: expect.stringMatching(/^call_\d+_0$/),
          type: "function",
          function: { name: "f", arguments: "" },
        },
      ],
    });
    expect(d[2]).toEqual({ tool_calls: [{ index: 0, function: { arguments: "{}" } }] });
  });

  it("dashscope style: repeated empty id and type, first fragment in the first delta, trailing empty delta", async () => {
    server.enqueue({
      toolCallStyle: "dashscope",
      toolCalls: [
        {
          id: "call_eee",
          name: "weather",
          arguments: "",
          argumentChunks: ['{"location": "San', ' Francisco"}'],
        },
      ],
    });
    const chunks = await streamed();
    expect(deltas(chunks)).toEqual([
      {
        role: "assistant",
        content: null,
        tool_calls: [
          {
            index: 0,
            id: "call_eee",
            type: "function",
            function: { name: "weather", arguments: '{"location": "San' },
          },
        ],
      },
      {
        content: null,
        tool_calls: [
          { index: 0, id: "", type: "function", function: { arguments: ' Francisco"}' } },
        ],
      },
      { tool_calls: [{ function: { arguments: "" }, index: 0, id: "", type: "function" }] },
      {},
    ]);
    expect(choices(chunks.at(-1)!)[0]!.finish_reason).toBe("tool_calls");
  });

  it("dashscope style with an empty first chunk gives the recorded empty start", async () => {
    server.enqueue({
      toolCallStyle: "dashscope",
      toolCalls: [{ name: "weather", arguments: "", argumentChunks: ["", '{"a":1}'] }],
    });
    const d = deltas(await streamed());
    expect((d[0]!.tool_calls as { function: unknown }[])[0]!.function).toEqual({
      name: "weather",
      arguments: "",
    });
    expect(d).toHaveLength(4);
  });

  it("xai style: each whole call in one chunk, no finish_reason until the finish chunk", async () => {
    server.enqueue({
      toolCallStyle: "xai",
      reasoningChunks: ["First"],
      toolCalls: [
        { id: "call_1", name: "weather", arguments: { location: "SF" } },
        { id: "call_2", name: "weather", arguments: { location: "LA" } },
      ],
    });
    const chunks = await streamed();
    expect(chunks.map((c) => choices(c)[0])).toEqual([
      { index: 0, delta: { role: "assistant", reasoning_content: "First" } },
      {
        index: 0,
        delta: {
          tool_calls: [
            {
              id: "call_1",
              function: { name: "weather", arguments: '{"location":"SF"}' },
              index: 0,
              type: "function",
            },
          ],
        },
      },
      {
        index: 0,
        delta: {
          tool_calls: [
            {
              id: "call_2",
              function: { name: "weather", arguments: '{"location":"LA"}' },
              index: 1,
              type: "function",
            },
          ],
        },
      },
      { index: 0, delta: {}, logprobs: null, finish_reason: "tool_calls" },
    ]);
  });

  it("streams a refusal as delta.refusal fragments, content null on the first", async () => {
    server.enqueue({ refusalChunks: ["I can't", " help."] });
    const chunks = await streamed();
    expect(deltas(chunks)).toEqual([
      { role: "assistant", refusal: "I can't", content: null },
      { refusal: " help." },
      {},
    ]);
    expect(choices(chunks.at(-1)!)[0]!.finish_reason).toBe("stop");
  });

  it("fault counters count tool-call deltas as chunks", async () => {
    server.enqueue({
      toolCalls: [{ name: "f", arguments: "", argumentChunks: ['{"a":', "1}"] }],
      resetAfterChunks: 2,
    });
    const response = await chat({ ...request, stream: true });
    const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
    let text = "";
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        text += value;
      }
    } catch {
      // the reset
    }
    const frames = text.split("\n\n").filter(Boolean);
    expect(frames).toHaveLength(2);
    expect(frames[1]).toContain('{\\"a\\":');
  });
});

describe("OpenAI dialect: the official openai SDK reads the tool calls", () => {
  const client = () =>
    new OpenAI({ apiKey: "sk-test", baseURL: `${server.url}/v1`, maxRetries: 0 });

  it("parses whole tool calls and a refusal", async () => {
    server.enqueue([
      { toolCalls: [{ name: "get_weather", arguments: { city: "Paris" } }] },
      { refusal: "No." },
    ]);
    const completion = await client().chat.completions.create(request);
    expect(completion.choices[0]!.message.tool_calls).toEqual([
      {
        id: expect.stringMatching(/^call_\d+_0$/),
        type: "function",
        function: { name: "get_weather", arguments: '{"city":"Paris"}' },
      },
    ]);
    expect(completion.choices[0]!.finish_reason).toBe("tool_calls");
    const refused = await client().chat.completions.create(request);
    expect(refused.choices[0]!.message).toMatchObject({ content: null, refusal: "No." });
  });

  it("assembles streamed calls with the SDK's stream helper", async () => {
    server.enqueue({
      toolCallStyle: "dashscope",
      toolCalls: [
        { id: "c1", name: "a", arguments: "", argumentChunks: ['{"x"', ":1}"] },
        { id: "c2", name: "b", arguments: "", argumentChunks: ["", '{"y":2}'] },
      ],
    });
    const runner = client().chat.completions.stream({ ...request, stream: true });
    const final = await runner.finalChatCompletion();
    expect(final.choices[0]!.message.tool_calls).toMatchObject([
      { id: "c1", type: "function", function: { name: "a", arguments: '{"x":1}' } },
      { id: "c2", type: "function", function: { name: "b", arguments: '{"y":2}' } },
    ]);
  });
});
