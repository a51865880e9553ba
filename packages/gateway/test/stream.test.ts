import OpenAI from "openai";
import { describe, expect, it } from "vitest";
import { useGateway, type Wire } from "./helpers.js";

const s = useGateway(() => ({ models: { once: { provider: "openai", model: "m", retries: 0 } } }));

/** The raw SSE text of a streamed request to the gateway. */
async function rawStream(body: Record<string, unknown>): Promise<{ res: Response; text: string }> {
  const res = await fetch(`${s.url}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  return { res, text: await res.text() };
}

describe("chat completions (SSE)", () => {
  it("streams chunks in OpenAI's shape, with usage last when asked for", async () => {
    s.upstream.enqueue({ chunks: ["Hel", "lo"], usage: { promptTokens: 3, completionTokens: 2 } });
    const stream = await s.client.chat.completions.create({
      model: "gpt-4o-mini",
      messages: [{ role: "user", content: "Say hello" }],
      stream: true,
      stream_options: { include_usage: true },
    });
    const chunks: OpenAI.ChatCompletionChunk[] = [];
    for await (const c of stream) chunks.push(c);
    const text = chunks.map((c) => c.choices[0]?.delta.content ?? "").join("");
    expect(text).toBe("Hello");
    expect(new Set(chunks.map((c) => c.id)).size).toBe(1);
    expect(chunks[0]).toMatchObject({
      object: "chat.completion.chunk",
      model: "gpt-4o-mini",
      choices: [{ index: 0, delta: { role: "assistant", content: "" }, finish_reason: null }],
      usage: null,
    });
    const finish = chunks.at(-2)!;
    expect(finish.choices).toEqual([
      { index: 0, delta: {}, logprobs: null, finish_reason: "stop" },
    ]);
    expect(chunks.at(-1)).toMatchObject({
      choices: [],
      usage: { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 },
    });
    expect(chunks.slice(0, -1).every((c) => c.usage === null)).toBe(true);
    expect((s.upstream.requests[0]!.body as Wire).stream).toBe(true);
  });

  it("frames events exactly, ends with [DONE], and leaves out usage unless asked", async () => {
    s.upstream.enqueue({ chunks: ["a", "b"] });
    const { res, text } = await rawStream({
      model: "m",
      messages: [{ role: "user", content: "x" }],
      stream: true,
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/event-stream/);
    const events = text.split("\n\n").filter(Boolean);
    expect(events.every((e) => e.startsWith("data: "))).toBe(true);
    expect(events.at(-1)).toBe("data: [DONE]");
    const parsed = events.slice(0, -1).map((e) => JSON.parse(e.slice(6)));
    expect(parsed.every((p) => !("usage" in p))).toBe(true);
    expect(parsed.every((p) => p.choices.length === 1)).toBe(true);
  });

  it("works with the SDK's stream helper and finalChatCompletion", async () => {
    s.upstream.enqueue({
      chunks: ["One ", "two"],
      usage: { promptTokens: 1, completionTokens: 2 },
    });
    const runner = s.client.chat.completions.stream({
      model: "gpt-4o",
      messages: [{ role: "user", content: "count" }],
      stream_options: { include_usage: true },
    });
    const deltas: string[] = [];
    runner.on("content", (d) => deltas.push(d));
    const final = await runner.finalChatCompletion();
    expect(deltas.join("")).toBe("One two");
    expect(final.choices[0]!.message.content).toBe("One two");
    expect(final.choices[0]!.finish_reason).toBe("stop");
    expect(final.usage?.total_tokens).toBe(3);
  });

  it("streams tool call deltas that the SDK assembles", async () => {
    s.upstream.enqueue({
      toolCalls: [
        { id: "call_a", name: "get_weather", arguments: { city: "Paris" } },
        { id: "call_b", name: "get_weather", arguments: { city: "Rome" } },
      ],
    });
    const runner = s.client.chat.completions.stream({
      model: "gpt-4o",
      messages: [{ role: "user", content: "Weather?" }],
      tools: [
        {
          type: "function",
          function: {
            name: "get_weather",
            parameters: { type: "object", properties: { city: { type: "string" } } },
          },
        },
      ],
    });
    const final = await runner.finalChatCompletion();
    const choice = final.choices[0]!;
    expect(choice.finish_reason).toBe("tool_calls");
    expect(
      choice.message.tool_calls?.map(
        (c) => c.type === "function" && [c.id, c.function.name, c.function.arguments],
      ),
    ).toEqual([
      ["call_a", "get_weather", '{"city":"Paris"}'],
      ["call_b", "get_weather", '{"city":"Rome"}'],
    ]);
  });

  it("turns an upstream failure mid-stream into an error event the SDK throws", async () => {
    s.upstream.enqueue({ chunks: ["par", "tial", "more"], midStreamError: { afterChunks: 2 } });
    const stream = await s.client.chat.completions.create({
      model: "once",
      messages: [{ role: "user", content: "x" }],
      stream: true,
    });
    let text = "";
    const error = await (async () => {
      for await (const c of stream) text += c.choices[0]?.delta.content ?? "";
    })().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.APIError);
    expect((error as InstanceType<typeof OpenAI.APIError>).error).toMatchObject({
      type: "upstream_error",
    });
    expect(text).toBe("partial");
  });

  it("sends an error event, never a clean end, when the upstream connection drops", async () => {
    s.upstream.enqueue({ chunks: ["a", "b", "c"], resetAfterChunks: 1 });
    const { res, text } = await rawStream({
      model: "once",
      messages: [{ role: "user", content: "x" }],
      stream: true,
    });
    expect(res.status).toBe(200);
    expect(text).not.toContain("[DONE]");
    const last = text.trim().split("\n\n").at(-1)!;
    const body = JSON.parse(last.slice(6));
    expect(body.error).toMatchObject({ type: "upstream_error" });
  });

  it("aborts the upstream call when the client disconnects", async () => {
    s.upstream.enqueue({ chunks: ["a", "b", "c"], stallAfterChunks: 1 });
    const ac = new AbortController();
    const stream = await s.client.chat.completions.create(
      { model: "once", messages: [{ role: "user", content: "x" }], stream: true },
      { signal: ac.signal },
    );
    for await (const c of stream) {
      if (c.choices[0]?.delta.content) break; // closes the connection
    }
    ac.abort();
    await s.upstream.whenIdle();
    expect(s.upstream.requests[0]!.aborted).toBe(true);
  });

  it("aborts a non-streamed upstream call when the client disconnects", async () => {
    s.upstream.enqueue({ text: "late", delayMs: 5_000 });
    const ac = new AbortController();
    const p = s.client.chat.completions.create(
      { model: "once", messages: [{ role: "user", content: "x" }] },
      { signal: ac.signal, maxRetries: 0 },
    );
    while (s.upstream.requests.length === 0) await new Promise((r) => setTimeout(r, 10));
    ac.abort();
    await expect(p).rejects.toThrow();
    await s.upstream.whenIdle();
    expect(s.upstream.requests[0]!.aborted).toBe(true);
  });
});
