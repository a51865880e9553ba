import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { anthropicDialect } from "./anthropic-dialect.js";
import type { DialectRenderer, RenderContext } from "./dialect.js";
import { geminiDialect } from "./gemini-dialect.js";
import type { MockReply, MockReplySource, MockTextReply } from "./mock-reply.js";
import { openaiDialect } from "./openai-dialect.js";
import type { MockDialect, RecordedRequest } from "./recorded-request.js";
import { requestText } from "./request-text.js";
import { ResponseLife } from "./response-life.js";
import type { StreamPlan } from "./response-plan.js";
import { routeRequest } from "./route-request.js";
import { sendBody, sendStream } from "./send-plan.js";
import { resolveTextReply } from "./text-reply.js";

/** Options of {@link createMockServer}. */
export interface MockServerOptions {
  /** Port to listen on; 0 (default) picks a free one. */
  port?: number;
  /** Interface to listen on (default `127.0.0.1`). */
  host?: string;
  /** Reply used when the queue is empty (default: text `Echo: <last user message>`). */
  defaultReply?: MockReplySource;
  /**
   * Most requests kept in {@link MockServer.requests}; once there are more, the oldest are
   * dropped first. A recorded request holds its whole parsed body, so a long-running server
   * (a benchmark target, the `rephysco-mock-server` bin) must not keep them all. `0` records
   * none (reply functions still get each request); `Infinity` keeps every one. Default
   * `10_000`: more than a test's load run sends, a bound for a server left running.
   *
   * @example
   * ```ts
   * const server = await createMockServer({ maxRecordedRequests: 10 });
   * // after 15 requests: server.requests holds the 10 most recent, oldest first
   * ```
   */
  maxRecordedRequests?: number;
}

/** Default of {@link MockServerOptions.maxRecordedRequests}. */
const MAX_RECORDED_REQUESTS = 10_000;

/** A running mock server. */
export interface MockServer {
  /** Base URL without a trailing slash, e.g. `http://127.0.0.1:41234`. */
  readonly url: string;
  /** Port the server listens on. */
  readonly port: number;
  /**
   * The requests received, in arrival order: the most recent
   * {@link MockServerOptions.maxRecordedRequests} (default 10,000). Cleared by
   * {@link MockServer.reset}.
   */
  readonly requests: RecordedRequest[];
  /** Replies queued and not used yet. */
  readonly pending: number;
  /** Responses currently being sent (a stalled stream counts until its socket closes). */
  readonly inFlight: number;
  /**
   * Queues replies, first in first out. A function is called with the request it answers.
   * When the queue is empty the default reply answers.
   */
  enqueue(reply: MockReplySource | readonly MockReplySource[]): void;
  /** Resolves once no response is in flight (immediately if none is). */
  whenIdle(): Promise<void>;
  /** Clears the reply queue and the recorded requests. */
  reset(): void;
  /** Stops listening and destroys every open socket (stalled streams included). Idempotent. */
  close(): Promise<void>;
}

const DIALECTS: Record<Exclude<MockDialect, "unknown">, DialectRenderer> = {
  openai: openaiDialect,
  gemini: geminiDialect,
  anthropic: anthropicDialect,
};

function readBody(request: IncomingMessage): Promise<string | undefined> {
  return new Promise((resolve) => {
    const parts: Buffer[] = [];
    request.on("data", (part: Buffer) => parts.push(part));
    request.on("end", () => resolve(Buffer.concat(parts).toString("utf8")));
    request.on("error", () => resolve(undefined));
    // A client that leaves mid-body: 'end' never comes (a no-op after a normal 'end').
    request.on("close", () => resolve(undefined));
  });
}

function parseBody(text: string): unknown {
  if (text === "") return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

function lowerCaseHeaders(request: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(", ") : value;
  }
  return headers;
}

function field(body: unknown, name: string): unknown {
  return typeof body === "object" && body !== null
    ? (body as Record<string, unknown>)[name]
    : undefined;
}

function jsonHeaders(extra?: Record<string, string>): Record<string, string> {
  return { "content-type": "application/json", ...extra };
}

