import {
  LLMClient,
  type Message,
  type Provider,
  type ProviderCallOptions,
  type RephyscoError,
  type StreamChunk,
  type StreamPart,
} from "@rephysco/core";

/** A tiny PNG signature: enough bytes for image type sniffing. */
export const TINY_PNG: Uint8Array = Uint8Array.from([
  0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13,
]);

/**
 * Runs `fn` and returns what it threw; throws when it did not throw, so a test cannot pass by
 * accident.
 *
 * @example
 * ```ts
 * const error = await caught(() => provider.generate(messages, { model }));
 * expect(error).toBeInstanceOf(RateLimitError);
 * ```
 */
export async function caught(fn: () => Promise<unknown>): Promise<RephyscoError> {
  try {
    await fn();
  } catch (error) {
    return error as RephyscoError;
  }
  throw new Error("expected the call to reject, but it resolved");
}

/** What {@link drain} collected from a stream. */
export interface DrainedStream {
  /** Every chunk received, in order. */
  readonly chunks: StreamChunk[];
  /** The answer text: every chunk's content joined. */
  readonly text: string;
  /** The error that ended the stream, if one did. */
  readonly error: RephyscoError | undefined;
}

/**
 * Reads a stream to its end, keeping the chunks received before an error as well as the error.
 *
 * @example
 * ```ts
 * const { text, error } = await drain(client.stream("hi"));
 * ```
 */
export async function drain(stream: AsyncIterable<StreamChunk>): Promise<DrainedStream> {
  const chunks: StreamChunk[] = [];
  let error: RephyscoError | undefined;
  try {
    for await (const chunk of stream) chunks.push(chunk);
  } catch (e) {
    error = e as RephyscoError;
  }
  return { chunks, text: chunks.map((c) => c.content).join(""), error };
}

/**
 * Where `secret` appears in an error: its message, stack, JSON form, kept body, or anywhere down
 * its `cause` chain. Returns a description of the first place found, or `undefined`.
 *
 * @example
 * ```ts
 * expect(findSecret(error, apiKey)).toBeUndefined();
 * ```
 */
export function findSecret(error: unknown, secret: string): string | undefined {
  let current: unknown = error;
  for (let depth = 0; current !== undefined && current !== null && depth < 8; depth++) {
    const e = current as Error & { error?: unknown; body?: unknown };
    const places: [string, string][] = [
      ["message", String(e.message)],
      ["stack", String(e.stack ?? "")],
      ["error", JSON.stringify(e.error ?? null)],
      ["body", JSON.stringify(e.body ?? null)],
      ["JSON", JSON.stringify(e) ?? ""],
    ];
    for (const [where, text] of places) {
      if (text.includes(secret)) return `${"cause.".repeat(depth)}${where}`;
    }
    current = e.cause;
  }
  return undefined;
}

/**
 * Streams through a provider as a caller does: the provider's parts, with the stream contract
 * `LLMClient` enforces for every provider (a stream without a finish is `incomplete_stream`,
 * partial output on errors), as public chunks. No retries, no cache. For provider tests that
 * assert what users see.
 *
 * @example
 * ```ts
 * const { text, error } = await drain(clientStream(provider, [user("Hi")], { model: "m-1" }));
 * ```
 */
export function clientStream(
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

/**
 * Reads `provider.stream()` itself (parts, no client in between) to its end or its error, for
 * tests of exactly what a provider emits.
 *
 * @example
 * ```ts
 * const { parts, error } = await drainParts(provider.stream([user("Hi")], { model: "m-1" }));
 * ```
 */
export async function drainParts(
  stream: AsyncIterable<StreamPart | StreamChunk>,
): Promise<DrainedParts> {
  const parts: StreamPart[] = [];
  let error: RephyscoError | undefined;
  try {
    for await (const part of stream) parts.push(part as StreamPart);
  } catch (e) {
    error = e as RephyscoError;
  }
  const texts = parts.flatMap((p) => (p.type === "text" ? [p.text] : []));
  return { parts, texts, error };
}
