import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createMockServer, type MockServer } from "../src/index.js";
import { OpenAI } from "./support/clients.js";
import { jsonEvents, postJson, readEvents } from "./support/http.js";

let server: MockServer;
const request = { model: "gpt-4.1-nano", messages: [{ role: "user" as const, content: "Say hi" }] };

beforeAll(async () => {
  server = await createMockServer();
});
afterAll(() => server.close());
beforeEach(() => server.reset());

const chat = (body: unknown) => postJson(`${server.url}/v1/chat/completions`, body);

describe("OpenAI dialect: generate", () => {
  it("answers with the echo reply when the queue is empty", async () => {
    const response = await chat(request);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("application/json");
    expect(response.headers.get("x-request-id")).toMatch(/^req_mock_\d+$/);
    const body = await response.json();
    expect(body).toMatchObject({
      object: "chat.completion",
      model: "gpt-4.1-nano",
      choices: [
        {
          index: 0,
          message: { role: "assistant", content: "Echo: Say hi", refusal: null },
          finish_reason: "stop",
        },
      ],
      usage: { prompt_tokens: 2, completion_tokens: 3, total_tokens: 5 },
    });
    expect(body.id).toMatch(/^chatcmpl-/);
    expect(typeof body.created).toBe("number");
  });

  it("echoes the text parts of the last user message", async () => {
    const response = await chat({
      model: "m",
      messages: [
        { role: "user", content: "first" },
        { role: "assistant", content: "ok" },
        {
          role: "user",
          content: [
            { type: "text", text: "What is this?" },
            { type: "image_url", image_url: { url: "data:image/png;base64,AAAA" } },
          ],
        },
      ],
    });
    expect((await response.json()).choices[0].message.content).toBe("Echo: What is this?");
  });

  it("renders reasoning, usage, model, finish reason, headers and extra", async () => {
    server.enqueue({
      text: "Hello",
      reasoning: "Thinking first",
      finishReason: "length",
      usage: { promptTokens: 12, completionTokens: 1, reasoningTokens: 228 },
      model: "grok-3-mini",
      headers: { "x-siliconcloud-trace-id": "trace-1" },
      extra: { system_fingerprint: "fp_custom", service_tier: undefined },
    });
    const response = await chat(request);
    expect(response.headers.get("x-siliconcloud-trace-id")).toBe("trace-1");
    const body = await response.json();
    expect(body.model).toBe("grok-3-mini");
    expect(body.system_fingerprint).toBe("fp_custom");
    expect(body).not.toHaveProperty("service_tier");
    expect(body.choices[0]).toMatchObject({
      message: { content: "Hello", reasoning_content: "Thinking first" },
      finish_reason: "length",
    });
    expect(body.usage).toMatchObject({
      prompt_tokens: 12,
      completion_tokens: 1,
      total_tokens: 13,
      completion_tokens_details: { reasoning_tokens: 228 },
    });
  });

  it("sends finish_reason null with omitFinish and a custom status", async () => {
    server.enqueue({ text: "x", omitFinish: true, status: 203 });
    const response = await chat(request);
    expect(response.status).toBe(203);
    expect((await response.json()).choices[0].finish_reason).toBeNull();
  });
});

