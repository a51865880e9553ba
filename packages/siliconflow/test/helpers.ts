import type { RephyscoError, StreamChunk } from "@rephysco/core";
import { expect } from "vitest";

/** A key shaped like a real OpenAI key, so both exact-value and pattern scrubbing are exercised. */
export const KEY = "sk-test-0123456789abcdefSECRET";

/** A tiny valid PNG header (enough for type sniffing). */
export const PNG = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]);

/** Runs `fn` and returns what it threw (fails when it did not throw). */
export async function caught(fn: () => Promise<unknown>): Promise<RephyscoError> {
  try {
    await fn();
  } catch (error) {
    return error as RephyscoError;
  }
  throw new Error("expected a rejection");
}

/** Collects a stream; returns the chunks and the error that ended it, if any. */
export async function drain(
  stream: AsyncIterable<StreamChunk>,
): Promise<{ chunks: StreamChunk[]; error: RephyscoError | undefined }> {
  const chunks: StreamChunk[] = [];
  try {
    for await (const chunk of stream) chunks.push(chunk);
  } catch (error) {
    return { chunks, error: error as RephyscoError };
  }
  return { chunks, error: undefined };
}

/** Asserts a secret appears nowhere in an error: message, JSON, stack, body, cause chain. */
export function expectNoSecret(error: unknown, secret: string): void {
  let current: unknown = error;
  for (let depth = 0; current !== undefined && current !== null && depth < 8; depth++) {
    const e = current as Error & { error?: unknown; body?: unknown };
    expect(String(e.message)).not.toContain(secret);
    expect(String(e.stack ?? "")).not.toContain(secret);
    expect(JSON.stringify(e.error ?? null)).not.toContain(secret);
    expect(JSON.stringify(e.body ?? null)).not.toContain(secret);
    expect(JSON.stringify(e)).not.toContain(secret);
    current = e.cause;
  }
}
