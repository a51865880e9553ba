import type { JsonSchema, Message } from "@rephysco/core";
import { OpenAIProvider } from "@rephysco/openai";
import { createMockServer, type MockServer } from "@rephysco/testing";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { KEY } from "./helpers.js";

let server: MockServer;
let provider: OpenAIProvider;

beforeAll(async () => {
  server = await createMockServer();
  provider = new OpenAIProvider({ apiKey: KEY, baseURL: `${server.url}/v1` });
});
afterEach(() => server.reset());
afterAll(() => server.close());

const user = (content: string): Message[] => [{ role: "user", content }];
const body = () => server.requests[0]!.body as Record<string, unknown>;
const model = "gpt-4.1-mini";

const closed = (properties: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  type: "object",
  properties,
  required: Object.keys(properties),
  additionalProperties: false,
  ...extra,
});

const STRICT = closed(
  {
    city: { type: "string" },
    days: {
      type: "array",
      items: closed({ date: { type: "string" }, tempC: { type: ["number", "null"] } }),
    },
    unit: { anyOf: [{ type: "string", enum: ["C", "F"] }, { $ref: "#/$defs/custom" }] },
  },
  { $defs: { custom: closed({ name: { type: "string" } }) } },
);

describe("response_format", () => {
  it("a strict-compatible schema goes as json_schema with strict true, name and description", async () => {
    await provider.generate(user("Forecast for Paris"), {
      model,
      responseFormat: { type: "json", schema: STRICT, name: "forecast", description: "A forecast" },
    });
    expect(body().response_format).toEqual({
      type: "json_schema",
      json_schema: { name: "forecast", description: "A forecast", schema: STRICT, strict: true },
    });
    // No instruction is needed: the schema mode does not ask for the word "JSON".
    expect(body().messages).toEqual(user("Forecast for Paris"));
  });

  it("the schema name defaults to response", async () => {
    await provider.generate(user("x"), { model, responseFormat: { type: "json", schema: STRICT } });
    expect(body().response_format).toMatchObject({
      json_schema: { name: "response", strict: true },
    });
  });

  const loose: [string, JsonSchema][] = [
    ["an open root", { type: "object", properties: { a: { type: "string" } }, required: ["a"] }],
    ["an optional property", closed({ a: { type: "string" } }, { required: [] })],
    [
      "an open nested object",
      closed({ a: { type: "object", properties: { b: { type: "string" } }, required: ["b"] } }),
    ],
    [
      "an open object in array items",
      closed({ a: { type: "array", items: { type: "object", properties: {} } } }),
    ],
    [
      "an open object in anyOf",
      closed({
        a: {
          anyOf: [
            { type: "string" },
            { type: "object", properties: { b: {} }, additionalProperties: false },
          ],
        },
      }),
    ],
    [
      "an open object in $defs",
      closed({ a: { $ref: "#/$defs/x" } }, { $defs: { x: { type: "object", properties: {} } } }),
    ],
    ["a root that is not an object", { type: "array", items: { type: "string" } }],
  ];
  it.each(loose)("a schema with %s goes with strict false", async (_, schema) => {
    await provider.generate(user("x"), { model, responseFormat: { type: "json", schema } });
    expect(body().response_format).toEqual({
      type: "json_schema",
      json_schema: { name: "response", schema, strict: false },
    });
  });

  it("objects inside enum, const or default values are not taken for schemas", async () => {
    const schema = closed({
      a: {
        type: "object",
        properties: {},
        additionalProperties: false,
        default: { type: "object", properties: { z: 1 } },
      },
    });
    await provider.generate(user("x"), { model, responseFormat: { type: "json", schema } });
    expect(body().response_format).toMatchObject({ json_schema: { strict: true } });
  });

  it("without a schema: json_object, and a system instruction naming JSON when no message does", async () => {
    await provider.generate(user("List three colors"), { model, responseFormat: { type: "json" } });
    expect(body().response_format).toEqual({ type: "json_object" });
    expect(body().messages).toEqual([
      { role: "system", content: "Answer with one JSON object." },
      { role: "user", content: "List three colors" },
    ]);
  });

  it("the instruction joins an existing system message, and is left out when a message says JSON", async () => {
    await provider.generate(
      [{ role: "system", content: "Be brief." }, ...user("List three colors")],
      { model, responseFormat: { type: "json" } },
    );
    expect((body().messages as Message[])[0]).toEqual({
      role: "system",
      content: "Be brief.\n\nAnswer with one JSON object.",
    });
    server.reset();
    await provider.generate(user("List three colors as json"), {
      model,
      responseFormat: { type: "json" },
    });
    expect(body().messages).toEqual(user("List three colors as json"));
  });

  it("reasoning models get the instruction as a developer message", async () => {
    await provider.generate(user("List three colors"), {
      model: "o3-mini",
      responseFormat: { type: "json" },
    });
    expect((body().messages as Message[])[0]).toEqual({
      role: "developer",
      content: "Answer with one JSON object.",
    });
  });

  it("providerOptions.response_format wins over the mapped one", async () => {
    await provider.generate(user("x"), {
      model,
      responseFormat: { type: "json", schema: STRICT },
      providerOptions: { response_format: { type: "text" } },
    });
    expect(body().response_format).toEqual({ type: "text" });
  });

  it("the JSON answer comes back as content", async () => {
    server.enqueue({ text: '{"city":"Paris"}' });
    const res = await provider.generate(user("x"), {
      model,
      responseFormat: { type: "json", schema: STRICT },
    });
    expect(res).toMatchObject({ content: '{"city":"Paris"}', finishReason: "stop" });
  });
});
