import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createMockServer, type MockServer } from "../src/index.js";
import { pendingDelayTimers } from "../src/response-life.js";
import { jsonEvents, postJson, readEvents, signal } from "./support/http.js";

let server: MockServer;
const request = { model: "m", messages: [{ role: "user", content: "hi" }] };
const streamRequest = { ...request, stream: true };

beforeAll(async () => {
  server = await createMockServer();
});
afterAll(() => server.close());
beforeEach(async () => {
  // A previous test's cut connection may still be closing on the server side.
  await server.whenIdle();
  server.reset();
});

const chat = (body: unknown, init?: RequestInit) =>
  postJson(`${server.url}/v1/chat/completions`, body, init);

/** Reads a body until it ends or fails; returns the text received and the failure. */
async function drain(response: Response): Promise<{ text: string; error?: unknown }> {
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  let text = "";
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return { text };
      text += decoder.decode(value, { stream: true });
    }
  } catch (error) {
    return { text, error };
  }
}

describe("error replies", () => {
  it("sends status, JSON body and headers", async () => {
    server.enqueue({
      error: {
        status: 429,
        body: { error: { message: "slow down" } },
        headers: { "retry-after": "1" },
      },
    });
    const response = await chat(request);
    expect(response.status).toBe(429);
    expect(response.headers.get("retry-after")).toBe("1");
    expect(response.headers.get("content-type")).toBe("application/json");
    expect(response.headers.get("x-request-id")).toMatch(/^req_mock_/);
    expect(await response.json()).toEqual({ error: { message: "slow down" } });
  });

  it("sends rawBody bytes verbatim", async () => {
    server.enqueue({ error: { status: 502, rawBody: "<html>Bad gateway</html>" } });
    const response = await chat(streamRequest);
    expect(response.status).toBe(502);
    expect(await response.text()).toBe("<html>Bad gateway</html>");
  });

  it("answers streaming requests with the error status before any event", async () => {
    server.enqueue({ error: { status: 500, body: { error: { message: "boom" } } } });
    const response = await chat(streamRequest);
    expect(response.status).toBe(500);
    expect(response.headers.get("content-type")).toBe("application/json");
  });
});

