import {
  LLMClient,
  type Message,
  type Provider,
  type ProviderCallOptions,
  type StreamChunk,
} from "@rephysco/core";
import { findSecret } from "@rephysco/testing";
import { expect } from "vitest";

/** A key shaped like a real OpenAI key, so both exact-value and pattern scrubbing are exercised. */
export const KEY = "sk-test-0123456789abcdefSECRET";

export { caught, drain, TINY_PNG as PNG } from "@rephysco/testing";

/** Asserts a secret appears nowhere in an error: message, JSON, stack, body, cause chain. */
export function expectNoSecret(error: unknown, secret: string): void {
  expect(findSecret(error, secret)).toBeUndefined();
}

/**
 * Streams through the provider as a caller does: the provider's parts, with the stream contract
 * the client enforces for every provider, as public chunks. No retries, no cache.
 */
export function streamOf(
  provider: Provider,
  messages: readonly Message[],
  options: ProviderCallOptions,
): AsyncGenerator<StreamChunk, void, undefined> {
  const { model, providerOptions } = options;
  return new LLMClient({ provider, retry: false }).stream(messages, {
    model,
    ...(providerOptions !== undefined && { providerOptions }),
  });
}
