import { LLMClient, type LLMClientOptions, type RephyscoEvent } from "@rephysco/core";
import "@rephysco/openai";
import { createMockServer, type MockServer } from "@rephysco/testing";

export { caught } from "@rephysco/testing";

import { afterAll, afterEach, beforeAll } from "vitest";

/** A 1x1 PNG. */
export const PNG = Uint8Array.from(
  Buffer.from(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNk+A8AAQUBAScY42YAAAAASUVORK5CYII=",
    "base64",
  ),
);

export const TEST_KEY = "sk-test-e2e-0123456789abcdef";

const clients = new Set<LLMClient<"openai">>();

/** Waits for the background cache writes of every client made by {@link openaiClient}. */
export async function flushClients(): Promise<void> {
  await Promise.all([...clients].map((c) => c.flush()));
  clients.clear();
}

/** Starts one mock server for the file; resets it between tests. */
export function useMockServer(): { readonly server: MockServer } {
  const ref = {} as { server: MockServer };
  beforeAll(async () => {
    ref.server = await createMockServer();
  });
  afterEach(async () => {
    await flushClients();
    ref.server.reset();
  });
  afterAll(async () => {
    await ref.server.close();
  });
  return ref;
}

/** An OpenAI client against the mock server, with fast retries, recording events. */
export function openaiClient(
  server: MockServer,
  options: Partial<LLMClientOptions<"openai">> = {},
): { client: LLMClient<"openai">; events: RephyscoEvent[] } {
  const events: RephyscoEvent[] = [];
  const client = new LLMClient({
    provider: "openai",
    apiKey: TEST_KEY,
    baseURL: `${server.url}/v1`,
    model: "gpt-4o-mini",
    retry: { baseDelayMs: 5, maxDelayMs: 2000, jitter: 0 },
    onEvent: (e) => events.push(e),
    ...options,
  });
  clients.add(client);
  return { client, events };
}

/** Collects a stream's chunks and text. */
export async function collect<T extends { content: string }>(
  it: AsyncIterable<T>,
): Promise<{ chunks: T[]; text: string }> {
  const chunks: T[] = [];
  for await (const c of it) chunks.push(c);
  return { chunks, text: chunks.map((c) => c.content).join("") };
}