describe("connection faults", () => {
  it("reset: destroys the socket before any response, so fetch rejects", async () => {
    server.enqueue({ reset: true });
    await expect(chat(request)).rejects.toThrow();
    expect(server.requests).toHaveLength(1);
    expect(server.requests[0]!.aborted).toBe(false);
  });

  it("resetAfterChunks: the body fails after exactly n chunks", async () => {
    server.enqueue({ chunks: ["a", "b", "c"], resetAfterChunks: 2 });
    const response = await chat(streamRequest);
    expect(response.status).toBe(200);
    const { text, error } = await drain(response);
    expect(error).toBeDefined();
    const contents = text
      .split("\n\n")
      .filter(Boolean)
      .map((frame) => JSON.parse(frame.slice("data: ".length)).choices[0].delta.content);
    expect(contents).toEqual(["a", "b"]);
  });

  it("stallAfterChunks + client abort: the server cleans up the response", async () => {
    server.enqueue({ chunks: ["a", "b"], stallAfterChunks: 1 });
    const controller = new AbortController();
    const response = await chat(streamRequest, { signal: controller.signal });
    const reader = response.body!.getReader();
    const first = new TextDecoder().decode((await reader.read()).value);
    expect(first).toContain('"content":"a"');
    expect(server.inFlight).toBe(1);
    controller.abort();
    await server.whenIdle();
    expect(server.inFlight).toBe(0);
    expect(server.requests[0]!.aborted).toBe(true);
  });

  it("stallAfterChunks with all chunks sent: no finish reason ever arrives", async () => {
    server.enqueue({ chunks: ["a"], stallAfterChunks: 1 });
    const controller = new AbortController();
    const response = await chat(streamRequest, { signal: controller.signal });
    const reader = response.body!.getReader();
    const first = new TextDecoder().decode((await reader.read()).value);
    expect(first).not.toContain('"finish_reason":"stop"');
    controller.abort();
    await server.whenIdle();
  });

  it("close() with a stalled stream returns and the client sees the body fail", async () => {
    const local = await createMockServer();
    local.enqueue({ chunks: ["a", "b"], stallAfterChunks: 1 });
    const response = await postJson(`${local.url}/v1/chat/completions`, streamRequest);
    const reader = response.body!.getReader();
    await reader.read();
    await local.close();
    await expect(reader.read()).rejects.toThrow();
    expect(local.inFlight).toBe(0);
    await expect(fetch(local.url)).rejects.toThrow();
  });

  it("delayMs: a client that gives up leaves no timer behind", async () => {
    const arrived = signal();
    server.enqueue(() => {
      arrived.fire();
      return { text: "late", delayMs: 600_000 };
    });
    const controller = new AbortController();
    const pending = chat(request, { signal: controller.signal });
    await arrived.promise;
    controller.abort();
    await expect(pending).rejects.toThrow();
    await server.whenIdle();
    expect(server.requests[0]!.aborted).toBe(true);
    expect(pendingDelayTimers()).toBe(0);
  });

  it("chunkDelayMs: a client leaving between chunks stops the stream and its timer", async () => {
    server.enqueue({ chunks: ["a", "b"], chunkDelayMs: 600_000 });
    const controller = new AbortController();
    const response = await chat(streamRequest, { signal: controller.signal });
    const reader = response.body!.getReader();
    expect(new TextDecoder().decode((await reader.read()).value)).toContain('"content":"a"');
    controller.abort();
    await server.whenIdle();
    expect(pendingDelayTimers()).toBe(0);
  });

  it("firstChunkDelayMs: headers arrive before the first chunk", async () => {
    server.enqueue({ text: "a", firstChunkDelayMs: 600_000 });
    const controller = new AbortController();
    const response = await chat(streamRequest, { signal: controller.signal });
    expect(response.status).toBe(200);
    expect(server.inFlight).toBe(1);
    controller.abort();
    await server.whenIdle();
    expect(pendingDelayTimers()).toBe(0);
  });

  it("small delays still deliver the whole stream", async () => {
    server.enqueue({ chunks: ["a", "b"], delayMs: 5, firstChunkDelayMs: 5, chunkDelayMs: 5 });
    const chunks = jsonEvents(await readEvents(await chat(streamRequest)));
    expect(chunks).toHaveLength(3);
  });
});

describe("broken bodies", () => {
  it("malformed: non-stream body is the raw text with a JSON content type", async () => {
    server.enqueue({ malformed: '{"id": "chatcmpl-1", "choices": [' });
    const response = await chat(request);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("application/json");
    await expect(response.json()).rejects.toThrow();
  });

  it("malformed: stream sends one broken data line", async () => {
    server.enqueue({ malformed: '{"choices": [' });
    const events = await readEvents(await chat(streamRequest));
    expect(events).toEqual([{ event: undefined, data: '{"choices": [' }]);
  });

  it("raw: sends status, headers and pieces exactly as given", async () => {
    server.enqueue({
      raw: {
        status: 200,
        headers: { "content-type": "text/event-stream" },
        body: ['data: {"a":', "1}\n\n"],
      },
      chunkDelayMs: 1,
    });
    const response = await chat(streamRequest);
    expect(response.headers.get("content-type")).toBe("text/event-stream");
    expect(await response.text()).toBe('data: {"a":1}\n\n');
  });

  it("midStreamError: OpenAI error data event after n chunks, then the end", async () => {
    server.enqueue({
      chunks: ["a", "b"],
      midStreamError: { afterChunks: 1, body: { error: { message: "x", type: "server_error" } } },
    });
    const events = await readEvents(await chat(streamRequest));
    expect(events.map((event) => event.data)).toHaveLength(2);
    expect(JSON.parse(events[1]!.data)).toEqual({ error: { message: "x", type: "server_error" } });
  });
});
