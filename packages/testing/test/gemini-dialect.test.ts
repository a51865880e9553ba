import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createMockServer, type MockServer } from "../src/index.js";
import { jsonEvents, postJson, readEvents } from "./support/http.js";

let server: MockServer;
const request = {
  contents: [
    { role: "user", parts: [{ text: "earlier" }] },
    { role: "model", parts: [{ text: "previous answer" }] },
    { role: "user", parts: [{ text: "and now?" }] },
  ],
  systemInstruction: { parts: [{ text: "You are terse." }] },
};

beforeAll(async () => {
  server = await createMockServer();
});
afterAll(() => server.close());
beforeEach(() => server.reset());

const generate = (model = "gemini-2.5-flash", version = "v1beta") =>
  postJson(`${server.url}/${version}/models/${model}:generateContent`, request, {
    headers: { "x-goog-api-key": "g-key" },
  });
const streamGenerate = (query = "?alt=sse") =>
  postJson(`${server.url}/v1beta/models/gemini-2.5-flash:streamGenerateContent${query}`, request);

type Candidate = {
  content?: { parts: { text: string; thought?: boolean }[] };
  finishReason?: string;
};
const candidate = (event: Record<string, unknown>) => (event.candidates as Candidate[])[0]!;

describe("Gemini dialect: generateContent", () => {
  it("answers the echo reply with candidates, usageMetadata and modelVersion", async () => {
    const response = await generate();
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("application/json; charset=UTF-8");
    const body = await response.json();
    expect(body).toMatchObject({
      candidates: [
        {
          content: { parts: [{ text: "Echo: and now?" }], role: "model" },
          finishReason: "STOP",
          index: 0,
        },
      ],
      usageMetadata: { promptTokenCount: 8, candidatesTokenCount: 3, totalTokenCount: 11 },
      modelVersion: "gemini-2.5-flash",
    });
    expect(typeof body.responseId).toBe("string");
  });

  it("serves /v1/ too and records the model path, query and api key header", async () => {
    await generate("gemini-2.0-flash", "v1");
    expect(server.requests[0]).toMatchObject({
      path: "/v1/models/gemini-2.0-flash:generateContent",
      dialect: "gemini",
      stream: false,
      headers: { "x-goog-api-key": "g-key" },
    });
  });

  it("puts thoughts first as thought parts and counts thoughtsTokenCount in the total", async () => {
    server.enqueue({
      reasoning: "Let me think",
      text: "Three",
      usage: { promptTokens: 9, completionTokens: 28, reasoningTokens: 244 },
    });
    const body = await (await generate()).json();
    expect(candidate(body).content!.parts).toEqual([
      { text: "Let me think", thought: true },
      { text: "Three" },
    ]);
    expect(body.usageMetadata).toMatchObject({
      promptTokenCount: 9,
      candidatesTokenCount: 28,
      thoughtsTokenCount: 244,
      totalTokenCount: 281,
    });
  });

  it("translates OpenAI finish reasons and drops content for a blocked output", async () => {
    server.enqueue([{ text: "cut", finishReason: "length" }, { finishReason: "SAFETY" }]);
    expect(candidate(await (await generate()).json()).finishReason).toBe("MAX_TOKENS");
    const blocked = candidate(await (await generate()).json());
    expect(blocked.finishReason).toBe("SAFETY");
    expect(blocked).not.toHaveProperty("content");
  });

  it("can model a blocked prompt with extra (promptFeedback, no candidates)", async () => {
    server.enqueue({ extra: { candidates: undefined, promptFeedback: { blockReason: "SAFETY" } } });
    const body = await (await generate()).json();
    expect(body).not.toHaveProperty("candidates");
    expect(body.promptFeedback).toEqual({ blockReason: "SAFETY" });
  });
});

describe("Gemini dialect: streamGenerateContent", () => {
  it("frames events with CRLF blank lines and no [DONE]", async () => {
    server.enqueue({ chunks: ["a", "b"] });
    const response = await streamGenerate();
    expect(response.headers.get("content-type")).toBe("text/event-stream");
    const text = await response.text();
    expect(text.endsWith("\r\n\r\n")).toBe(true);
    expect(text).not.toContain("[DONE]");
    const frames = text.split("\r\n\r\n").filter(Boolean);
    expect(frames).toHaveLength(3);
    for (const frame of frames) expect(frame).toMatch(/^data: \{.*\}$/);
  });

  it("sends cumulative usage on every chunk and the finish reason only on the last", async () => {
    server.enqueue({
      reasoningChunks: ["hmm"],
      chunks: ["a", "b"],
      usage: { promptTokens: 5, completionTokens: 4, reasoningTokens: 2 },
    });
    const events = jsonEvents(await readEvents(await streamGenerate()));
    expect(events).toHaveLength(4);
    expect(events.map((event) => candidate(event).content?.parts)).toEqual([
      [{ text: "hmm", thought: true }],
      [{ text: "a" }],
      [{ text: "b" }],
      [{ text: "" }],
    ]);
    expect(events.map((event) => candidate(event).finishReason)).toEqual([
      undefined,
      undefined,
      undefined,
      "STOP",
    ]);
    const usage = events.map((event) => event.usageMetadata as Record<string, number>);
    expect(usage.map((u) => u.candidatesTokenCount)).toEqual([0, 2, 4, 4]);
    expect(usage.map((u) => u.thoughtsTokenCount)).toEqual([2, 2, 2, 2]);
    expect(usage.at(-1)!.totalTokenCount).toBe(11);
    for (const event of events) expect(event.modelVersion).toBe("gemini-2.5-flash");
  });

  it("omitFinish drops the finish reason; extra lands on the last event", async () => {
    server.enqueue({
      text: "a",
      omitFinish: true,
      extra: { promptFeedback: { blockReason: "OTHER" } },
    });
    const events = jsonEvents(await readEvents(await streamGenerate()));
    expect(events.map((event) => candidate(event).finishReason)).toEqual([undefined, undefined]);
    expect(events.at(-1)!.promptFeedback).toEqual({ blockReason: "OTHER" });
  });

  it("midStreamError sends an error JSON event, then ends", async () => {
    server.enqueue({ chunks: ["a", "b"], midStreamError: { afterChunks: 1 } });
    const events = jsonEvents(await readEvents(await streamGenerate()));
    expect(events).toHaveLength(2);
    expect(events[1]).toMatchObject({ error: { code: 500, status: "INTERNAL" } });
  });

  it("without alt=sse streams a JSON array", async () => {
    server.enqueue({ chunks: ["a", "b"] });
    const response = await streamGenerate("");
    expect(response.headers.get("content-type")).toBe("application/json; charset=UTF-8");
    const body = (await response.json()) as Record<string, unknown>[];
    expect(body).toHaveLength(3);
    expect(candidate(body[2]!).finishReason).toBe("STOP");
  });
});
