import { mkdtempSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import OpenAI from "openai";
import { describe, expect, it } from "vitest";
import { createGateway } from "../src/index.js";
import { useGateway, type Wire } from "./helpers.js";

const s = useGateway((up) => ({
  models: {
    fast: { provider: "openai", model: "gpt-4.1-mini", retries: 0 },
    backed: {
      provider: "openai",
      model: "primary-model",
      retries: 0,
      fallbacks: [{ provider: "openai", model: "backup-model" }],
    },
    local: { provider: "openai", model: "m", settings: { baseURL: `${up}/v1`, apiKey: "k2" } },
  },
}));

const wire = (i = 0) => s.upstream.requests[i]!.body as Wire;

describe("chat completions (JSON)", () => {
  it("answers in OpenAI's exact shape", async () => {
    s.upstream.enqueue({ text: "Hello there", usage: { promptTokens: 5, completionTokens: 2 } });
    const r = await s.client.chat.completions.create({
      model: "gpt-4o-mini",
      messages: [
        { role: "system", content: "Be terse." },
        { role: "user", content: "Say hello" },
      ],
      temperature: 0.2,
      max_tokens: 20,
      stop: "END",
    });
    expect(r.id).toMatch(/^chatcmpl-[0-9a-f]{32}$/);
    expect(r.object).toBe("chat.completion");
    expect(typeof r.created).toBe("number");
    expect(r.model).toBe("gpt-4o-mini");
    expect(r.choices).toEqual([
      {
        index: 0,
        message: { role: "assistant", content: "Hello there", refusal: null },
        logprobs: null,
        finish_reason: "stop",
      },
    ]);
    expect(r.usage).toEqual({
      prompt_tokens: 5,
      completion_tokens: 2,
      total_tokens: 7,
      prompt_tokens_details: { cached_tokens: 0 },
      completion_tokens_details: { reasoning_tokens: 0 },
    });
    const w = wire();
    expect(w.model).toBe("gpt-4o-mini");
    expect(w.messages).toEqual([
      { role: "system", content: "Be terse." },
      { role: "user", content: "Say hello" },
    ]);
    expect(w.temperature).toBe(0.2);
    expect(w.stop).toEqual(["END"]);
    // Upstream keys come from the gateway's config, never from the client.
    expect(s.upstream.requests[0]!.headers.authorization).toBe("Bearer sk-upstream-secret");
  });

  it("sends x-request-id and application/json", async () => {
    const res = await s.client.chat.completions
      .create({ model: "x", messages: [{ role: "user", content: "hi" }] })
      .withResponse();
    expect(res.response.headers.get("content-type")).toMatch(/^application\/json/);
    expect(res.response.headers.get("x-request-id")).toMatch(/^req_/);
    expect(res.data.choices[0]!.message.content).toBe("Echo: hi");
  });

  it("routes named models, provider/model and SiliconFlow-style ids", async () => {
    await s.client.chat.completions.create({
      model: "fast",
      messages: [{ role: "user", content: "a" }],
    });
    await s.client.chat.completions.create({
      model: "openai/gpt-4.1-nano",
      messages: [{ role: "user", content: "b" }],
    });
    await s.client.chat.completions.create({
      model: "Qwen/Qwen3-8B",
      messages: [{ role: "user", content: "c" }],
    });
    const local = await s.client.chat.completions.create({
      model: "local",
      messages: [{ role: "user", content: "d" }],
    });
    expect(s.upstream.requests.map((r) => (r.body as Wire).model)).toEqual([
      "gpt-4.1-mini",
      "gpt-4.1-nano",
      "Qwen/Qwen3-8B",
      "m",
    ]);
    expect(s.upstream.requests[3]!.headers.authorization).toBe("Bearer k2");
    expect(local.model).toBe("m");
  });

  it("falls back to a named model's fallback, and reports the model that answered", async () => {
    s.upstream.enqueue({
      error: { status: 500, body: { error: { message: "boom", type: "server_error" } } },
    });
    const r = await s.client.chat.completions.create({
      model: "backed",
      messages: [{ role: "user", content: "hi" }],
    });
    expect(r.model).toBe("backup-model");
    expect(s.upstream.requests.map((q) => (q.body as Wire).model)).toEqual([
      "primary-model",
      "backup-model",
    ]);
  });

  it("converts content parts, developer messages and image_url parts", async () => {
    const png =
      "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==";
    await s.client.chat.completions.create({
      model: "gpt-4o",
      messages: [
        { role: "developer", content: [{ type: "text", text: "Rules." }] },
        {
          role: "user",
          content: [
            { type: "text", text: "What is this?" },
            { type: "image_url", image_url: { url: png, detail: "auto" } },
            { type: "image_url", image_url: { url: "https://example.com/cat.jpg" } },
          ],
        },
      ],
    });
    const msgs = wire().messages;
    expect(msgs[0]).toEqual({ role: "system", content: "Rules." });
    const parts = msgs[1]!.content as {
      type: string;
      text?: string;
      image_url?: { url: string };
    }[];
    expect(parts.find((p) => p.type === "text")!.text).toBe("What is this?");
    expect(parts.filter((p) => p.type === "image_url").map((p) => p.image_url!.url)).toEqual([
      png,
      "https://example.com/cat.jpg",
    ]);
  });

  it("returns tool calls and takes the follow-up with a tool message", async () => {
    s.upstream.enqueue({
      toolCalls: [{ id: "call_1", name: "get_weather", arguments: { city: "Paris" } }],
    });
    const tools: OpenAI.ChatCompletionTool[] = [
      {
        type: "function",
        function: {
          name: "get_weather",
          description: "Weather in a city",
          parameters: {
            type: "object",
            properties: { city: { type: "string" } },
            required: ["city"],
          },
        },
      },
    ];
    const first = await s.client.chat.completions.create({
      model: "gpt-4o",
      messages: [{ role: "user", content: "Weather in Paris?" }],
      tools,
      tool_choice: "auto",
    });
    const choice = first.choices[0]!;
    expect(choice.finish_reason).toBe("tool_calls");
    expect(choice.message.content).toBeNull();
    expect(choice.message.tool_calls).toEqual([
      {
        id: "call_1",
        type: "function",
        function: { name: "get_weather", arguments: '{"city":"Paris"}' },
      },
    ]);
    const w0 = wire();
    expect(w0.tools).toEqual([
      expect.objectContaining({
        type: "function",
        function: expect.objectContaining({
          name: "get_weather",
          description: "Weather in a city",
        }),
      }),
    ]);
    expect(w0.tool_choice).toBe("auto");

    s.upstream.enqueue({ text: "18 degrees." });
    const second = await s.client.chat.completions.create({
      model: "gpt-4o",
      messages: [
        { role: "user", content: "Weather in Paris?" },
        choice.message,
        { role: "tool", tool_call_id: "call_1", content: '{"tempC":18}' },
      ],
      tools,
      tool_choice: { type: "function", function: { name: "get_weather" } },
    });
    expect(second.choices[0]!.message.content).toBe("18 degrees.");
    const w1 = wire(1);
    expect(w1.messages[1]).toMatchObject({
      role: "assistant",
      tool_calls: [
        {
          id: "call_1",
          type: "function",
          function: { name: "get_weather", arguments: '{"city":"Paris"}' },
        },
      ],
    });
    expect(w1.messages[2]).toMatchObject({
      role: "tool",
      tool_call_id: "call_1",
      content: '{"tempC":18}',
    });
    expect(w1.tool_choice).toEqual({ type: "function", function: { name: "get_weather" } });
  });

  const ANSWER_FORMAT = {
    type: "json_schema" as const,
    json_schema: {
      name: "answer",
      strict: true,
      schema: {
        type: "object",
        properties: { ok: { type: "boolean" } },
        required: ["ok"],
        additionalProperties: false,
      },
    },
  };

  it("parses a plain json_schema, and sends json_object", async () => {
    s.upstream.enqueue({ text: '{"ok":true}' });
    const r = await s.client.chat.completions.parse({
      model: "gpt-4o",
      messages: [{ role: "user", content: "ok?" }],
      response_format: ANSWER_FORMAT,
    });
    expect(r.choices[0]!.message.parsed).toEqual({ ok: true });
    // What the client asked for reaches the upstream as it was sent.
    expect(wire(0).response_format).toEqual(ANSWER_FORMAT);
    s.upstream.enqueue({ text: '{"a":1}' });
    const j = await s.client.chat.completions.create({
      model: "gpt-4o",
      messages: [{ role: "user", content: "Reply in JSON." }],
      response_format: { type: "json_object" },
    });
    expect(JSON.parse(j.choices[0]!.message.content!)).toEqual({ a: 1 });
    expect(wire(1).response_format).toEqual({ type: "json_object" });
  });

  it("lists models and answers health checks", async () => {
    const models = await s.client.models.list();
    const ids = models.data.map((m) => m.id);
    expect(ids).toEqual(expect.arrayContaining(["fast", "backed", "local"]));
    expect(ids.some((id) => id.startsWith("openai/"))).toBe(true);
    expect(models.data[0]).toMatchObject({ object: "model", owned_by: "openai" });
    expect(await (await fetch(`${s.url}/healthz`)).json()).toEqual({ status: "ok" });
    const ready = await fetch(`${s.url}/readyz`);
    expect(ready.status).toBe(200);
  });

  it("serves a cached route's repeated request from the cache", async () => {
    const dir = mkdtempSync(join(tmpdir(), "gw-cache-"));
    const before = process.env.REPHYSCO_CACHE_DIR;
    process.env.REPHYSCO_CACHE_DIR = dir;
    const gateway = await createGateway({
      providers: { openai: { baseURL: `${s.upstream.url}/v1`, apiKey: "k" } },
      models: { cached: { provider: "openai", model: "m", cache: true, retries: 0 } },
    });
    try {
      const { url } = await gateway.listen({ port: 0 });
      const client = new OpenAI({ apiKey: "x", baseURL: `${url}/v1` });
      const ask = () =>
        client.chat.completions.create({
          model: "cached",
          messages: [{ role: "user", content: "same question" }],
          response_format: { type: "json_object" },
        });
      s.upstream.enqueue({ text: '{"n":1}' });
      const a = await ask();
      // Cache writes happen in the background: wait until the entry is readable.
      expect(s.upstream.requests).toHaveLength(1);
      let hit = false;
      let b = a;
      for (let i = 0; i < 50 && !hit; i++) {
        await new Promise((r) => setTimeout(r, 20));
        s.upstream.reset();
        // A miss reaches an upstream error (no retries), so a miss can never write the cache.
        s.upstream.enqueue({
          error: { status: 500, body: { error: { message: "miss", type: "server_error" } } },
        });
        const r = await ask().catch((e: unknown) => e);
        if (r instanceof OpenAI.APIError) {
          expect(r.status).toBe(502);
          expect(s.upstream.requests).toHaveLength(1);
          continue;
        }
        b = r as typeof a;
        hit = s.upstream.requests.length === 0;
      }
      // The hit reached no upstream at all, and answered the first answer.
      expect(hit).toBe(true);
      expect(s.upstream.requests).toHaveLength(0);
      expect(a.choices[0]!.message.content).toBe('{"n":1}');
      expect(b.choices[0]!.message.content).toBe('{"n":1}');
    } finally {
      await gateway.close();
      if (before === undefined) delete process.env.REPHYSCO_CACHE_DIR;
      else process.env.REPHYSCO_CACHE_DIR = before;
    }
  });

  it("embeds in an existing Node server through gateway.handler", async () => {
    const gateway = await createGateway({
      providers: { openai: { baseURL: `${s.upstream.url}/v1`, apiKey: "k" } },
    });
    const server = createServer(gateway.handler);
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    try {
      const { port } = server.address() as AddressInfo;
      const client = new OpenAI({ apiKey: "x", baseURL: `http://127.0.0.1:${port}/v1` });
      const r = await client.chat.completions.create({
        model: "m",
        messages: [{ role: "user", content: "embedded" }],
      });
      expect(r.choices[0]!.message.content).toBe("Echo: embedded");
    } finally {
      await new Promise((r) => server.close(r));
      await gateway.close();
    }
  });
});
