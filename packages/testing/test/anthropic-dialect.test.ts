import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createMockServer, type MockServer } from "../src/index.js";
import { postJson, readEvents } from "./support/http.js";

let server: MockServer;
const request = {
  model: "claude-sonnet-4-5",
  max_tokens: 256,
  system: "Be brief.",
  messages: [{ role: "user", content: [{ type: "text", text: "Hello Claude" }] }],
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

describe("Anthropic dialect: messages", () => {
  it("answers the echo reply as a message with a request-id header", async () => {
    const response = await messages();
    expect(response.status).toBe(200);
    expect(response.headers.get("request-id")).toMatch(/^req_mock_\d+$/);
    expect(await response.json()).toMatchObject({
      type: "message",
      role: "assistant",
      model: "claude-sonnet-4-5",
      content: [{ type: "text", text: "Echo: Hello Claude" }],
      stop_reason: "end_turn",
      stop_sequence: null,
      usage: { input_tokens: 4, output_tokens: 3 },
    });
    expect(server.requests[0]).toMatchObject({
      dialect: "anthropic",
      headers: { "x-api-key": "a-key" },
    });
  });

  it("renders thinking blocks before text and maps OpenAI finish reasons", async () => {
    server.enqueue({ reasoning: "Let me see", text: "Hi", finishReason: "length" });
    const body = await (await messages()).json();
    expect(body.content).toEqual([
      { type: "thinking", thinking: "Let me see", signature: expect.any(String) },
      { type: "text", text: "Hi" },
    ]);
    expect(body.stop_reason).toBe("max_tokens");
  });
});

describe("Anthropic dialect: stream", () => {
  it("sends the documented event sequence with named events", async () => {
    server.enqueue({
      reasoningChunks: ["Let", " me"],
      chunks: ["Hel", "lo"],
      usage: { promptTokens: 10, completionTokens: 7 },
    });
    const response = await messages({ ...request, stream: true });
    expect(response.headers.get("content-type")).toBe("text/event-stream; charset=utf-8");
    const events = await readEvents(response);
    for (const event of events) expect(JSON.parse(event.data).type).toBe(event.event);
    expect(events.map((event) => event.event)).toEqual([
      "message_start",
      "content_block_start",
      "ping",
      "content_block_delta",
      "content_block_delta",
      "content_block_delta",
      "content_block_stop",
      "content_block_start",
      "content_block_delta",
      "content_block_delta",
      "content_block_stop",
      "message_delta",
      "message_stop",
    ]);
    const data = events.map((event) => JSON.parse(event.data));
    expect(data[0].message).toMatchObject({
      content: [],
      stop_reason: null,
      usage: { input_tokens: 10 },
    });
    expect(data[1]).toEqual({
      type: "content_block_start",
      index: 0,
      content_block: { type: "thinking", thinking: "", signature: "" },
    });
    expect(data.slice(3, 6).map((event) => event.delta.type)).toEqual([
      "thinking_delta",
      "thinking_delta",
      "signature_delta",
    ]);
    expect(data[7]).toMatchObject({ index: 1, content_block: { type: "text", text: "" } });
    expect(data.slice(8, 10).map((event) => event.delta)).toEqual([
      { type: "text_delta", text: "Hel" },
      { type: "text_delta", text: "lo" },
    ]);
    expect(data[11]).toEqual({
      type: "message_delta",
      delta: { stop_reason: "end_turn", stop_sequence: null },
      usage: { output_tokens: 7 },
    });
  });

  it("omitFinish drops message_delta and omitDone drops message_stop", async () => {
    server.enqueue({ text: "a", omitFinish: true, omitDone: true });
    const events = await readEvents(await messages({ ...request, stream: true }));
    expect(events.map((event) => event.event)).not.toContain("message_delta");
    expect(events.map((event) => event.event)).not.toContain("message_stop");
    expect(events.at(-1)!.event).toBe("content_block_stop");
  });

  it("counts faults in content chunks: stall after one chunk delivers the preamble and that chunk", async () => {
    server.enqueue({ chunks: ["a", "b"], stallAfterChunks: 1 });
    const response = await messages({ ...request, stream: true });
    const reader = response.body!.getReader();
    let text = "";
    while (!text.includes("text_delta"))
      text += new TextDecoder().decode((await reader.read()).value);
    expect(text).toContain("event: message_start");
    expect(text).not.toContain('"text":"b"');
    await reader.cancel();
    await server.whenIdle();
    expect(server.requests[0]!.aborted).toBe(true);
  });

  it("midStreamError sends `event: error` with the overloaded body", async () => {
    server.enqueue({ chunks: ["a", "b"], midStreamError: { afterChunks: 1 } });
    const events = await readEvents(await messages({ ...request, stream: true }));
    const last = events.at(-1)!;
    expect(last.event).toBe("error");
    expect(JSON.parse(last.data)).toEqual({
      type: "error",
      error: { type: "overloaded_error", message: "Overloaded" },
    });
    expect(events.filter((event) => event.data.includes("text_delta"))).toHaveLength(1);
  });
});
