import {
  LLMClient,
  type Message,
  type Provider,
  type ProviderCallOptions,
  type RephyscoError,
  type StreamChunk,
  type StreamPart,
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
 * the client enforces for every provider (a stream without a finish is `incomplete_stream`, an
 * error after output carries it), as public chunks. No retries, no cache.
 */
export function streamOf(
  provider: Provider,
  messages: readonly Message[],
  options: ProviderCallOptions,
): AsyncGenerator<StreamChunk, void, undefined> {
  const { model, signal, temperature, maxTokens, topP, stop, providerOptions, maxResponseBytes } =
    options;
  return new LLMClient({ provider, retry: false }).stream(messages, {
    model,
    ...(signal && { signal }),
    ...(temperature !== undefined && { temperature }),
    ...(maxTokens !== undefined && { maxTokens }),
    ...(topP !== undefined && { topP }),
    ...(stop !== undefined && { stop }),
    ...(providerOptions !== undefined && { providerOptions }),
    ...(maxResponseBytes !== undefined && { maxResponseBytes }),
  });
}

/** What {@link drainParts} read from a provider's own stream. */
export interface DrainedParts {
  /** Every part, in order. */
  readonly parts: StreamPart[];
  /** The texts of the `text` parts, in order. */
  readonly texts: string[];
  /** The error the stream ended with, if any. */
  readonly error: RephyscoError | undefined;
}

/** Reads `provider.stream()` itself (parts, no client in between) to its end or its error. */
export async function drainParts(stream: AsyncIterable<StreamPart>): Promise<DrainedParts> {
  const parts: StreamPart[] = [];
  let error: RephyscoError | undefined;
  try {
    for await (const part of stream) parts.push(part);
  } catch (e) {
    error = e as RephyscoError;
  }
  const texts = parts.flatMap((p) => (p.type === "text" ? [p.text] : []));
  return { parts, texts, error };
}
