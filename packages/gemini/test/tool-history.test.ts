import type { Message, ToolCall } from "@rephysco/core";
import type { MockServer } from "@rephysco/testing";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { GeminiProvider } from "../src/index.js";
import { bodyOf, call, setup, user } from "./helpers.js";

let server: MockServer;
let provider: GeminiProvider;

beforeAll(async () => {
  ({ server, provider } = await setup());
});
beforeEach(() => server.reset());
afterAll(() => server.close());

const DUMMY = "skip_thought_signature_validator";

const toolCall = (id: string, name: string, args: object, extra: Partial<ToolCall> = {}) => ({
  id,
  name,
  arguments: args,
  rawArguments: JSON.stringify(args),
  ...extra,
});
const assistant = (toolCalls: ToolCall[], extra: Partial<Message> = {}): Message => ({
  role: "assistant",
  content: "",
  toolCalls,
  ...extra,
});
const result = (toolCallId: string, content: string, isError?: boolean): Message => ({
  role: "tool",
  toolCallId,
  content,
  ...(isError !== undefined && { isError }),
});

async function contentsFor(messages: Message[]) {
  await provider.generate(messages, call("gemini-3-pro-preview"));
  return bodyOf(server).contents as { role: string; parts: Record<string, unknown>[] }[];
}

