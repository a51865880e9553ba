#!/usr/bin/env node
import { parseArgs } from "node:util";
import type { MockReplyFactory } from "./mock-reply.js";
import { createMockServer } from "./mock-server.js";
import { requestText } from "./request-text.js";
import { splitIntoChunks } from "./text-reply.js";

const USAGE = `Usage: rephysco-mock-server [--port <n>] [--host <addr>] [--text <answer>] [--chunks <n>]

Starts the Rephysco wire-format mock server (OpenAI, Gemini and Anthropic dialects), prints
{"url":"http://127.0.0.1:PORT"} as one JSON line on stdout and serves until SIGTERM/SIGINT.
Every request is answered with --text (default: "Echo: <last user message>"), streamed in
--chunks pieces (default 1) when the request asks for a stream.`;

function fail(message: string): never {
  process.stderr.write(`${message}\n\n${USAGE}\n`);
  process.exit(2);
}

function integer(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 0) fail(`--${name} must be a non-negative integer`);
  return parsed;
}

async function main(): Promise<void> {
  let values: ReturnType<typeof parse>["values"];
  try {
    values = parse().values;
  } catch (error) {
    fail(error instanceof Error ? error.message : String(error));
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const port = integer(values.port, "port", 0);
  const chunks = Math.max(1, integer(values.chunks, "chunks", 1));
  const fixedText = values.text;
  const reply: MockReplyFactory = (request) => {
    const text = fixedText ?? `Echo: ${requestText(request.dialect, request.body).lastUser}`;
    return { chunks: splitIntoChunks(text, chunks) };
  };
  // Nothing outside this process can read the recorded requests, and it may serve for hours
  // (benchmarks): keep none.
  const server = await createMockServer({
    port,
    host: values.host,
    defaultReply: reply,
    maxRecordedRequests: 0,
  });
  process.stdout.write(`${JSON.stringify({ url: server.url })}\n`);

  const stop = () => {
    server.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
}

function parse() {
  return parseArgs({
    options: {
      port: { type: "string" },
      host: { type: "string" },
      text: { type: "string" },
      chunks: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
    strict: true,
  });
}

main().catch((error: unknown) => {
  process.stderr.write(
    `${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
