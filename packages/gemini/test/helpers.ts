import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Message, ProviderCallOptions, StreamChunk } from "@rephysco/core";
import { createMockServer, type MockServer } from "@rephysco/testing";
import { GeminiProvider, type GeminiProviderSettings } from "../src/index.js";

/** A key shaped like no known provider key, so only exact-value scrubbing can hide it. */
export const TEST_KEY = "gm-test-key-0123456789-secret";

export const user = (content: string, extra: Partial<Message> = {}): Message => ({
  role: "user",
  content,
  ...extra,
});

/** A mock server and a provider pointed at it. */
export async function setup(settings: GeminiProviderSettings = {}) {
  const server = await createMockServer();
  const provider = new GeminiProvider({ apiKey: TEST_KEY, baseURL: server.url, ...settings });
  return { server, provider };
}

export const call = (model = "gemini-2.5-flash", extra: Partial<ProviderCallOptions> = {}) => ({
  model,
  ...extra,
});

/** The body the mock server received for request `i`. */
export function bodyOf(server: MockServer, i = 0): Record<string, unknown> {
  return server.requests[i]!.body as Record<string, unknown>;
}

/** Streams through the provider as a caller does (see `clientStream` in @rephysco/testing). */
export { clientStream as streamOf } from "@rephysco/testing";

/** Collects a stream's chunks, and the error it ended with (if any). */
export async function collect(
  stream: AsyncIterable<StreamChunk>,
): Promise<{ chunks: StreamChunk[]; error: unknown }> {
  const chunks: StreamChunk[] = [];
  try {
    for await (const c of stream) chunks.push(c);
    return { chunks, error: undefined };
  } catch (error) {
    return { chunks, error };
  }
}

/** Awaits a promise that must reject, and returns the rejection. */
export async function rejection(p: Promise<unknown> | (() => Promise<unknown>)): Promise<unknown> {
  try {
    await (typeof p === "function" ? p() : p);
  } catch (e) {
    return e;
  }
  throw new Error("expected a rejection, got a result");
}

/** Everything reachable from an error, as text: message, stack, body, data and the cause chain. */
export function everythingIn(error: unknown): string {
  const seen = new Set<unknown>();
  const out: string[] = [];
  const walk = (v: unknown, depth: number) => {
    if (depth > 10 || v === null || v === undefined || seen.has(v)) return;
    if (typeof v !== "object") {
      out.push(String(v));
      return;
    }
    seen.add(v);
    if (v instanceof Error) out.push(v.message, v.stack ?? "");
    for (const key of Object.getOwnPropertyNames(v))
      walk((v as Record<string, unknown>)[key], depth + 1);
    if (v instanceof Error) walk(v.cause, depth + 1);
  };
  walk(error, 0);
  try {
    out.push(JSON.stringify(error));
  } catch {
    // circular: the walk above covered it
  }
  return out.join("\n");
}

/**
 * A tiny HTTP server for image URLs; the handler decides what each path returns. On `host` `"::"`
 * it answers on every local address (127.0.0.1, 127.0.0.2, ::1, 0.0.0.0, localhost...).
 */
export async function startImageServer(
  handler: (req: IncomingMessage, res: ServerResponse) => void,
  host = "127.0.0.1",
): Promise<{ url: string; port: number; hits: string[]; close: () => Promise<void> }> {
  const hits: string[] = [];
  const server = createServer((req, res) => {
    hits.push(req.url ?? "");
    handler(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    hits,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A valid 1x1 PNG. */
export const PNG_1X1 = Buffer.from(
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==",
  "base64",
);