describe("OpenAI dialect: stream", () => {
  it("frames every chunk as `data: <json>\\n\\n` and ends with `data: [DONE]\\n\\n`", async () => {
    server.enqueue({ chunks: ["Hel", "lo"] });
    const response = await chat({ ...request, stream: true });
    expect(response.headers.get("content-type")).toBe("text/event-stream");
    const text = await response.text();
    expect(text.endsWith("data: [DONE]\n\n")).toBe(true);
    const frames = text.split("\n\n").filter(Boolean);
    for (const frame of frames) expect(frame).toMatch(/^data: \S.*$/);
    expect(frames).toHaveLength(4);
  });

  it("streams content deltas, finish_reason null until the end, no usage without include_usage", async () => {
    server.enqueue({ chunks: ["Hel", "lo"] });
    const chunks = jsonEvents(await readEvents(await chat({ ...request, stream: true })));
    expect(chunks.map((chunk) => chunk.object)).toEqual(Array(3).fill("chat.completion.chunk"));
    expect(chunks.map((chunk) => (chunk.choices as { delta: unknown }[])[0]!.delta)).toEqual([
      { role: "assistant", content: "Hel" },
      { content: "lo" },
      {},
    ]);
    expect(
      chunks.map((chunk) => (chunk.choices as { finish_reason: unknown }[])[0]!.finish_reason),
    ).toEqual([null, null, "stop"]);
    for (const chunk of chunks) expect(chunk).not.toHaveProperty("usage");
    expect(new Set(chunks.map((chunk) => chunk.id)).size).toBe(1);
  });

  it("adds a usage chunk with empty choices only when stream_options.include_usage is true", async () => {
    server.enqueue({ chunks: ["a b"], usage: { promptTokens: 4, completionTokens: 2 } });
    const chunks = jsonEvents(
      await readEvents(
        await chat({ ...request, stream: true, stream_options: { include_usage: true } }),
      ),
    );
    const last = chunks.at(-1)!;
    expect(last.choices).toEqual([]);
    expect(last.usage).toMatchObject({ prompt_tokens: 4, completion_tokens: 2, total_tokens: 6 });
    for (const chunk of chunks.slice(0, -1)) expect(chunk.usage).toBeNull();
  });

  it("streams reasoning_content before content", async () => {
    server.enqueue({ reasoningChunks: ["We", " think"], chunks: ["Answer"] });
    const chunks = jsonEvents(await readEvents(await chat({ ...request, stream: true })));
    expect(chunks.map((chunk) => (chunk.choices as { delta: unknown }[])[0]!.delta)).toEqual([
      { role: "assistant", reasoning_content: "We" },
      { reasoning_content: " think" },
      { content: "Answer" },
      {},
    ]);
  });

  it("uses DashScope-style null fields with nullFields", async () => {
    server.enqueue({ reasoning: "We", text: "The word", nullFields: true });
    const chunks = jsonEvents(await readEvents(await chat({ ...request, stream: true })));
    expect(chunks.map((chunk) => (chunk.choices as { delta: unknown }[])[0]!.delta)).toEqual([
      { role: "assistant", content: null, reasoning_content: "We" },
      { content: "The word", reasoning_content: null },
      { content: "", reasoning_content: null },
    ]);
  });

  it("leaves out [DONE] with omitDone and the finish chunk with omitFinish", async () => {
    server.enqueue([
      { text: "a", omitDone: true },
      { text: "b", omitFinish: true },
    ]);
    const first = await readEvents(await chat({ ...request, stream: true }));
    expect(first.map((event) => event.data)).not.toContain("[DONE]");
    expect(first).toHaveLength(2);
    const second = await readEvents(await chat({ ...request, stream: true }));
    expect(second.map((event) => event.data).at(-1)).toBe("[DONE]");
    const finishes = jsonEvents(second).map(
      (chunk) => (chunk.choices as { finish_reason: unknown }[])[0]!.finish_reason,
    );
    expect(finishes).toEqual([null]);
  });

  it("merges extra into the finish chunk", async () => {
    server.enqueue({ text: "a", finishReason: "content_filter", extra: { marker: 1 } });
    const chunks = jsonEvents(await readEvents(await chat({ ...request, stream: true })));
    expect(chunks.at(-1)).toMatchObject({
      marker: 1,
      choices: [{ finish_reason: "content_filter" }],
    });
    expect(chunks[0]).not.toHaveProperty("marker");
  });
});

describe("OpenAI dialect: the official openai SDK", () => {
  const client = () =>
    new OpenAI({ apiKey: "sk-test", baseURL: `${server.url}/v1`, maxRetries: 0 });

  it("parses a completion and reports the request id", async () => {
    server.enqueue({ text: "Hi there", usage: { promptTokens: 3, completionTokens: 2 } });
    const completion = await client().chat.completions.create(request);
    expect(completion.choices[0]!.message.content).toBe("Hi there");
    expect(completion.usage?.total_tokens).toBe(5);
    expect(server.requests[0]!.headers.authorization).toBe("Bearer sk-test");
    expect(server.requests[0]!.body).toMatchObject(request);
  });

  it("streams chunks with usage", async () => {
    server.enqueue({ chunks: ["One ", "two"], usage: { promptTokens: 3, completionTokens: 2 } });
    const stream = await client().chat.completions.create({
      ...request,
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = "";
    let finish: string | null | undefined;
    let total: number | undefined;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? "";
      finish = chunk.choices[0]?.finish_reason ?? finish;
      total = chunk.usage?.total_tokens ?? total;
    }
    expect({ text, finish, total }).toEqual({ text: "One two", finish: "stop", total: 5 });
  });

  it("surfaces a mid-stream error event as an APIError", async () => {
    server.enqueue({ chunks: ["a", "b"], midStreamError: { afterChunks: 1 } });
    const stream = await client().chat.completions.create({ ...request, stream: true });
    const seen: string[] = [];
    await expect(
      (async () => {
        for await (const chunk of stream) seen.push(chunk.choices[0]?.delta.content ?? "");
      })(),
    ).rejects.toThrow(/The server had an error/);
    expect(seen).toEqual(["a"]);
  });
});