describe("history: tool calls and results", () => {
  it("sends Gemini's calls back exactly: ids, signatures, text signature; results in one user turn", async () => {
    const contents = await contentsFor([
      user("Weather in Paris and Tokyo?"),
      assistant(
        [
          toolCall(
            "fc-1",
            "get_weather",
            { city: "Paris" },
            { providerMetadata: { gemini: { thoughtSignature: "sig-A", functionCallId: "fc-1" } } },
          ),
          toolCall(
            "fc-2",
            "get_weather",
            { city: "Tokyo" },
            { providerMetadata: { gemini: { functionCallId: "fc-2" } } },
          ),
        ],
        { content: "Checking both.", providerMetadata: { gemini: { thoughtSignature: "sig-T" } } },
      ),
      result("fc-1", '{"tempC":18}'),
      result("fc-2", "Rainy, 12 degrees"),
    ]);
    expect(contents).toEqual([
      { role: "user", parts: [{ text: "Weather in Paris and Tokyo?" }] },
      {
        role: "model",
        parts: [
          { text: "Checking both.", thoughtSignature: "sig-T" },
          {
            functionCall: { name: "get_weather", args: { city: "Paris" }, id: "fc-1" },
            thoughtSignature: "sig-A",
          },
          // Gemini signs only the first of parallel calls: the second goes back as it came.
          { functionCall: { name: "get_weather", args: { city: "Tokyo" }, id: "fc-2" } },
        ],
      },
      {
        role: "user",
        parts: [
          { functionResponse: { id: "fc-1", name: "get_weather", response: { tempC: 18 } } },
          {
            functionResponse: {
              id: "fc-2",
              name: "get_weather",
              response: { result: "Rainy, 12 degrees" },
            },
          },
        ],
      },
    ]);
  });

  it("keeps ids Rephysco made on our side: no id on functionCall nor functionResponse", async () => {
    const contents = await contentsFor([
      user("Time?"),
      assistant([
        toolCall(
          "gemini_resp_0",
          "get_time",
          {},
          { providerMetadata: { gemini: { thoughtSignature: "sig" } } },
        ),
      ]),
      result("gemini_resp_0", "12:00"),
    ]);
    expect(contents[1]!.parts).toEqual([
      { functionCall: { name: "get_time", args: {} }, thoughtSignature: "sig" },
    ]);
    expect(contents[2]!.parts).toEqual([
      { functionResponse: { name: "get_time", response: { result: "12:00" } } },
    ]);
  });

  it("wraps results into objects one way: JSON object as is, other text as result, isError as error", async () => {
    const calls = ["a", "b", "c", "d", "e", "f"].map((id) => toolCall(id, "t", {}));
    const contents = await contentsFor([
      user("Go"),
      assistant(calls),
      result("a", '  {"ok":true,"items":[1,2]}'),
      result("b", "plain text"),
      result("c", "[1,2,3]"),
      result("d", '{"broken":'),
      result("e", '{"error":"ignored"}', true),
      result("f", "disk full", true),
    ]);
    const responses = contents[2]!.parts.map(
      (p) => (p.functionResponse as { response: unknown }).response,
    );
    expect(responses).toEqual([
      { ok: true, items: [1, 2] },
      { result: "plain text" },
      { result: "[1,2,3]" },
      { result: '{"broken":' },
      { error: '{"error":"ignored"}' },
      { error: "disk full" },
    ]);
    expect(contents).toHaveLength(3);
  });

  it("looks the name up in the nearest earlier turn that made the call", async () => {
    const contents = await contentsFor([
      user("First"),
      assistant([toolCall("c1", "first_tool", {})]),
      result("c1", "one"),
      { role: "assistant", content: "Next step." },
      user("Again"),
      // Another provider reused the id in a later turn.
      assistant([toolCall("c1", "second_tool", {})]),
      result("c1", "two"),
    ]);
    const names = contents.flatMap((c) =>
      c.parts.flatMap((p) =>
        p.functionResponse ? [(p.functionResponse as { name: string }).name] : [],
      ),
    );
    expect(names).toEqual(["first_tool", "second_tool"]);
  });

  it("gives calls Gemini did not sign the documented dummy signature; other providers' metadata is never sent", async () => {
    const contents = await contentsFor([
      user("Weather?"),
      assistant(
        [
          toolCall(
            "call_abc",
            "get_weather",
            { city: "Paris" },
            { providerMetadata: { openai: { note: "x" }, anthropic: { signature: "ant-sig" } } },
          ),
          toolCall("call_def", "get_weather", { city: "Oslo" }),
        ],
        {
          content: "Looking.",
          reasoning: "hidden reasoning",
          providerMetadata: { anthropic: { signature: "turn-sig" } },
        },
      ),
      result("call_abc", "sunny"),
      result("call_def", "snow"),
      user("Thanks"),
    ]);
    expect(contents[1]).toEqual({
      role: "model",
      parts: [
        { text: "Looking." },
        {
          functionCall: { name: "get_weather", args: { city: "Paris" } },
          thoughtSignature: DUMMY,
        },
        {
          functionCall: { name: "get_weather", args: { city: "Oslo" } },
          thoughtSignature: DUMMY,
        },
      ],
    });
    // Results and the user's next words share the one user turn Gemini needs between model turns.
    expect(contents[2]).toEqual({
      role: "user",
      parts: [
        { functionResponse: { name: "get_weather", response: { result: "sunny" } } },
        { functionResponse: { name: "get_weather", response: { result: "snow" } } },
        { text: "Thanks" },
      ],
    });
    const sent = JSON.stringify(bodyOf(server));
    expect(sent).not.toContain("ant-sig");
    expect(sent).not.toContain("turn-sig");
    expect(sent).not.toContain("hidden reasoning");
  });

  it("a rewritten id is no longer Gemini's: it is not sent", async () => {
    const contents = await contentsFor([
      user("?"),
      assistant([
        toolCall(
          "my-own-id",
          "t",
          {},
          { providerMetadata: { gemini: { functionCallId: "fc-9", thoughtSignature: "s" } } },
        ),
      ]),
      result("my-own-id", "ok"),
    ]);
    expect(contents[1]!.parts).toEqual([
      { functionCall: { name: "t", args: {} }, thoughtSignature: "s" },
    ]);
    expect(contents[2]!.parts).toEqual([
      { functionResponse: { name: "t", response: { result: "ok" } } },
    ]);
  });

  it("sends arguments as an object: parsed raw text when arguments are not one, {} when nothing parses", async () => {
    const contents = await contentsFor([
      user("?"),
      assistant([
        { id: "a", name: "t", arguments: "not an object", rawArguments: '{"q":"x"}' },
        { id: "b", name: "t", arguments: undefined, rawArguments: "{broken" },
      ]),
      result("a", "1"),
      result("b", "2"),
    ]);
    expect(contents[1]!.parts.map((p) => (p.functionCall as { args: unknown }).args)).toEqual([
      { q: "x" },
      {},
    ]);
  });

  it("round-trips a Gemini answer through JSON history: signatures sent back exactly", async () => {
    server.enqueue({
      text: "Let me look.",
      thoughtSignature: "sig-text-\u00e9/+==",
      toolCalls: [
        { name: "get_weather", arguments: { city: "Paris" }, thoughtSignature: "sig-call-1" },
        { name: "get_time", arguments: { tz: "CET" } },
      ],
    });
    const first = await provider.generate(
      [user("Weather and time?")],
      call("gemini-3-pro-preview"),
    );
    const history: Message[] = JSON.parse(
      JSON.stringify([
        user("Weather and time?"),
        {
          role: "assistant",
          content: first.content,
          toolCalls: first.toolCalls,
          providerMetadata: first.providerMetadata,
        },
        ...first.toolCalls!.map((c, i) => result(c.id, i === 0 ? '{"tempC":18}' : "12:00")),
      ]),
    );
    await provider.generate(history, call("gemini-3-pro-preview"));
    const contents = bodyOf(server, 1).contents as { role: string; parts: unknown[] }[];
    expect(contents[1]).toEqual({
      role: "model",
      parts: [
        { text: "Let me look.", thoughtSignature: "sig-text-\u00e9/+==" },
        {
          functionCall: { name: "get_weather", args: { city: "Paris" } },
          thoughtSignature: "sig-call-1",
        },
        { functionCall: { name: "get_time", args: { tz: "CET" } } },
      ],
    });
    expect(contents[2]).toEqual({
      role: "user",
      parts: [
        { functionResponse: { name: "get_weather", response: { tempC: 18 } } },
        { functionResponse: { name: "get_time", response: { result: "12:00" } } },
      ],
    });
  });

  it("a streamed answer's calls and text signature replay the same way", async () => {
    server.enqueue({
      chunks: ["Hm."],
      thoughtSignature: "sig-text",
      toolCalls: [{ name: "get_time", arguments: {}, thoughtSignature: "sig-call" }],
    });
    let providerMetadata: Message["providerMetadata"];
    const calls: ToolCall[] = [];
    for await (const part of provider.stream([user("Time?")], call("gemini-3-pro-preview"))) {
      if (!("type" in part)) continue;
      if (part.type === "metadata" && part.providerMetadata)
        providerMetadata = part.providerMetadata;
      if (part.type === "tool-call-start")
        calls.push({
          id: part.id,
          name: part.name,
          arguments: {},
          rawArguments: "{}",
          ...(part.providerMetadata && { providerMetadata: part.providerMetadata }),
        });
    }
    await provider.generate(
      [
        user("Time?"),
        assistant(calls, { content: "Hm.", ...(providerMetadata && { providerMetadata }) }),
        result(calls[0]!.id, "noon"),
      ],
      call("gemini-3-pro-preview"),
    );
    expect((bodyOf(server, 1).contents as { parts: unknown[] }[])[1]!.parts).toEqual([
      { text: "Hm.", thoughtSignature: "sig-text" },
      { functionCall: { name: "get_time", args: {} }, thoughtSignature: "sig-call" },
    ]);
  });
});