/**
 * Starts a deterministic wire-format server speaking the OpenAI Chat Completions, Gemini and
 * Anthropic Messages dialects, with scripted replies and faults.
 *
 * @example
 * const server = await createMockServer();
 * server.enqueue({ chunks: ["Hel", "lo"], finishReason: "stop" });
 * const client = new OpenAI({ apiKey: "test", baseURL: `${server.url}/v1` });
 * // ... call the client, then inspect server.requests
 * await server.close();
 */
export async function createMockServer(options: MockServerOptions = {}): Promise<MockServer> {
  const host = options.host ?? "127.0.0.1";
  const maxRecorded = options.maxRecordedRequests ?? MAX_RECORDED_REQUESTS;
  if (
    !(Number.isInteger(maxRecorded) || maxRecorded === Number.POSITIVE_INFINITY) ||
    maxRecorded < 0
  )
    throw new TypeError(
      `createMockServer: maxRecordedRequests must be an integer >= 0 or Infinity, got ${maxRecorded}.`,
    );
  const queue: MockReplySource[] = [];
  const requests: RecordedRequest[] = [];
  const sockets = new Set<Socket>();
  let idleWaiters: Array<() => void> = [];
  let inFlight = 0;
  let seq = 0;
  let closing: Promise<void> | undefined;

  const settle = () => {
    if (inFlight > 0) return;
    const waiters = idleWaiters;
    idleWaiters = [];
    for (const resolve of waiters) resolve();
  };

  async function nextReply(record: RecordedRequest, lastUser: string): Promise<MockReply> {
    const source: MockReplySource = queue.shift() ??
      options.defaultReply ?? { text: `Echo: ${lastUser}` };
    return typeof source === "function" ? await source(record) : source;
  }

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    inFlight++;
    const life = new ResponseLife(response);
    let record: RecordedRequest | undefined;
    response.once("close", () => {
      if (record && !response.writableFinished && !life.destroyedByServer && !closing) {
        record.aborted = true;
      }
      inFlight--;
      settle();
    });

    const url = new URL(request.url ?? "/", "http://mock.invalid");
    const method = request.method ?? "GET";
    const route = routeRequest(method, url.pathname);
    const text = await readBody(request);
    if (text === undefined || life.closed) return;
    const body = parseBody(text);
    const stream =
      route.dialect === "gemini" ? route.geminiStream === true : field(body, "stream") === true;
    record = {
      method,
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers: lowerCaseHeaders(request),
      body,
      dialect: route.dialect,
      stream,
      aborted: false,
    };
    if (maxRecorded > 0) {
      // Oldest first out; `requests` is the caller's array too, so trim whatever is over.
      if (requests.length >= maxRecorded) requests.splice(0, requests.length - maxRecorded + 1);
      requests.push(record);
    }

    if (route.dialect === "unknown") {
      const message = `Unknown request URL: ${method} ${url.pathname}. Please check the URL for typos, or see the docs at https://platform.openai.com/docs/api-reference/.`;
      sendBody(response, {
        kind: "body",
        status: 404,
        headers: jsonHeaders(),
        body: JSON.stringify({
          error: { message, type: "invalid_request_error", param: null, code: "unknown_url" },
        }),
      });
      return;
    }

    const renderer = DIALECTS[route.dialect];
    const modelField = field(body, "model");
    const ctx: RenderContext = {
      request: record,
      seq: ++seq,
      requestModel: route.model ?? (typeof modelField === "string" ? modelField : "mock-model"),
      text: requestText(route.dialect, body),
    };
    let reply: MockReply;
    try {
      reply = await nextReply(record, ctx.text.lastUser);
    } catch (error) {
      // A throwing factory is a bug in the test: answer 500 so that it shows up, not a hang.
      sendBody(response, {
        kind: "body",
        status: 500,
        headers: jsonHeaders(),
        body: JSON.stringify({ error: { message: `mock reply factory threw: ${String(error)}` } }),
      });
      return;
    }
    await answer(reply, renderer, ctx, response, life);
  }

  async function answer(
    reply: MockReply,
    renderer: DialectRenderer,
    ctx: RenderContext,
    response: ServerResponse,
    life: ResponseLife,
  ): Promise<void> {
    if (!(await life.wait(reply.delayMs))) return;
    const base = renderer.baseHeaders(ctx);

    if ("reset" in reply) {
      life.destroy(response);
      return;
    }
    if ("error" in reply) {
      const { status, body, rawBody, headers } = reply.error;
      const contentType = rawBody === undefined ? "application/json" : "text/plain; charset=utf-8";
      sendBody(response, {
        kind: "body",
        status,
        headers: { "content-type": contentType, ...base, ...headers },
        body: rawBody ?? (body === undefined ? "" : JSON.stringify(body)),
      });
      return;
    }
    if ("malformed" in reply) {
      if (ctx.request.stream && isSse(ctx)) {
        const plan: StreamPlan = {
          kind: "stream",
          status: 200,
          headers: { "content-type": "text/event-stream", ...base },
          groups: [[renderer.rawDataFrame(reply.malformed)]],
          trailer: [],
        };
        await sendStream(response, plan, {}, life);
      } else {
        sendBody(response, {
          kind: "body",
          status: 200,
          headers: jsonHeaders(base),
          body: reply.malformed,
        });
      }
      return;
    }
    if ("raw" in reply) {
      const { status, headers = {}, body } = reply.raw;
      if (typeof body === "string") {
        sendBody(response, { kind: "body", status, headers, body });
      } else {
        const plan: StreamPlan = {
          kind: "stream",
          status,
          headers,
          groups: body.map((piece) => [piece]),
          trailer: [],
        };
        await sendStream(response, plan, { chunkDelayMs: reply.chunkDelayMs }, life);
      }
      return;
    }
    await answerText(reply, renderer, ctx, response, life, base);
  }

  async function answerText(
    reply: MockTextReply,
    renderer: DialectRenderer,
    ctx: RenderContext,
    response: ServerResponse,
    life: ResponseLife,
    base: Record<string, string>,
  ): Promise<void> {
    const resolved = resolveTextReply(reply, {
      requestModel: ctx.requestModel,
      text: ctx.text,
      defaultFinish: renderer.defaultFinish,
      mapFinish: renderer.mapFinish,
    });
    const plan = renderer.renderText(resolved, ctx);
    plan.headers = { ...plan.headers, ...base, ...reply.headers };
    if (plan.kind === "body") {
      sendBody(response, plan);
      return;
    }
    const error = reply.midStreamError;
    await sendStream(
      response,
      plan,
      {
        firstChunkDelayMs: reply.firstChunkDelayMs,
        chunkDelayMs: reply.chunkDelayMs,
        resetAfterChunks: reply.resetAfterChunks,
        stallAfterChunks: reply.stallAfterChunks,
        midStreamError: error && {
          afterChunks: error.afterChunks,
          frame: renderer.streamErrorFrame(error.body),
        },
      },
      life,
    );
  }

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      // Never leave a client hanging on an internal bug.
      if (!response.headersSent) {
        response.writeHead(500, jsonHeaders());
        response.end(JSON.stringify({ error: { message: `mock server error: ${String(error)}` } }));
      } else {
        response.destroy();
      }
    });
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://${host.includes(":") ? `[${host}]` : host}:${port}`;

  return {
    url,
    port,
    requests,
    get pending() {
      return queue.length;
    },
    get inFlight() {
      return inFlight;
    },
    enqueue(reply) {
      if (Array.isArray(reply)) queue.push(...(reply as readonly MockReplySource[]));
      else queue.push(reply as MockReplySource);
    },
    whenIdle() {
      return inFlight === 0
        ? Promise.resolve()
        : new Promise((resolve) => idleWaiters.push(resolve));
    },
    reset() {
      queue.length = 0;
      requests.length = 0;
    },
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
        server.closeAllConnections();
      });
      return closing;
    },
  };
}

/** Gemini streams are SSE only with `?alt=sse`; without it the API streams a JSON array. */
function isSse(ctx: RenderContext): boolean {
  return ctx.request.dialect !== "gemini" || ctx.request.query.alt === "sse";
}
