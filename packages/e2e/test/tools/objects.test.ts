import { InvalidOutputError, InvalidRequestError, LLMClient, memoryStore } from "@rephysco/core";
import { createFakeProvider, splitIntoChunks } from "@rephysco/testing";
import { describe, expect, it } from "vitest";
import { z } from "zod";

const City = z.object({
  name: z.string(),
  population: z.number(),
  districts: z.array(z.object({ name: z.string(), area: z.number() })),
});
const answer = {
  name: "Lumen",
  population: 120000,
  districts: [
    { name: "Old Port", area: 3.5 },
    { name: "Hill", area: 7 },
  ],
};

describe("generateObject", () => {
  it("asks for JSON with the schema and returns the object, parsed, validated and typed", async () => {
    const fake = createFakeProvider({ replies: [{ text: JSON.stringify(answer) }] });
    const client = new LLMClient({ provider: fake, retry: false });
    const r = await client.generateObject("Invent a city.", { schema: City, schemaName: "city" });
    const population: number = r.object.population;
    expect(population).toBe(120000);
    expect(r.object).toEqual(answer);
    expect(r.content).toBe(JSON.stringify(answer));
    const format = fake.calls[0]!.options.responseFormat;
    expect(format?.type).toBe("json");
    expect(format?.name).toBe("city");
    expect(format?.schema).toMatchObject({
      type: "object",
      required: ["name", "population", "districts"],
    });
    expect(format?.schema).not.toHaveProperty("$schema");
  });

  it("takes an answer wrapped in a code fence", async () => {
    const fake = createFakeProvider({
      replies: [{ text: `\`\`\`json\n${JSON.stringify(answer)}\n\`\`\`` }],
    });
    const client = new LLMClient({ provider: fake, retry: false });
    expect((await client.generateObject("x", { schema: City })).object).toEqual(answer);
  });

  it("invalid JSON or a failed validation is an InvalidOutputError with the raw text; repair asks once more", async () => {
    const fake = createFakeProvider({
      replies: [
        { text: '{"name": "Lumen", "popul' },
        { text: '{"name": "Lumen", "population": "many", "districts": []}' },
        { text: '{"name": "Lumen", "population": "many", "districts": []}' },
        { text: JSON.stringify(answer) },
      ],
    });
    const client = new LLMClient({ provider: fake, retry: false });
    const e1 = (await client
      .generateObject("x", { schema: City })
      .catch((e: unknown) => e)) as InvalidOutputError;
    expect(e1).toBeInstanceOf(InvalidOutputError);
    expect(e1.reason).toBe("invalid_object");
    expect(e1.text).toBe('{"name": "Lumen", "popul');
    expect(e1.message).toMatch(/not valid JSON/);
    const e2 = (await client
      .generateObject("x", { schema: City })
      .catch((e: unknown) => e)) as InvalidOutputError;
    expect(e2.issues?.[0]?.path).toEqual(["population"]);
    const r = await client.generateObject("x", { schema: City, repair: true });
    expect(r.object).toEqual(answer);
    const repair = fake.calls[3]!.messages;
    expect(repair.at(-2)).toEqual({
      role: "assistant",
      content: '{"name": "Lumen", "population": "many", "districts": []}',
    });
    expect(repair.at(-1)?.content).toMatch(/population/);
  });

  it("a refusal is an InvalidOutputError carrying the refusal", async () => {
    const fake = createFakeProvider({ replies: [{ refusal: "I can't help with that." }] });
    const client = new LLMClient({ provider: fake, retry: false });
    const e = (await client
      .generateObject("x", { schema: City })
      .catch((err: unknown) => err)) as InvalidOutputError;
    expect(e).toBeInstanceOf(InvalidOutputError);
    expect(e.text).toBe("I can't help with that.");
    expect(e.data?.refusal).toBe(true);
  });

  it("refuses bad options before any request", async () => {
    const fake = createFakeProvider({
      capabilities: { images: false, reasoning: false, tools: true },
    });
    const client = new LLMClient({ provider: fake, retry: false });
    await expect(client.generateObject("x", { schema: { type: "array" } })).rejects.toThrow(
      /must describe an object/,
    );
    await expect(client.generateObject("x", {} as never)).rejects.toThrow(
      /need options with a schema/,
    );
    await expect(client.generateObject("x", { schema: City })).rejects.toMatchObject({
      reason: "unsupported_feature",
    });
    await expect(
      client.generateObject("x", { schema: City, schemaName: "a b" }),
    ).rejects.toBeInstanceOf(InvalidRequestError);
    expect(fake.calls).toHaveLength(0);
  });

  it("the schema is in the cache key: the same prompt with another schema is another entry", async () => {
    const fake = createFakeProvider({ defaultReply: { text: JSON.stringify(answer) } });
    const client = new LLMClient({ provider: fake, retry: false, cache: memoryStore() });
    await client.generateObject("x", { schema: City });
    const hit = await client.generateObject("x", { schema: City });
    expect(hit.cached).toBe(true);
    await client.generateObject("x", { schema: City.extend({ mayor: z.string().optional() }) });
    expect(fake.calls).toHaveLength(2);
  });
});

