import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createMockServer, type MockServer } from "../src/index.js";
import { jsonEvents, postJson, readEvents } from "./support/http.js";

// Shapes follow recorded Gemini traffic (vercel/ai google fixtures google-tool-call*.json and
// .chunks.txt, google-recursive-tool-call.chunks.txt, google-reasoning-gemini3.chunks.txt): a
// whole functionCall part with its thoughtSignature beside it, finish reason STOP, and in streams
// the text's signature on the closing event's empty text part.

let server: MockServer;
const request = { contents: [{ role: "user", parts: [{ text: "Weather in Paris and Tokyo?" }] }] };

beforeAll(async () => {
  server = await createMockServer();
});
afterAll(() => server.close());
beforeEach(() => server.reset());

const generate = () =>
  postJson(`${server.url}/v1beta/models/gemini-3-pro-preview:generateContent`, request);
const streamGenerate = () =>
  postJson(
    `${server.url}/v1beta/models/gemini-3-pro-preview:streamGenerateContent?alt=sse`,
    request,
  );

type Candidate = {
  content?: { parts: Record<string, unknown>[]; role: string };
  finishReason?: string;
  finishMessage?: string;
};
const candidate = (event: Record<string, unknown>) => (event.candidates as Candidate[])[0]!;

describe("Gemini dialect: function calls in generateContent", () => {
  it("renders functionCall parts after the text, id only when given, finish STOP", async () => {
    server.enqueue({
      text: "Checking.",
      thoughtSignature: "sig-text",
      toolCalls: [
        { name: "get_weather", arguments: { city: "Paris" }, thoughtSignature: "sig-1" },
        { id: "fc-2", name: "get_weather", arguments: '{"city":"Tokyo"}' },
      ],
    });
    const body = await (await generate()).json();
    const c = candidate(body);
    expect(c.content).toEqual({
      role: "model",
      parts: [
        { text: "Checking.", thoughtSignature: "sig-text" },
        {
          functionCall: { name: "get_weather", args: { city: "Paris" } },
          thoughtSignature: "sig-1",
        },
        { functionCall: { name: "get_weather", args: { city: "Tokyo" }, id: "fc-2" } },
      ],
    });
    expect(c.finishReason).toBe("STOP");
    expect(c.finishMessage).toBe("Model generated function call(s).");
  });

  it("an answer that is only a call has no text part", async () => {
    server.enqueue({ toolCalls: [{ name: "ping", arguments: {} }] });
    const c = candidate(await (await generate()).json());
    expect(c.content!.parts).toEqual([{ functionCall: { name: "ping", args: {} } }]);
  });

  it("a text answer without tool calls keeps no finishMessage and no signature", async () => {
    server.enqueue({ text: "Hi" });
    const c = candidate(await (await generate()).json());
    expect(c.content!.parts).toEqual([{ text: "Hi" }]);
    expect(c).not.toHaveProperty("finishMessage");
  });
});

describe("Gemini dialect: function calls in streamGenerateContent", () => {
  it("sends all calls whole in one event after the text, then the closing STOP event", async () => {
    server.enqueue({
      chunks: ["Let me ", "check."],
      toolCalls: [
        { name: "get_weather", arguments: { city: "Paris" }, thoughtSignature: "sig-1" },
        { name: "get_weather", arguments: { city: "Tokyo" } },
      ],
    });
    const events = jsonEvents(await readEvents(await streamGenerate()));
    expect(events.map((e) => candidate(e).content?.parts)).toEqual([
      [{ text: "Let me " }],
      [{ text: "check." }],
      [
        {
          functionCall: { name: "get_weather", args: { city: "Paris" } },
          thoughtSignature: "sig-1",
        },
        { functionCall: { name: "get_weather", args: { city: "Tokyo" } } },
      ],
      [{ text: "" }],
    ]);
    expect(events.map((e) => candidate(e).finishReason)).toEqual([
      undefined,
      undefined,
      undefined,
      "STOP",
    ]);
    // One answer: the same responseId on every event.
    expect(new Set(events.map((e) => e.responseId)).size).toBe(1);
  });

  it("puts the text's thought signature on the closing event's empty text part", async () => {
    server.enqueue({ chunks: ["4"], thoughtSignature: "sig-text" });
    const events = jsonEvents(await readEvents(await streamGenerate()));
    expect(candidate(events.at(-1)!).content!.parts).toEqual([
      { text: "", thoughtSignature: "sig-text" },
    ]);
    expect(candidate(events.at(-1)!).finishReason).toBe("STOP");
  });

  it("sends the id of a call only when the reply gives one", async () => {
    server.enqueue({ toolCalls: [{ id: "call_345658", name: "search", arguments: { q: "x" } }] });
    const events = jsonEvents(await readEvents(await streamGenerate()));
    expect(candidate(events[0]!).content!.parts).toEqual([
      { functionCall: { name: "search", args: { q: "x" }, id: "call_345658" } },
    ]);
  });
});
