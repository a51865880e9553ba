import {
  InvalidRequestError,
  LLMClient,
  type Message,
  type Provider,
  type StreamChunk,
  type ToolCallDelta,
} from "@rephysco/core";
import type { MockTextReply, MockToolCall } from "../mock-reply.js";
import type { MockServer } from "../mock-server.js";
import type { RecordedRequest } from "../recorded-request.js";
import { caught } from "../test-utils.js";
import { splitIntoChunks } from "../text-reply.js";
import type { ProviderConformanceOptions } from "./conformance-options.js";
import { vitest } from "./vitest-api.js";
import { readConversation, readToolRequest, type WireToolRequest } from "./wire-inspector.js";

/** What the tool cases need from the suite that declares them. */
export interface ToolCaseContext {
  readonly options: ProviderConformanceOptions;
  /** The suite's mock server (created in `beforeAll`). */
  readonly server: () => MockServer;
  /** The suite's provider (created in `beforeAll`). */
  readonly provider: () => Provider;
}

const WEATHER_DESCRIPTION = "Current weather in a city";
/** Closed and flat: a schema every dialect takes as it is (and OpenAI's strict mode allows). */
const WEATHER_SCHEMA = {
  type: "object",
  properties: { city: { type: "string", description: "The city's name" } },
  required: ["city"],
  additionalProperties: false,
};
const TIME_SCHEMA = {
  type: "object",
  properties: { city: { type: "string" }, format: { type: "string", enum: ["12h", "24h"] } },
  required: ["city", "format"],
  additionalProperties: false,
};
const CITY_SCHEMA = {
  type: "object",
  properties: {
    name: { type: "string" },
    population: { type: "integer" },
    districts: {
      type: "array",
      items: {
        type: "object",
        properties: { name: { type: "string" } },
        required: ["name"],
        additionalProperties: false,
      },
    },
  },
  required: ["name", "population", "districts"],
  additionalProperties: false,
};
const CITY = {
  name: "Lumen",
  population: 120000,
  districts: [{ name: "Old Port" }, { name: "Hill" }],
};

const weather = { description: WEATHER_DESCRIPTION, parameters: WEATHER_SCHEMA };
const time = { description: "Local time in a city", parameters: TIME_SCHEMA };

const user = (content: string): Message => ({ role: "user", content });

/** Every item of an async iterable (throws what it throws). */
async function collectAll<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}

/** The tool-call fragments of a stream, grouped by call index (in order of first appearance). */
function deltasByIndex(chunks: readonly StreamChunk[]): Map<number, ToolCallDelta[]> {
  const calls = new Map<number, ToolCallDelta[]>();
  for (const chunk of chunks) {
    const d = chunk.toolCallDelta;
    if (!d) continue;
    const list = calls.get(d.index);
    if (list) list.push(d);
    else calls.set(d.index, [d]);
  }
  return calls;
}

/**
 * Declares the tool-calling and structured-output cases of the provider conformance suite. Each
 * case runs through `LLMClient` against the mock server. A provider that does not declare
 * `capabilities.tools` (or `structuredOutput`) must refuse the same calls with an
 * `InvalidRequestError` (reason `unsupported_feature`) before any request: never drop them.
 */