describe("streamObject", () => {
  it("yields growing partial objects, then the validated object with finish reason and usage", async () => {
    const text = JSON.stringify(answer);
    const fake = createFakeProvider({
      replies: [
        {
          chunks: splitIntoChunks(text, 12),
          usage: { promptTokens: 3, completionTokens: 9, totalTokens: 12 },
        },
      ],
    });
    const client = new LLMClient({ provider: fake, retry: false });
    const snapshots: string[] = [];
    let last: unknown;
    for await (const item of client.streamObject("Invent a city.", { schema: City })) {
      if (item.done) last = item;
      else snapshots.push(JSON.stringify(item.partial));
    }
    expect(snapshots.length).toBeGreaterThan(5);
    // Each snapshot is a prefix-consistent view: it never loses what an earlier one had.
    expect(snapshots).toContain('{"name":"Lumen"}');
    expect(snapshots.some((s) => s.includes('"districts":[{"name":"Old'))).toBe(true);
    expect(JSON.parse(snapshots.at(-1)!)).toEqual(answer);
    expect(last).toMatchObject({
      done: true,
      object: answer,
      finishReason: "stop",
      usage: { promptTokens: 3, completionTokens: 9, totalTokens: 12 },
      provider: "fake",
      cached: false,
    });
  });

  it("an answer that fails the schema ends with an InvalidOutputError", async () => {
    const fake = createFakeProvider({ replies: [{ chunks: ['{"name": 1', "}"] }] });
    const client = new LLMClient({ provider: fake, retry: false });
    const run = async () => {
      for await (const _ of client.streamObject("x", { schema: City }));
    };
    await expect(run()).rejects.toMatchObject({ reason: "invalid_object", text: '{"name": 1}' });
  });

  it("repair is refused on a stream, before any request", async () => {
    const fake = createFakeProvider();
    const client = new LLMClient({ provider: fake, retry: false });
    const run = async () => {
      for await (const _ of client.streamObject("x", { schema: City, repair: true }));
    };
    await expect(run()).rejects.toThrow(/repair is an option of generateObject/);
    expect(fake.calls).toHaveLength(0);
  });

  it("prose instead of JSON yields no partials and fails at the end with the text", async () => {
    const fake = createFakeProvider({ replies: [{ chunks: ["Sure! Here ", "you go."] }] });
    const client = new LLMClient({ provider: fake, retry: false });
    const items: unknown[] = [];
    const run = async () => {
      for await (const i of client.streamObject("x", { schema: City })) items.push(i);
    };
    await expect(run()).rejects.toMatchObject({
      reason: "invalid_object",
      text: "Sure! Here you go.",
    });
    expect(items).toEqual([]);
  });
});
