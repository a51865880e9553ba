import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createMockServer, type MockServer, splitIntoChunks } from "../src/index.js";
import { postJson } from "./support/http.js";

let server: MockServer;
const request = { model: "m", messages: [{ role: "user", content: "hi" }] };

beforeAll(async () => {
  server = await createMockServer();
});
afterAll(() => server.close());
beforeEach(() => server.reset());

const content = async (response: Response) => (await response.json()).choices[0].message.content;

describe("createMockServer", () => {
  it("listens on 127.0.0.1 with a url without trailing slash", () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(server.url).toBe(`http://127.0.0.1:${server.port}`);
  });

  it("records method, path, query, lower-case headers, parsed body and dialect", async () => {
    await postJson(`${server.url}/compatible-mode/v1/chat/completions?trace=1`, request, {
      headers: { Authorization: "Bearer sk-x", "X-Custom": "Yes" },
    });
    expect(server.requests).toEqual([
      {
        method: "POST",
        path: "/compatible-mode/v1/chat/completions",
        query: { trace: "1" },
        headers: expect.objectContaining({ authorization: "Bearer sk-x", "x-custom": "Yes" }),
        body: request,
        dialect: "openai",
        stream: false,
        aborted: false,
      },
    ]);
  });

  it("keeps a non-JSON body as text", async () => {
    await fetch(`${server.url}/v1/chat/completions`, { method: "POST", body: "not json" });
    expect(server.requests[0]!.body).toBe("not json");
  });

  it("answers unknown paths with a 404 in OpenAI error shape without using the queue", async () => {
    server.enqueue({ text: "kept" });
    const response = await postJson(`${server.url}/v1/embeddings`, {});
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({
      error: { type: "invalid_request_error", code: "unknown_url" },
    });
    expect(server.requests[0]!.dialect).toBe("unknown");
    expect(server.pending).toBe(1);
    const get = await fetch(`${server.url}/v1/chat/completions`);
    expect(get.status).toBe(404);
  });

  it("uses the queue first in first out, then falls back to the echo reply", async () => {
    server.enqueue([{ text: "one" }, { text: "two" }]);
    server.enqueue({ text: "three" });
    expect(server.pending).toBe(3);
    const url = `${server.url}/v1/chat/completions`;
    const answers = [];
    for (let i = 0; i < 4; i++) answers.push(await content(await postJson(url, request)));
    expect(answers).toEqual(["one", "two", "three", "Echo: hi"]);
  });

  it("calls reply functions with the recorded request (sync or async)", async () => {
    server.enqueue([
      (req) => ({ text: `path ${req.path}` }),
      async (req) => ({ text: `model ${(req.body as { model: string }).model}` }),
    ]);
    const url = `${server.url}/x/chat/completions`;
    expect(await content(await postJson(url, request))).toBe("path /x/chat/completions");
    expect(await content(await postJson(url, request))).toBe("model m");
  });

  it("answers 500 when a reply function throws", async () => {
    server.enqueue(() => {
      throw new Error("bad test");
    });
    const response = await postJson(`${server.url}/v1/chat/completions`, request);
    expect(response.status).toBe(500);
    expect(await response.text()).toContain("bad test");
  });

  it("reset() clears the queue and the recorded requests", async () => {
    server.enqueue({ text: "queued" });
    await postJson(`${server.url}/v1/chat/completions`, request);
    server.enqueue({ text: "queued" });
    server.reset();
    expect(server.requests).toHaveLength(0);
    expect(server.pending).toBe(0);
    expect(await content(await postJson(`${server.url}/v1/chat/completions`, request))).toBe(
      "Echo: hi",
    );
  });

  it("uses defaultReply when given", async () => {
    const local = await createMockServer({ defaultReply: { text: "fixed" } });
    try {
      expect(await content(await postJson(`${local.url}/v1/chat/completions`, request))).toBe(
        "fixed",
      );
    } finally {
      await local.close();
    }
  });

  describe("maxRecordedRequests", () => {
    const ask = (url: string, n: number) =>
      postJson(`${url}/v1/chat/completions`, {
        model: "m",
        messages: [{ role: "user", content: `request ${n}` }],
      });
    const asked = (record: { body: unknown }) =>
      (record.body as { messages: { content: string }[] }).messages[0]!.content;

    it("keeps only the most recent requests, oldest dropped first", async () => {
      const local = await createMockServer({ maxRecordedRequests: 5 });
      try {
        const kept = local.requests;
        for (let n = 1; n <= 8; n++) {
          const response = await ask(local.url, n);
          // Every request is still answered, recorded or not.
          expect(await content(response)).toBe(`Echo: request ${n}`);
          expect(local.requests).toHaveLength(Math.min(n, 5));
        }
        expect(local.requests.map(asked)).toEqual([4, 5, 6, 7, 8].map((n) => `request ${n}`));
        // The same array throughout: a reference taken before still sees the latest requests.
        expect(kept).toBe(local.requests);
        local.reset();
        await ask(local.url, 9);
        expect(local.requests.map(asked)).toEqual(["request 9"]);
      } finally {
        await local.close();
      }
    });

    it("0 records nothing, while reply functions still get each request", async () => {
      const local = await createMockServer({
        maxRecordedRequests: 0,
        defaultReply: (req) => ({ text: `seen ${asked(req)}` }),
      });
      try {
        expect(await content(await ask(local.url, 1))).toBe("seen request 1");
        expect(local.requests).toEqual([]);
      } finally {
        await local.close();
      }
    });

    it("rejects a bound that is not a whole number of requests", async () => {
      for (const bad of [-1, 1.5, Number.NaN]) {
        await expect(createMockServer({ maxRecordedRequests: bad })).rejects.toThrow(
          /maxRecordedRequests must be an integer >= 0 or Infinity/,
        );
      }
    });
  });

  it("close() is idempotent", async () => {
    const local = await createMockServer();
    await Promise.all([local.close(), local.close()]);
    await local.close();
  });
});

describe("splitIntoChunks", () => {
  it("splits into near-equal pieces that join back", () => {
    expect(splitIntoChunks("Hello world", 3)).toEqual(["Hell", "o wo", "rld"]);
    expect(splitIntoChunks("ab", 5)).toEqual(["a", "b"]);
    expect(splitIntoChunks("", 3)).toEqual([""]);
  });
});