export function describeToolCases(ctx: ToolCaseContext): void {
  const { describe, it, expect } = vitest();
  const { options } = ctx;
  const { dialect } = options;
  const extra = options.providerOptions ? { providerOptions: options.providerOptions } : {};
  // Gemini (and xAI-style OpenAI streams) send each call whole; the others stream fragments.
  const streamsFragments = dialect !== "gemini" && options.toolCallStyle !== "xai";

  const client = () =>
    new LLMClient({ provider: ctx.provider(), model: options.model, retry: false });
  const reply = (r: MockTextReply): MockTextReply =>
    options.toolCallStyle ? { ...r, toolCallStyle: options.toolCallStyle } : r;
  const wire = (req: RecordedRequest | undefined): WireToolRequest => {
    expect(req, "the provider sent no request to the mock server").toBeDefined();
    return options.readToolRequest
      ? options.readToolRequest(req!.body)
      : readToolRequest(dialect, req!.body);
  };
  const hasTools = () => ctx.provider().capabilities.tools === true;
  const hasStructuredOutput = () => ctx.provider().capabilities.structuredOutput === true;

  /** A provider without the feature refuses the call before any request. */
  async function expectUnsupported(run: () => Promise<unknown>): Promise<void> {
    const error = await caught(run);
    expect(error).toBeInstanceOf(InvalidRequestError);
    expect((error as InvalidRequestError).reason).toBe("unsupported_feature");
    expect(ctx.server().requests).toHaveLength(0);
  }

  /** The JSON answer was asked for in the dialect's form, with the schema visible to the model. */
  function expectJsonRequested(req: RecordedRequest | undefined): void {
    const w = wire(req);
    if (w.json?.mode === "schema") {
      expect(w.json.schema).toEqual(CITY_SCHEMA);
      return;
    }
    if (w.json?.mode === "object") {
      // The loose JSON mode (a service or model without schemas): the schema goes into the prompt.
      const conv = readConversation(dialect, req!.body);
      const prompt = [conv.system, ...conv.turns.map((t) => t.text)].join("\n");
      expect(prompt, "json_object mode without the schema in the prompt").toContain('"population"');
      return;
    }
    // A forced tool whose input is the answer (Anthropic models without native structured output).
    const forced = w.toolChoice;
    expect(forced, "the request asks for no JSON answer").toBeTypeOf("object");
    const name = (forced as { name: string }).name;
    expect(w.tools.find((t) => t.name === name)?.parameters).toEqual(CITY_SCHEMA);
  }

  /** The mock's answer to a JSON request: text, or the forced tool's call when the request forced one. */
  function objectReply(req: RecordedRequest, text: string, chunks: string[]): MockTextReply {
    const w = wire(req);
    const forced =
      w.json === undefined && typeof w.toolChoice === "object" ? w.toolChoice.name : undefined;
    if (forced !== undefined)
      return reply({ toolCalls: [{ name: forced, arguments: text, argumentChunks: chunks }] });
    return req.stream ? { chunks } : { text };
  }

  describe("tools", () => {
    it("generate: returns the tool call parsed, with finishReason tool_calls; the request declares the tool in the dialect's form (when supported)", async () => {
      const server = ctx.server();
      const tools = { get_weather: weather };
      if (!hasTools())
        return expectUnsupported(() =>
          client().generate([user("Weather in Paris?")], { ...extra, tools }),
        );
      server.enqueue(
        reply({
          toolCalls: [{ id: "call_conf_1", name: "get_weather", arguments: { city: "Paris" } }],
        }),
      );
      const r = await client().generate([user("Weather in Paris?")], {
        ...extra,
        tools,
        toolChoice: { name: "get_weather" },
      });
      expect(r.finishReason).toBe("tool_calls");
      expect(r.content).toBe("");
      expect(r.toolCalls).toHaveLength(1);
      const call = r.toolCalls![0]!;
      expect(call).toMatchObject({
        id: "call_conf_1",
        name: "get_weather",
        arguments: { city: "Paris" },
      });
      expect(JSON.parse(call.rawArguments)).toEqual({ city: "Paris" });
      expect(server.requests).toHaveLength(1);
      expect(server.requests[0]?.stream).toBe(false);
      const w = wire(server.requests[0]);
      expect(w.tools).toEqual([
        { name: "get_weather", description: WEATHER_DESCRIPTION, parameters: WEATHER_SCHEMA },
      ]);
      expect(w.toolChoice).toEqual({ name: "get_weather" });
    });

    it("stream: argument fragments arrive as toolCallDelta chunks (index, id and name first); the last chunk has the parsed call (when supported)", async () => {
      const server = ctx.server();
      const tools = { get_weather: weather };
      if (!hasTools())
        return expectUnsupported(() =>
          collectAll(client().stream([user("Weather in Paris?")], { ...extra, tools })),
        );
      const fragments = ['{"ci', 'ty": "Pa', 'ris"}'];
      server.enqueue(
        reply({
          toolCalls: [
            {
              id: "call_conf_2",
              name: "get_weather",
              arguments: { city: "Paris" },
              argumentChunks: fragments,
            },
          ],
        }),
      );
      const chunks = await collectAll(
        client().stream([user("Weather in Paris?")], { ...extra, tools }),
      );
      const calls = deltasByIndex(chunks);
      expect([...calls.keys()]).toEqual([0]);
      const deltas = calls.get(0)!;
      expect(deltas[0]).toMatchObject({ index: 0, id: "call_conf_2", name: "get_weather" });
      const args = deltas.map((d) => d.argumentsDelta);
      expect(JSON.parse(args.join(""))).toEqual({ city: "Paris" });
      // Fragments are passed on as they come, not buffered into one.
      if (streamsFragments) expect(args.filter((a) => a !== "")).toEqual(fragments);
      const last = chunks.at(-1)!;
      expect(last.finishReason).toBe("tool_calls");
      expect(chunks.filter((c) => c.finishReason !== undefined)).toHaveLength(1);
      expect(last.toolCalls).toHaveLength(1);
      expect(last.toolCalls![0]).toMatchObject({
        id: "call_conf_2",
        name: "get_weather",
        arguments: { city: "Paris" },
      });
      expect(chunks.findLastIndex((c) => c.toolCallDelta)).toBeLessThan(chunks.length - 1);
      expect(server.requests[0]?.stream).toBe(true);
      expect(wire(server.requests[0]).tools.map((t) => t.name)).toEqual(["get_weather"]);
    });

    it("returns two parallel calls in order with distinct ids, in generate and stream (when supported)", async () => {
      const server = ctx.server();
      const tools = { get_weather: weather, get_time: time };
      if (!hasTools())
        return expectUnsupported(() =>
          client().generate([user("Weather and time in Tokyo?")], { ...extra, tools }),
        );
      // No ids given: the dialect's own (or, for Gemini, the provider's stable ones) are used.
      const parallel: MockToolCall[] = [
        { name: "get_weather", arguments: { city: "Tokyo" } },
        {
          name: "get_time",
          arguments: { city: "Tokyo", format: "24h" },
          argumentChunks: ['{"city":"Tokyo",', '"format":"24h"}'],
        },
      ];
      const expected = [
        ["get_weather", { city: "Tokyo" }],
        ["get_time", { city: "Tokyo", format: "24h" }],
      ];
      server.enqueue([reply({ toolCalls: parallel }), reply({ toolCalls: parallel })]);
      const r = await client().generate([user("Weather and time in Tokyo?")], {
        ...extra,
        tools,
        toolChoice: "required",
      });
      expect(r.finishReason).toBe("tool_calls");
      expect(r.toolCalls?.map((c) => [c.name, c.arguments])).toEqual(expected);
      const ids = r.toolCalls!.map((c) => c.id);
      for (const id of ids) expect(typeof id === "string" && id !== "").toBe(true);
      expect(new Set(ids).size).toBe(2);
      const w = wire(server.requests[0]);
      expect(w.tools.map((t) => t.name)).toEqual(["get_weather", "get_time"]);
      expect(w.toolChoice).toBe("required");

      const chunks = await collectAll(
        client().stream([user("Weather and time in Tokyo?")], { ...extra, tools }),
      );
      const calls = deltasByIndex(chunks);
      expect([...calls.keys()]).toEqual([0, 1]);
      const last = chunks.at(-1)!;
      expect(last.finishReason).toBe("tool_calls");
      expect(last.toolCalls?.map((c) => [c.name, c.arguments])).toEqual(expected);
      for (const [index, deltas] of calls) {
        const final = last.toolCalls![index]!;
        expect(deltas[0]).toMatchObject({ index, id: final.id, name: final.name });
        expect(JSON.parse(deltas.map((d) => d.argumentsDelta).join(""))).toEqual(final.arguments);
      }
      expect(new Set(last.toolCalls!.map((c) => c.id)).size).toBe(2);
    });

    it("runs a tool loop with maxSteps: the second request carries the call and its result; the answer is text, usage summed (when supported)", async () => {
      const server = ctx.server();
      const executed: unknown[] = [];
      const tools = {
        get_weather: {
          ...weather,
          execute: (args: unknown) => {
            executed.push(args);
            return { city: "Paris", tempC: 18 };
          },
        },
      };
      if (!hasTools())
        return expectUnsupported(() =>
          client().generate([user("Weather in Paris?")], { ...extra, tools, maxSteps: 3 }),
        );
      server.enqueue([
        reply({
          toolCalls: [{ name: "get_weather", arguments: { city: "Paris" } }],
          usage: { promptTokens: 20, completionTokens: 8 },
        }),
        { text: "It is 18 °C in Paris.", usage: { promptTokens: 40, completionTokens: 9 } },
      ]);
      const r = await client().generate([user("Weather in Paris?")], {
        ...extra,
        tools,
        maxSteps: 3,
      });
      expect(executed).toEqual([{ city: "Paris" }]);
      expect(r.content).toBe("It is 18 °C in Paris.");
      expect(r.finishReason).toBe("stop");
      expect(r.usage).toMatchObject({ promptTokens: 60, completionTokens: 17, totalTokens: 77 });
      expect(r.steps?.map((s) => s.finishReason)).toEqual(["tool_calls", "stop"]);
      expect(server.requests).toHaveLength(2);
      const call = r.steps![0]!.toolCalls[0]!;
      const w = wire(server.requests[1]);
      expect(w.tools.map((t) => t.name)).toEqual(["get_weather"]);
      expect(w.calls).toHaveLength(1);
      expect(w.calls[0]).toMatchObject({ name: "get_weather", arguments: { city: "Paris" } });
      expect(w.results).toHaveLength(1);
      const result = w.results[0]!;
      expect(JSON.parse(result.content)).toEqual({ city: "Paris", tempC: 18 });
      expect(result.isError).not.toBe(true);
      // The result answers the call: by id (Gemini: by name, and by id when Gemini gave one).
      if (dialect !== "gemini") expect(w.calls[0]!.id).toBe(call.id);
      expect(result.id).toBe(w.calls[0]!.id);
      // Gemini maps a result back by name, so it must carry it.
      if (dialect === "gemini") expect(result.name).toBe("get_weather");
    });

    it("streams a tool loop: fragments, the result, the step boundary, then the answer; one finish at the very end (when supported)", async () => {
      const server = ctx.server();
      const tools = { get_weather: { ...weather, execute: () => ({ city: "Paris", tempC: 18 }) } };
      if (!hasTools())
        return expectUnsupported(() =>
          collectAll(
            client().stream([user("Weather in Paris?")], { ...extra, tools, maxSteps: 3 }),
          ),
        );
      server.enqueue([
        reply({
          toolCalls: [
            {
              name: "get_weather",
              arguments: { city: "Paris" },
              argumentChunks: ['{"city":', '"Paris"}'],
            },
          ],
          usage: { promptTokens: 20, completionTokens: 8 },
        }),
        { chunks: ["It is 18 °C ", "in Paris."], usage: { promptTokens: 40, completionTokens: 9 } },
      ]);
      const chunks = await collectAll(
        client().stream([user("Weather in Paris?")], { ...extra, tools, maxSteps: 3 }),
      );
      const finishes = chunks.filter((c) => c.finishReason !== undefined);
      expect(finishes).toHaveLength(1);
      const last = chunks.at(-1)!;
      expect(last.finishReason).toBe("stop");
      expect(last.usage).toMatchObject({ promptTokens: 60, completionTokens: 17, totalTokens: 77 });
      const resultAt = chunks.findIndex((c) => c.toolResult);
      expect(chunks[resultAt]?.toolResult).toMatchObject({
        name: "get_weather",
        result: { city: "Paris", tempC: 18 },
        isError: false,
      });
      const stepAt = chunks.findIndex((c) => c.step);
      expect(stepAt).toBeGreaterThan(chunks.findLastIndex((c) => c.toolCallDelta));
      expect(
        chunks
          .slice(stepAt + 1)
          .map((c) => c.content)
          .join(""),
      ).toBe("It is 18 °C in Paris.");
      expect(server.requests.map((q) => q.stream)).toEqual([true, true]);
      const w = wire(server.requests[1]);
      expect(w.calls.map((c) => [c.name, c.arguments])).toEqual([
        ["get_weather", { city: "Paris" }],
      ]);
      expect(w.results).toHaveLength(1);
      expect(JSON.parse(w.results[0]!.content)).toEqual({ city: "Paris", tempC: 18 });
    });

    it("sends a tool history back after a JSON round trip (calls, a result and an error result, provider metadata) (when supported)", async () => {
      const server = ctx.server();
      const tools = { get_weather: weather, get_time: time };
      const question = user("Weather and time in Oslo?");
      if (!hasTools())
        return expectUnsupported(() => client().generate([question], { ...extra, tools }));
      server.enqueue(
        reply({
          text: "Let me check.",
          toolCalls: [
            {
              id: "call_conf_h1",
              name: "get_weather",
              arguments: { city: "Oslo" },
              thoughtSignature: "sig-conformance-1",
            },
            {
              id: "call_conf_h2",
              name: "get_time",
              arguments: { city: "Oslo", format: "24h" },
            },
          ],
        }),
      );
      const c = client();
      const first = await c.generate([question], { ...extra, tools });
      expect(first.content).toBe("Let me check.");
      const calls = first.toolCalls!;
      expect(calls.map((x) => x.name)).toEqual(["get_weather", "get_time"]);
      const history: Message[] = [
        question,
        {
          role: "assistant",
          content: first.content,
          toolCalls: calls,
          ...(first.reasoning !== undefined && { reasoning: first.reasoning }),
          ...(first.providerMetadata && { providerMetadata: first.providerMetadata }),
        },
        { role: "tool", toolCallId: calls[0]!.id, content: '{"tempC":3}' },
        {
          role: "tool",
          toolCallId: calls[1]!.id,
          content: "The clock service is down.",
          isError: true,
        },
      ];
      const restored = JSON.parse(JSON.stringify(history)) as Message[];
      expect(restored).toEqual(history);
      server.enqueue({ text: "3 °C in Oslo; the time is unknown." });
      const second = await c.generate(restored, { ...extra, tools });
      expect(second.content).toBe("3 °C in Oslo; the time is unknown.");
      expect(second.finishReason).toBe("stop");
      expect(server.requests).toHaveLength(2);
      const body = server.requests[1]!.body;
      const w = wire(server.requests[1]);
      expect(w.calls.map((x) => [x.name, x.arguments])).toEqual([
        ["get_weather", { city: "Oslo" }],
        ["get_time", { city: "Oslo", format: "24h" }],
      ]);
      expect(w.calls.map((x) => x.id)).toEqual(["call_conf_h1", "call_conf_h2"]);
      expect(w.results.map((x) => x.id)).toEqual(["call_conf_h1", "call_conf_h2"]);
      if (dialect === "gemini") {
        expect(w.results.map((x) => x.name)).toEqual(["get_weather", "get_time"]);
        expect(w.calls[0]!.thoughtSignature).toBe("sig-conformance-1");
      }
      expect(JSON.parse(w.results[0]!.content)).toEqual({ tempC: 3 });
      expect(w.results[0]!.isError).not.toBe(true);
      expect(w.results[1]!.content).toContain("The clock service is down.");
      if (w.results[1]!.isError !== undefined) expect(w.results[1]!.isError).toBe(true);
      const conv = readConversation(dialect, body);
      expect(conv.turns[0]).toMatchObject({ role: "user", text: "Weather and time in Oslo?" });
      expect(conv.turns[1]).toMatchObject({ role: "assistant", text: "Let me check." });
    });

    it("rejects a tool name the provider does not accept before any request (when supported)", async () => {
      const server = ctx.server();
      const name = options.invalidToolName ?? "get weather";
      const tools = { [name]: weather };
      if (!hasTools())
        return expectUnsupported(() => client().generate([user("Hi")], { ...extra, tools }));
      for (const run of [
        () => client().generate([user("Hi")], { ...extra, tools }),
        () => collectAll(client().stream([user("Hi")], { ...extra, tools })),
      ]) {
        const error = await caught(run);
        expect(error).toBeInstanceOf(InvalidRequestError);
        expect((error as InvalidRequestError).reason).toBe("invalid_tool");
        expect((error as InvalidRequestError).provider).toBe(ctx.provider().name);
        expect((error as Error).message).toContain(JSON.stringify(name));
      }
      expect(server.requests).toHaveLength(0);
    });
  });

  describe("structured output", () => {
    it("generateObject: asks for JSON with the schema in the dialect's form and returns the object (when supported)", async () => {
      const server = ctx.server();
      const question = [user("Invent a city. Answer in JSON.")];
      const schemaOptions = { ...extra, schema: CITY_SCHEMA, schemaName: "city" };
      if (!hasStructuredOutput())
        return expectUnsupported(() => client().generateObject(question, schemaOptions));
      const text = JSON.stringify(CITY);
      server.enqueue((req) => objectReply(req, text, [text]));
      const r = await client().generateObject(question, schemaOptions);
      expect(r.object).toEqual(CITY);
      expect(r.finishReason).toBe("stop");
      expect(server.requests).toHaveLength(1);
      expect(server.requests[0]?.stream).toBe(false);
      expectJsonRequested(server.requests[0]);
    });

    it("streamObject: partial objects grow; the last item is the validated object (when supported)", async () => {
      const server = ctx.server();
      const question = [user("Invent a city. Answer in JSON.")];
      const schemaOptions = { ...extra, schema: CITY_SCHEMA, schemaName: "city" };
      if (!hasStructuredOutput())
        return expectUnsupported(() => collectAll(client().streamObject(question, schemaOptions)));
      const text = JSON.stringify(CITY);
      server.enqueue((req) => objectReply(req, text, splitIntoChunks(text, 8)));
      const sizes: number[] = [];
      const items = [];
      for await (const item of client().streamObject(question, schemaOptions)) {
        items.push(item);
        // The partial object is updated in place: measure it now.
        if (!item.done) sizes.push(JSON.stringify(item.partial ?? null).length);
      }
      expect(sizes.length).toBeGreaterThanOrEqual(2);
      for (let i = 1; i < sizes.length; i++) expect(sizes[i]).toBeGreaterThanOrEqual(sizes[i - 1]!);
      expect(sizes.at(-1)).toBeGreaterThan(sizes[0]!);
      const last = items.at(-1)!;
      expect(items.slice(0, -1).every((item) => !item.done)).toBe(true);
      expect(last.done).toBe(true);
      if (!last.done) return;
      expect(last.object).toEqual(CITY);
      expect(last.finishReason).toBe("stop");
      expect(last.usage?.totalTokens).toBeGreaterThan(0);
      expect(server.requests).toHaveLength(1);
      expect(server.requests[0]?.stream).toBe(true);
      expectJsonRequested(server.requests[0]);
    });
  });
}
