import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createMockServer, type MockServer } from "../src/index.js";
import { postJson, readEvents } from "./support/http.js";

// Shapes follow Anthropic's Messages API docs and recorded traffic (vercel/ai
// packages/anthropic/src/__fixtures__/anthropic-tool-no-args.chunks.txt, anthropic-json-tool.1.chunks.txt):
// tool_use blocks after the text block, `input: {}` at content_block_start, an empty first
// input_json_delta, pings between blocks, stop_reason "tool_use".

let server: MockServer;
const request = {
  model: "claude-sonnet-4-5",
  max_tokens: 256,
  messages: [{ role: "user", content: "Weather in Paris and Rome?" }],
  tools: [{ name: "get_weather", input_schema: { type: "object" } }],
};

beforeAll(async () => {
  server = await createMockServer();
});
afterAll(() => server.close());
beforeEach(() => server.reset());

const messages = (body: unknown = request) =>
  postJson(`${server.url}/v1/messages`, body, {
    headers: { "x-api-key": "a-key", "anthropic-version": "2023-06-01" },
  });

describe("Anthropic dialect: tool_use", () => {
  it("renders tool calls as tool_use blocks after the text, with default ids and stop_reason tool_use", async () => {
    server.enqueue({
      text: "Let me check.",
      toolCalls: [
        { name: "get_weather", arguments: { city: "Paris" } },
        { id: "toolu_given", name: "get_weather", arguments: '{"city":"Rome"}' },
      ],
    });
    const body = await (await messages()).json();
    expect(body.content).toEqual([
      { type: "text", text: "Let me check." },
      {
        type: "tool_use",
        id: expect.stringMatching(/^toolu_\d+_0$/),
        name: "get_weather",
        input: { city: "Paris" },
      },
      { type: "tool_use", id: "toolu_given", name: "get_weather", input: { city: "Rome" } },
    ]);
    expect(body.stop_reason).toBe("tool_use");
  });

  it("streams a text block, then each tool_use block with its own index and input_json_delta fragments", async () => {
    server.enqueue({
      chunks: ["On it."],
      toolCalls: [
        { id: "toolu_a", name: "get_weather", arguments: { city: "Paris" } },
        {
          id: "toolu_b",
          name: "get_weather",
          arguments: { city: "Rome" },
          argumentChunks: ['{"ci', 'ty": "Rome"}'],
        },
        { id: "toolu_c", name: "list_cities", arguments: {} },
      ],
      usage: { promptTokens: 12, completionTokens: 30 },
    });
    const events = await readEvents(await messages({ ...request, stream: true }));
    for (const event of events) expect(JSON.parse(event.data).type).toBe(event.event);
    const data = events.map((event) => JSON.parse(event.data));
    expect(data.map((d) => (d.type === "content_block_delta" ? d.delta.type : d.type))).toEqual([
      "message_start",
      "content_block_start",
      "ping",
      "text_delta",
      "content_block_stop",
      "content_block_start",
      "ping",
      "input_json_delta",
      "input_json_delta",
      "content_block_stop",
      "content_block_start",
      "ping",
      "input_json_delta",
      "input_json_delta",
      "content_block_stop",
      "content_block_start",
      "ping",
      "input_json_delta",
      "content_block_stop",
      "message_delta",
      "message_stop",
    ]);
    const starts = data.filter((d) => d.type === "content_block_start");
    expect(starts.map((d) => [d.index, d.content_block])).toEqual([
      [0, { type: "text", text: "" }],
      [1, { type: "tool_use", id: "toolu_a", name: "get_weather", input: {} }],
      [2, { type: "tool_use", id: "toolu_b", name: "get_weather", input: {} }],
      [3, { type: "tool_use", id: "toolu_c", name: "list_cities", input: {} }],
    ]);
    const fragments = (index: number) =>
      data
        .filter((d) => d.type === "content_block_delta" && d.index === index)
        .map((d) => d.delta.partial_json);
    // Recorded: an empty first fragment, then the input; a call without arguments sends only "".
    expect(fragments(1)).toEqual(["", '{"city":"Paris"}']);
    expect(fragments(2)).toEqual(['{"ci', 'ty": "Rome"}']);
    expect(fragments(3)).toEqual([""]);
    expect(data.filter((d) => d.type === "content_block_stop").map((d) => d.index)).toEqual([
      0, 1, 2, 3,
    ]);
    expect(data.at(-2)).toEqual({
      type: "message_delta",
      delta: { stop_reason: "tool_use", stop_sequence: null },
      usage: { output_tokens: 30 },
    });
  });

  it("starts at index 0 when the answer is only a tool call, and counts each fragment as a content chunk", async () => {
    server.enqueue({
      toolCalls: [{ name: "get_weather", arguments: { city: "Oslo" }, argumentChunks: ["", "{}"] }],
      stallAfterChunks: 1,
    });
    const response = await messages({ ...request, stream: true });
    const reader = response.body!.getReader();
    let text = "";
    while (!text.includes("input_json_delta"))
      text += new TextDecoder().decode((await reader.read()).value);
    expect(text).toContain('"index":0,"content_block":{"type":"tool_use"');
    expect(text).not.toContain('"partial_json":"{}"');
    await reader.cancel();
  });
});
