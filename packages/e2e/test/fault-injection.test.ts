/**
 * One table of faults, run through LLMClient for every provider package against the local wire
 * server. For each fault: the error class (or answer) the caller gets, how many attempts reached
 * the server, and the waits the retry policy chose.
 */
import {
  LLMClient,
  ProviderError,
  type RephyscoEvent,
  ServiceUnavailableError,
  TimeoutError,
} from "@rephysco/core";
import "@rephysco/openai";
import "@rephysco/gemini";
import "@rephysco/aliyun";
import "@rephysco/xai";
import "@rephysco/siliconflow";
import "@rephysco/anthropic";
import type { MockReply, MockServer } from "@rephysco/testing";
import { describe, expect, it } from "vitest";
import { useMockServer } from "./helpers.js";

type Dialect = "openai" | "gemini" | "anthropic" | "siliconflow";

interface ProviderCase {
  readonly id: string;
  readonly model: string;
  readonly dialect: Dialect;
  readonly baseURL: (server: MockServer) => string;
}

const PROVIDERS: readonly ProviderCase[] = [
  { id: "openai", model: "gpt-4o-mini", dialect: "openai", baseURL: (s) => `${s.url}/v1` },
  {
    id: "aliyun",
    model: "qwen-plus",
    dialect: "openai",
    baseURL: (s) => `${s.url}/compatible-mode/v1`,
  },
  { id: "xai", model: "grok-3", dialect: "openai", baseURL: (s) => `${s.url}/v1` },
  {
    id: "silicon_flow",
    model: "deepseek-ai/DeepSeek-V3",
    dialect: "siliconflow",
    baseURL: (s) => `${s.url}/v1`,
  },
  { id: "gemini", model: "gemini-2.5-flash", dialect: "gemini", baseURL: (s) => s.url },
  {
    id: "anthropic",
    model: "claude-haiku-4-5",
    dialect: "anthropic",
    baseURL: (s) => `${s.url}/v1`,
  },
];

const GOOGLE_STATUS: Record<number, string> = {
  408: "DEADLINE_EXCEEDED",
  429: "RESOURCE_EXHAUSTED",
  500: "INTERNAL",
  502: "UNAVAILABLE",
  503: "UNAVAILABLE",
  504: "DEADLINE_EXCEEDED",
  529: "UNAVAILABLE",
};

/** The error body each dialect really sends for a status. */
function errorBody(dialect: Dialect, status: number, retryDelay?: string): unknown {
  switch (dialect) {
    case "openai":
      return status === 429
        ? {
            error: {
              message: "Rate limit reached for requests",
              type: "requests",
              param: null,
              code: "rate_limit_exceeded",
            },
          }
        : {
            error: {
              message: "The server had an error while processing your request.",
              type: "server_error",
              param: null,
              code: null,
            },
          };
    case "siliconflow":
      return status === 429
        ? {
            message: "Request was rejected due to rate limiting. Details: RPM limit reached.",
            data: null,
          }
        : { code: 50505, message: "Model service overloaded. Please try again later.", data: null };
    case "gemini":
      return {
        error: {
          code: status,
          message:
            status === 429
              ? "You exceeded your current quota."
              : "The model is overloaded. Please try again later.",
          status: GOOGLE_STATUS[status] ?? "UNKNOWN",
          ...(retryDelay && {
            details: [{ "@type": "type.googleapis.com/google.rpc.RetryInfo", retryDelay }],
          }),
        },
      };
    case "anthropic":
      return {
        type: "error",
        error: {
          type:
            status === 429 ? "rate_limit_error" : status === 529 ? "overloaded_error" : "api_error",
          message:
            status === 429 ? "Number of requests has exceeded your rate limit" : "Overloaded",
        },
      };
  }
}

interface FaultCase {
  readonly name: string;
  readonly stream: boolean;
  readonly replies: (p: ProviderCase) => MockReply[];
  readonly client?: { timeoutMs?: number; idleTimeoutMs?: number; firstChunkTimeoutMs?: number };
  readonly abortAfterChunks?: number;
  readonly expected:
    | { readonly content: string }
    | {
        readonly error: abstract new (...args: never[]) => Error;
        readonly name?: string;
        readonly partial?: string;
      };
  readonly attempts: number;
  /** The waits the policy must choose, or a check on them. */
  readonly waits?: readonly number[] | ((w: readonly number[]) => boolean);
}

const httpError = (
  p: ProviderCase,
  status: number,
  headers: Record<string, string> = {},
  retryDelay?: string,
): MockReply => ({
  error: { status, headers, body: errorBody(p.dialect, status, retryDelay) },
});

const ok: MockReply = { chunks: ["all ", "good"] };
const STATUSES = [408, 500, 502, 503, 504, 529];

