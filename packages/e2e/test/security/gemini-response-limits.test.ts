import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import {
  InvalidRequestError,
  LLMClient,
  ProviderError,
  ServiceUnavailableError,
} from "@rephysco/core";
import { GeminiProvider } from "@rephysco/gemini";
import { caught, drain } from "@rephysco/testing";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";

const KEY = "gm-e2e-limits-key-0123456789";
const MODEL = "gemini-2.5-flash";
const HUGE = 120 * 1024 * 1024;
const FILLER = Buffer.alloc(64 * 1024, "x");
/** Short lines, none of them blank: not one event boundary. */
const LINES = Buffer.from("data: x\n".repeat(8 * 1024));

let url: string;
let requests = 0;
/** Bytes the server managed to write for the last response (the client stops reading early). */
let written = 0;
let handler: (req: IncomingMessage, res: ServerResponse) => void;
const server = createServer((req, res) => {
  requests++;
  // Drain the request body, then answer.
  req.resume();
  req.on("end", () => handler(req, res));
});

beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
beforeEach(() => {
  requests = 0;
  written = 0;
});
afterAll(
  () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
);

/**
 * Sends `head`, then FILLER again and again while the socket takes it, then `tail`, up to about
 * `total` bytes (endless when `Infinity`). Lazy: never more than one chunk is held, and it stops
 * when the client goes away.
 */
function pour(
  res: ServerResponse,
  head: string,
  total: number,
  tail = "",
  filler: Buffer = FILLER,
): void {
  let closed = false;
  res.on("close", () => {
    closed = true;
  });
  res.write(head);
  written = head.length;
  const more = () => {
    while (!closed && written < total) {
      written += filler.length;
      if (!res.write(filler)) {
        res.once("drain", more);
        return;
      }
    }
    if (!closed) res.end(tail);
  };
  more();
}

const gemini = () => new GeminiProvider({ apiKey: KEY, baseURL: url });
const client = () => new LLMClient({ provider: "gemini", apiKey: KEY, baseURL: url, model: MODEL });
const hi = [{ role: "user" as const, content: "Hi" }];

describe("Gemini: a 120 MB error body", () => {
  beforeEach(() => {
    handler = (_req, res) => {
      res.writeHead(400, { "content-type": "application/json; charset=UTF-8" });
      pour(res, '{"error":{"code":400,"status":"INVALID_ARGUMENT","message":"', HUGE, '"}}');
    };
  });

  it.each([
    ["generate", (p: GeminiProvider) => p.generate(hi, { model: MODEL })],
    [
      "stream",
      (p: GeminiProvider) =>
        drain(new LLMClient({ provider: p, retry: false }).stream(hi, { model: MODEL })).then(
          (d) => {
            throw d.error;
          },
        ),
    ],
  ] as const)(
    "%s: is read up to 64 KiB; status and code kept, message short",
    async (_mode, run) => {
      const e = (await caught(() => run(gemini()))) as InvalidRequestError;
      expect(e).toBeInstanceOf(InvalidRequestError);
      expect(e.status).toBe(400);
      expect(e.code).toBe("INVALID_ARGUMENT");
      expect(e.message.startsWith("Gemini: xxxx")).toBe(true);
      expect(e.message.length).toBeLessThanOrEqual(520);
      expect(typeof e.body).toBe("string");
      expect((e.body as string).length).toBeLessThanOrEqual(64 * 1024 + 1);
      expect(JSON.stringify(e).length).toBeLessThan(512 * 1024);
      expect(written).toBeLessThan(HUGE);
    },
  );

  it("through LLMClient: one request, the status-based error", async () => {
    const e = await caught(() => client().generate("Hi"));
    expect(e).toBeInstanceOf(InvalidRequestError);
    expect(e.status).toBe(400);
    expect(requests).toBe(1);
  });
});

describe("Gemini: a 200 answer that never ends", () => {
  const huge200 = (declareLength: boolean) => (_req: IncomingMessage, res: ServerResponse) => {
    res.writeHead(200, {
      "content-type": "application/json; charset=UTF-8",
      ...(declareLength && { "content-length": String(HUGE) }),
    });
    pour(res, '{"candidates":[{"content":{"parts":[{"text":"', declareLength ? HUGE : Infinity);
  };

  it("fails with response_too_large past maxResponseBytes, never a retryable error", async () => {
    handler = huge200(false);
    const e = await caught(() =>
      gemini().generate(hi, { model: MODEL, maxResponseBytes: 1024 * 1024 }),
    );
    expect(e).toBeInstanceOf(ProviderError);
    expect(e).not.toBeInstanceOf(ServiceUnavailableError);
    expect(e).toMatchObject({ reason: "response_too_large", retryable: false, provider: "gemini" });
  });

  it("fails before reading when content-length is above the cap", async () => {
    handler = huge200(true);
    const e = await caught(() =>
      gemini().generate(hi, { model: MODEL, maxResponseBytes: 1024 * 1024 }),
    );
    expect(e).toMatchObject({ reason: "response_too_large", retryable: false });
    expect(written).toBeLessThan(HUGE);
  });

  it("through LLMClient with its defaults (64 MiB, retries on): response_too_large after one request", async () => {
    handler = huge200(false);
    const e = await caught(() => client().generate("Hi"));
    expect(e).toBeInstanceOf(ProviderError);
    expect(e).not.toBeInstanceOf(ServiceUnavailableError);
    expect(e).toMatchObject({ reason: "response_too_large", retryable: false });
    expect(requests).toBe(1);
  });
});

describe.each([
  ["one endless line", FILLER],
  ["endless short lines without a blank line", LINES],
])("Gemini: a stream with %s", (_name, filler) => {
  beforeEach(() => {
    handler = (_req, res) => {
      res.writeHead(200, { "content-type": "text/event-stream" });
      pour(res, 'data: {"candidates":[{"content":{"parts":[{"text":"', Infinity, "", filler);
    };
  });

  it("fails with response_too_large after 1 MiB, with nothing yielded", async () => {
    const { chunks, error } = await drain(
      new LLMClient({ provider: gemini(), retry: false }).stream(hi, { model: MODEL }),
    );
    expect(chunks).toEqual([]);
    expect(error).toBeInstanceOf(ProviderError);
    expect(error).not.toBeInstanceOf(ServiceUnavailableError);
    expect(error).toMatchObject({ reason: "response_too_large", retryable: false });
  });

  it("through LLMClient: one request", async () => {
    const { error } = await drain(client().stream("Hi"));
    expect(error).toMatchObject({ reason: "response_too_large" });
    expect(requests).toBe(1);
  });
});
