import type { StreamPart } from "./stream-part.js";
import type {
  Message,
  ModelResponse,
  PriceSheet,
  ProviderCallOptions,
  ProviderCapabilities,
  StreamChunk,
} from "./types.js";

/** Settings every provider accepts. Providers extend this with their own fields. */
export interface ProviderOptions {
  /** API key. When omitted, the provider's environment variable is read when the provider is created. */
  readonly apiKey?: string;
  /** Base URL of the API (for proxies, gateways, regional endpoints, or the local mock server). */
  readonly baseURL?: string;
  /** Extra HTTP headers sent with every request. */
  readonly headers?: Readonly<Record<string, string>>;
  /** A `fetch` implementation to use instead of the global one (providers that use `fetch`). */
  readonly fetch?: typeof globalThis.fetch;
}

/**
 * What the client, the registry and factories need from a provider. Implement it directly (a
 * plain object works), or extend `BaseProvider`, which implements it and resolves keys and base
 * URLs for you.
 *
 * Contract:
 * - `generate` resolves to a {@link ModelResponse} or rejects with a `ProviderError` subclass;
 *   a `content_filter` finish rejects with `ContentFilterError`.
 * - `stream` yields {@link StreamPart}s and ends with one `finish` part once the provider saw its
 *   dialect's end marker; a stream that ends without one is reported as `incomplete_stream`.
 *   Yielding legacy `StreamChunk`s still works (they are adapted).
 * - Both pass `options.signal` to their transport, so that an abort closes the socket, and
 *   neither retries: the client runs the one retry policy.
 *
 * @example
 * ```ts
 * const echo: Provider = {
 *   name: "echo", defaultModel: "echo-1", baseURL: "memory:", keyFingerprint: "none",
 *   cacheIdentity: "", capabilities: { images: false, reasoning: false },
 *   async generate(messages, o) {
 *     return { content: messages.at(-1)!.content, model: o.model, provider: "echo", cached: false };
 *   },
 *   async *stream(messages) {
 *     yield { type: "text", text: messages.at(-1)!.content };
 *     yield { type: "finish", reason: "stop" };
 *   },
 *   scrub: (value) => value,
 * };
 * new LLMClient({ provider: echo });
 * ```
 */
export interface Provider {
  /** Registry id (`"openai"`), reported on answers, errors and events. */
  readonly name: string;
  /** Model used when the caller names none. */
  readonly defaultModel: string;
  /** What the provider supports. */
  readonly capabilities: ProviderCapabilities;
  /** Where requests go; part of the cache key. */
  readonly baseURL: string;
  /**
   * A short hash of the credentials (key, credential headers, account settings), never the
   * credentials themselves; part of the cache key so that answers never cross accounts.
   * `"none"` for a provider without credentials.
   */
  readonly keyFingerprint: string;
  /**
   * Settings that change answers beyond the base URL and credentials (extra body fields, API
   * version), as a stable string; part of the cache key. `""` when there are none.
   */
  readonly cacheIdentity: string;
  /** Sends one non-streaming request. */
  generate(messages: readonly Message[], options: ProviderCallOptions): Promise<ModelResponse>;
  /** Sends one streaming request and yields its parts, ending with a `finish` part. */
  stream(
    messages: readonly Message[],
    options: ProviderCallOptions,
  ): AsyncIterable<StreamPart | StreamChunk>;
  /**
   * Removes this provider's secrets (key, credential headers, base-URL credentials) from a
   * string, or in place from an error and its cause chain, and returns it. The client calls it
   * on errors a provider let escape unmapped.
   */
  scrub<T>(value: T): T;
  /**
   * Optional: checks a call before any request is sent, throwing an `InvalidRequestError` (reason
   * `invalid_tool` or `unsupported_feature`) that names the rule and this provider; for example
   * a tool name the API does not accept, or forcing a tool together with extended thinking. The
   * client calls it for every provider the call can reach (the primary and its fallbacks), so a
   * call that would fail on a fallback fails before its first request.
   */
  validateCall?(messages: readonly Message[], options: ProviderCallOptions): void;
  /**
   * Optional: the provider's price table (a dated snapshot), from which the client computes
   * `cost`. A model not in it has no cost (`undefined`, never 0). Users override or extend it
   * with the client's `prices` option.
   */
  readonly prices?: PriceSheet;
}

/** `true` when `value` looks like a {@link Provider} instance (as opposed to a registry id). */
export function isProvider(value: unknown): value is Provider {
  if (value === null || typeof value !== "object") return false;
  const p = value as Partial<Provider>;
  return (
    typeof p.name === "string" && typeof p.generate === "function" && typeof p.stream === "function"
  );
}