const FAULTS: readonly FaultCase[] = [
  {
    name: "429 with retry-after-ms",
    stream: false,
    // Gemini reports the wait in the body (RetryInfo), not in a header.
    replies: (p) => [
      p.dialect === "gemini"
        ? httpError(p, 429, {}, "0.02s")
        : httpError(p, 429, { "retry-after-ms": "20" }),
      ok,
    ],
    expected: { content: "all good" },
    attempts: 2,
    waits: [20],
  },
  {
    name: "429 with Retry-After seconds",
    stream: true,
    replies: (p) => [
      p.dialect === "gemini"
        ? httpError(p, 429, {}, "0.03s")
        : httpError(p, 429, { "retry-after": "0.03" }),
      ok,
    ],
    expected: { content: "all good" },
    attempts: 2,
    waits: [30],
  },
  {
    name: "429 with Retry-After as an HTTP date",
    stream: false,
    replies: (p) =>
      p.dialect === "gemini"
        ? [httpError(p, 429, {}, "1s"), ok]
        : [httpError(p, 429, { "retry-after": new Date(Date.now() + 2000).toUTCString() }), ok],
    expected: { content: "all good" },
    attempts: 2,
    waits: (w) => w.length === 1 && w[0]! > 0 && w[0]! <= 2000,
  },
  ...STATUSES.map(
    (status): FaultCase => ({
      name: `${status} then success`,
      stream: status % 2 === 0,
      replies: (p) => [httpError(p, status), ok],
      expected: { content: "all good" },
      attempts: 2,
      waits: [1],
    }),
  ),
  {
    name: "503 on every attempt",
    stream: false,
    replies: (p) => [httpError(p, 503), httpError(p, 503), httpError(p, 503), ok],
    expected: { error: ServiceUnavailableError },
    attempts: 3,
    waits: [1, 2],
  },
  {
    name: "reset before headers",
    stream: false,
    replies: () => [{ reset: true }, ok],
    expected: { content: "all good" },
    attempts: 2,
    waits: [1],
  },
  {
    name: "reset mid-stream",
    stream: true,
    replies: () => [{ chunks: ["partial ", "answer ", "lost"], resetAfterChunks: 2 }, ok],
    expected: { error: ServiceUnavailableError, partial: "partial answer " },
    attempts: 1,
    waits: [],
  },
  {
    name: "slow headers past timeoutMs",
    stream: false,
    client: { timeoutMs: 1_500 },
    replies: () => [{ text: "too slow", delayMs: 60_000 }, ok],
    expected: { content: "all good" },
    attempts: 2,
    waits: [1],
  },
  {
    name: "stalled stream past idleTimeoutMs",
    stream: true,
    client: { idleTimeoutMs: 500 },
    replies: () => [{ chunks: ["first ", "then nothing"], stallAfterChunks: 1 }, ok],
    expected: { error: TimeoutError, partial: "first " },
    attempts: 1,
    waits: [],
  },
  {
    name: "malformed JSON body",
    stream: false,
    replies: () => [{ malformed: '{"candidates": [{"content": {"parts": [{"te' }, ok],
    expected: { error: ProviderError },
    attempts: 1,
    waits: [],
  },
  {
    name: "truncated SSE (no finish, no end marker)",
    stream: true,
    replies: () => [{ chunks: ["cut ", "off"], omitFinish: true, omitDone: true }, ok],
    expected: { error: ServiceUnavailableError, partial: "cut off" },
    attempts: 1,
    waits: [],
  },
  {
    name: "abort mid-stream",
    stream: true,
    abortAfterChunks: 1,
    replies: () => [{ chunks: ["one ", "two ", "three"], chunkDelayMs: 80 }, ok],
    expected: { error: Error, name: "AbortError" },
    attempts: 1,
    waits: [],
  },
];

const ctx = useMockServer();

describe.each(PROVIDERS)("fault injection: $id", (p) => {
  it.each(FAULTS)("$name", async (fault) => {
    const { server } = ctx;
    server.enqueue(fault.replies(p));
    const events: RephyscoEvent[] = [];
    const client = new LLMClient({
      provider: p.id,
      model: p.model,
      apiKey: "sk-fault-injection-key-0000",
      baseURL: p.baseURL(server),
      retry: { maxRetries: 2, baseDelayMs: 1, backoffFactor: 2, jitter: 0 },
      onEvent: (e) => events.push(e),
      ...fault.client,
    });
    const ac = new AbortController();
    let content = "";
    let thrown: unknown;
    try {
      if (fault.stream) {
        let n = 0;
        for await (const c of client.stream("fault?", { signal: ac.signal })) {
          content += c.content;
          if (c.content && ++n === fault.abortAfterChunks) ac.abort();
        }
      } else {
        content = (await client.generate("fault?", { signal: ac.signal })).content;
      }
    } catch (e) {
      thrown = e;
    }
    const waits = events.flatMap((e) => (e.type === "retry" ? [e.delayMs] : []));

    if ("content" in fault.expected) {
      expect(thrown).toBeUndefined();
      expect(content).toBe(fault.expected.content);
    } else {
      expect(thrown).toBeInstanceOf(fault.expected.error);
      if (fault.expected.name) expect((thrown as Error).name).toBe(fault.expected.name);
      if (fault.expected.partial !== undefined) {
        expect(content).toBe(fault.expected.partial);
        expect((thrown as ServiceUnavailableError).partialContent).toBe(fault.expected.partial);
      }
    }
    expect(server.requests.length).toBe(fault.attempts);
    if (typeof fault.waits === "function") expect(fault.waits(waits)).toBe(true);
    else if (fault.waits) expect(waits).toEqual(fault.waits);
  });
});
