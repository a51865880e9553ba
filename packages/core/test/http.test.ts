import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { SseTailTracker } from "../src/http/sse-tail-tracker.js";
import {
  errorFromResponse,
  parseJsonEvent,
  postJson,
  readJsonBody,
  readSseEvents,
  type SseEvent,
  scrubSecrets,
} from "../src/http.js";
import {
  AuthenticationError,
  InvalidRequestError,
  isAbortError,
  ProviderError,
  QuotaExceededError,
  RateLimitError,
  ServiceUnavailableError,
  TimeoutError,
} from "../src/index.js";

type Handler = (req: IncomingMessage, res: ServerResponse, body: string) => void;

let server: Server;
let base: string;
let handler: Handler;
const received: { headers: IncomingMessage["headers"]; body: string; url: string }[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = "";
    req.setEncoding("utf8");
    req.on("data", (c: string) => {
      body += c;
    });
    req.on("end", () => {
      received.push({ headers: req.headers, body, url: req.url ?? "" });
      handler(req, res, body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

beforeEach(() => {
  received.length = 0;
});

const KEY = "sk-ant-test-secret-0123456789";

function json(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
) {
  res.writeHead(status, { "content-type": "application/json", ...headers });
  res.end(JSON.stringify(body));
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error("expected a rejection");
}

async function collect(
  iterable: AsyncIterable<SseEvent>,
  into: SseEvent[] = [],
): Promise<SseEvent[]> {
  for await (const ev of iterable) into.push(ev);
  return into;
}

function sse(chunks: (string | Uint8Array)[], end: "end" | "destroy" | "stall" = "end"): Handler {
  return (_req, res) => {
    res.writeHead(200, { "content-type": "text/event-stream" });
    // Each piece is flushed as its own write so that the client sees arbitrary split points.
    const write = (i: number) => {
      if (i === chunks.length) {
        if (end === "end") res.end();
        else if (end === "destroy") res.socket?.destroy();
        return;
      }
      res.write(chunks[i], () => setImmediate(() => write(i + 1)));
    };
    write(0);
  };
}

describe("postJson", () => {
  it("sends the JSON body and headers and returns the 2xx response unread", async () => {
    handler = (_req, res) => json(res, 200, { ok: true });
    const response = await postJson({
      url: `${base}/v1/messages`,
      headers: { "x-api-key": KEY, "anthropic-version": "2023-06-01" },
      body: { model: "m", messages: [{ role: "user", content: "hi" }] },
      provider: "test",
      secrets: [KEY],
    });
    expect(response.status).toBe(200);
    expect(await readJsonBody(response, { provider: "test" })).toEqual({ ok: true });
    const [req] = received;
    expect(req?.url).toBe("/v1/messages");
    expect(req?.headers["content-type"]).toBe("application/json");
    expect(req?.headers["x-api-key"]).toBe(KEY);
    expect(req?.headers["anthropic-version"]).toBe("2023-06-01");
    expect(JSON.parse(req?.body ?? "")).toEqual({
      model: "m",
      messages: [{ role: "user", content: "hi" }],
    });
  });

  it("keeps a caller's content-type", async () => {
    handler = (_req, res) => json(res, 200, {});
    await postJson({
      url: base,
      headers: { "Content-Type": "application/json; charset=utf-8" },
      body: {},
      provider: "test",
    });
    expect(received[0]?.headers["content-type"]).toBe("application/json; charset=utf-8");
  });

  it("maps 401 to AuthenticationError with message, code, request id and no key", async () => {
    handler = (_req, res) =>
      json(
        res,
        401,
        {
          type: "error",
          error: { type: "authentication_error", message: `invalid x-api-key ${KEY}` },
        },
        { "request-id": "req_123" },
      );
    const error = await rejection(
      postJson({ url: base, body: {}, provider: "test", secrets: [KEY] }),
    );
    expect(error).toBeInstanceOf(AuthenticationError);
    const e = error as AuthenticationError;
    expect(e.status).toBe(401);
    expect(e.code).toBe("authentication_error");
    expect(e.requestId).toBe("req_123");
    expect(e.message).toContain("invalid x-api-key");
    expect(e.message).not.toContain(KEY);
    expect(JSON.stringify(e.body)).not.toContain(KEY);
  });

  it("maps 429 to RateLimitError with Retry-After in ms", async () => {
    handler = (_req, res) =>
      json(
        res,
        429,
        { error: { message: "slow down", type: "rate_limit_error" } },
        { "retry-after": "3" },
      );
    const error = (await rejection(
      postJson({ url: base, body: {}, provider: "test" }),
    )) as RateLimitError;
    expect(error).toBeInstanceOf(RateLimitError);
    expect(error.retryAfterMs).toBe(3000);
    expect(error.retryable).toBe(true);
  });

  it("maps 5xx (529 too) to a retryable ServiceUnavailableError", async () => {
    for (const status of [500, 503, 529]) {
      handler = (_req, res) =>
        json(res, status, { error: { message: "Overloaded", type: "overloaded_error" } });
      const error = (await rejection(
        postJson({ url: base, body: {}, provider: "test" }),
      )) as ProviderError;
      expect(error).toBeInstanceOf(ServiceUnavailableError);
      expect(error.status).toBe(status);
      expect(error.retryable).toBe(true);
    }
  });

  it("keeps a plain-text error body and maps other 4xx to InvalidRequestError", async () => {
    handler = (_req, res) => {
      res.writeHead(404, { "content-type": "text/plain" });
      res.end("no such route");
    };
    const error = (await rejection(
      postJson({ url: base, body: {}, provider: "test" }),
    )) as ProviderError;
    expect(error).toBeInstanceOf(InvalidRequestError);
    expect(error.body).toBe("no such route");
    expect(error.message).toContain("404");
  });

  it("lets mapError choose the class from a provider code", async () => {
    handler = (_req, res) =>
      json(res, 400, { error: { type: "billing_error", message: "no credits" } });
    const error = await rejection(
      postJson({
        url: base,
        body: {},
        provider: "test",
        mapError: ({ body }) =>
          (body as { error?: { type?: string } }).error?.type === "billing_error"
            ? { errorClass: QuotaExceededError }
            : undefined,
      }),
    );
    expect(error).toBeInstanceOf(QuotaExceededError);
    expect((error as QuotaExceededError).retryable).toBe(false);
  });

  it("reads at most maxBodyBytes of an error body", async () => {
    handler = (_req, res) => {
      res.writeHead(500, { "content-type": "text/plain" });
      res.end("x".repeat(200_000));
    };
    const response = await fetch(base, { method: "POST" });
    const error = (await errorFromResponse(response, {
      provider: "test",
      maxBodyBytes: 1000,
    })) as ProviderError;
    expect(error).toBeInstanceOf(ServiceUnavailableError);
    expect(typeof error.body).toBe("string");
    expect((error.body as string).length).toBeLessThanOrEqual(1001);
  });

  it("turns a refused connection into ServiceUnavailableError with the cause kept", async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const error = (await rejection(
      postJson({ url: `http://127.0.0.1:${port}/v1`, body: {}, provider: "test" }),
    )) as ServiceUnavailableError;
    expect(error).toBeInstanceOf(ServiceUnavailableError);
    expect(error.reason).toBe("connection_failed");
    expect((error.cause as { cause?: { code?: string } }).cause?.code).toBe("ECONNREFUSED");
    expect(error.cause).toBeInstanceOf(TypeError);
  });

  it("turns a connection reset before the response into ServiceUnavailableError", async () => {
    handler = (req) => req.socket.destroy();
    const error = await rejection(postJson({ url: base, body: {}, provider: "test" }));
    expect(error).toBeInstanceOf(ServiceUnavailableError);
    expect((error as ServiceUnavailableError).cause).toBeDefined();
  });

  it("raises TimeoutError when timeoutMs expires", async () => {
    handler = () => {}; // never answers
    const error = await rejection(
      postJson({ url: base, body: {}, provider: "test", timeoutMs: 50 }),
    );
    expect(error).toBeInstanceOf(TimeoutError);
  });

  it("rejects with the AbortError, unwrapped, when the caller aborts", async () => {
    const controller = new AbortController();
    handler = () => controller.abort(); // the request is in flight when it aborts
    const error = await rejection(
      postJson({
        url: base,
        body: {},
        provider: "test",
        signal: controller.signal,
        timeoutMs: 60_000,
      }),
    );
    expect(isAbortError(error)).toBe(true);
    expect(error).not.toBeInstanceOf(ProviderError);
  });
});

describe("readJsonBody", () => {
  it("raises ProviderError with an excerpt for a body that is not JSON", async () => {
    handler = (_req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(`{"id": "msg_1", "content": [ ${KEY}`);
    };
    const response = await postJson({ url: base, body: {}, provider: "test" });
    const error = (await rejection(
      readJsonBody(response, { provider: "test", secrets: [KEY] }),
    )) as ProviderError;
    expect(error).toBeInstanceOf(ProviderError);
    expect(error).not.toBeInstanceOf(ServiceUnavailableError);
    expect(error.reason).toBe("malformed_response");
    expect(error.message).toContain('{"id": "msg_1"');
    expect(error.message).not.toContain(KEY);
  });
});

describe("readSseEvents", () => {
  it("parses events split at arbitrary points, with CRLF, comments, ids and multi-line data", async () => {
    const text =
      ': comment\r\nevent: message_start\r\nid: 1\r\ndata: {"a":1}\r\n\r\n' +
      "event: content_block_delta\ndata: line1\ndata: line2\n\n" +
      "data: [DONE]\n\n";
    // Split into 3-byte pieces so that every boundary case (CR/LF, field names) is crossed.
    const pieces: string[] = [];
    for (let i = 0; i < text.length; i += 3) pieces.push(text.slice(i, i + 3));
    handler = sse(pieces);
    const response = await postJson({ url: base, body: {}, provider: "test" });
    const events = await collect(readSseEvents(response, { provider: "test" }));
    expect(events).toEqual([
      { event: "message_start", id: "1", data: '{"a":1}' },
      { event: "content_block_delta", data: "line1\nline2" },
      { data: "[DONE]" },
    ]);
  });

  it("raises ServiceUnavailableError when the body ends in the middle of an event", async () => {
    handler = sse(["data: first\n\n", "data: sec"]);
    const response = await postJson({ url: base, body: {}, provider: "test" });
    const events: SseEvent[] = [];
    const error = await rejection(collect(readSseEvents(response, { provider: "test" }), events));
    expect(events).toEqual([{ data: "first" }]);
    expect(error).toBeInstanceOf(ServiceUnavailableError);
    expect((error as ServiceUnavailableError).reason).toBe("incomplete_stream");
  });

  it("ends cleanly when the last event is terminated", async () => {
    handler = sse(["data: a\n\n", ": trailing comment\n"]);
    const response = await postJson({ url: base, body: {}, provider: "test" });
    expect(await collect(readSseEvents(response, { provider: "test" }))).toEqual([{ data: "a" }]);
  });

  it("raises ServiceUnavailableError when the connection is reset mid-stream", async () => {
    handler = sse(["data: a\n\n"], "destroy");
    const response = await postJson({ url: base, body: {}, provider: "test" });
    const events: SseEvent[] = [];
    const error = await rejection(collect(readSseEvents(response, { provider: "test" }), events));
    expect(events).toEqual([{ data: "a" }]);
    expect(error).toBeInstanceOf(ServiceUnavailableError);
    expect((error as ServiceUnavailableError).cause).toBeDefined();
  });

  it("rejects with the AbortError when the caller aborts a stalled stream", async () => {
    handler = sse(["data: a\n\n"], "stall");
    const controller = new AbortController();
    const response = await postJson({
      url: base,
      body: {},
      provider: "test",
      signal: controller.signal,
    });
    const events: SseEvent[] = [];
    const iteration = (async () => {
      for await (const ev of readSseEvents(response, {
        provider: "test",
        signal: controller.signal,
      })) {
        events.push(ev);
        controller.abort();
      }
    })();
    const error = await rejection(iteration);
    expect(events).toEqual([{ data: "a" }]);
    expect(isAbortError(error)).toBe(true);
  });

  it("drops a BOM split across reads and joins a CRLF split across reads", async () => {
    const bytes = new TextEncoder().encode("\uFEFFdata: a\r\ndata: b\r\n\r\ndata: c\r\n\r\n");
    // The BOM's three bytes in three reads, and the first CR apart from its LF.
    handler = sse([
      bytes.subarray(0, 1),
      bytes.subarray(1, 2),
      bytes.subarray(2, 11),
      bytes.subarray(11),
    ]);
    const response = await postJson({ url: base, body: {}, provider: "test" });
    expect(await collect(readSseEvents(response, { provider: "test" }))).toEqual([
      { data: "a\nb" },
      { data: "c" },
    ]);
  });

  it("an abort while the consumer handles one of several events of one read stops at once", async () => {
    handler = sse(["data: a\n\ndata: b\n\ndata: c\n\n"], "stall");
    const controller = new AbortController();
    const response = await postJson({
      url: base,
      body: {},
      provider: "test",
      signal: controller.signal,
    });
    const reason = new DOMException("stop", "AbortError");
    const events: SseEvent[] = [];
    const error = await rejection(
      (async () => {
        for await (const ev of readSseEvents(response, {
          provider: "test",
          signal: controller.signal,
        })) {
          events.push(ev);
          controller.abort(reason);
        }
      })(),
    );
    expect(events).toEqual([{ data: "a" }]);
    expect(error).toBe(reason);
  });

  it("an event over maxEventBytes is response_too_large, and the connection is closed", async () => {
    let closed!: () => void;
    const socketClosed = new Promise<void>((resolve) => {
      closed = resolve;
    });
    handler = (req, res) => {
      req.socket.on("close", closed);
      sse(["data: ok\n\n", `data: ${"x".repeat(40)}`, "x".repeat(40)], "stall")(req, res, "");
    };
    const response = await postJson({ url: base, body: {}, provider: "test" });
    const events: SseEvent[] = [];
    const error = await rejection(
      collect(readSseEvents(response, { provider: "test", maxEventBytes: 64 }), events),
    );
    expect(events).toEqual([{ data: "ok" }]);
    expect(error).toBeInstanceOf(ProviderError);
    expect((error as ProviderError).reason).toBe("response_too_large");
    await socketClosed; // hangs (and the test times out) if the body were left open
  });

  it("closes the connection when the consumer stops early", async () => {
    let closed!: () => void;
    const socketClosed = new Promise<void>((resolve) => {
      closed = resolve;
    });
    handler = (req, res) => {
      req.socket.on("close", closed);
      sse(["data: a\n\n", "data: b\n\n"], "stall")(req, res, "");
    };
    const response = await postJson({ url: base, body: {}, provider: "test" });
    for await (const ev of readSseEvents(response, { provider: "test" })) {
      expect(ev.data).toBe("a");
      break;
    }
    await socketClosed; // hangs (and the test times out) if the body were left open
  });
});

describe("parseJsonEvent", () => {
  it("parses JSON data", () => {
    expect(parseJsonEvent<{ a: number }>('{"a":1}', "test")).toEqual({ a: 1 });
  });

  it("raises a non-retryable ProviderError with a scrubbed excerpt", () => {
    let error: unknown;
    try {
      parseJsonEvent(`{"a": ${KEY}`, "test", [KEY]);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ProviderError);
    expect((error as ProviderError).retryable).toBe(false);
    expect((error as ProviderError).reason).toBe("malformed_response");
    expect((error as ProviderError).message).toContain('{"a": [REDACTED]');
  });
});

describe("scrubSecrets re-export", () => {
  it("is the core scrubber", () => {
    expect(scrubSecrets(`key ${KEY}`, [KEY])).toBe("key [REDACTED]");
  });
});

describe("SseTailTracker", () => {
  const cases: [string, boolean][] = [
    ["", false],
    ["data: a\n\n", false],
    ["data: a\n", true],
    ["data: a", true],
    ["data", true],
    ["data: a\r\n\r\n", false],
    ["data: a\r\r", false],
    ["data: a\r\n\r\ndata: b", true],
    [": comment only", false],
    ["event: x\n", false],
    ["event: x\ndata: y\n", true],
    ["database: x\n", false],
    ["\uFEFFdata: a\n", true],
    ["data: a\n\n: trailing comment\n", false],
  ];
  for (const [text, expected] of cases) {
    it(`${JSON.stringify(text)} ${expected ? "ends inside an event" : "ends between events"}, however it is split`, () => {
      // Every split into two pieces, and one piece per character, must agree with the whole.
      const splits: string[][] = [[text], [...text]];
      for (let i = 1; i < text.length; i++) splits.push([text.slice(0, i), text.slice(i)]);
      for (const pieces of splits) {
        const tracker = new SseTailTracker();
        for (const p of pieces) tracker.feed(p);
        expect(tracker.inEvent, JSON.stringify(pieces)).toBe(expected);
      }
    });
  }
});
