/**
 * Who wrote a message. `tool` is reserved for tool results; providers that do not support
 * tools reject it with an {@link InvalidRequestError}.
 */
export type Role = "system" | "user" | "assistant" | "tool";

/**
 * An image attached to a message. Accepted forms:
 * - an `http(s)://` URL string or a `URL` object (passed to providers that fetch URLs, fetched and
 *   inlined for providers that need bytes),
 * - a `data:<mime>;base64,...` URL string,
 * - raw bytes (`Uint8Array` or `Buffer`); the MIME type is sniffed from the bytes,
 * - `{ data, mediaType }` where `data` is bytes or a base64 string.
 *
 * Rephysco never reads a local file path on its own: read the file and pass the bytes.
 *
 * @example
 * ```ts
 * const img: ImageInput = { data: await readFile("cat.png"), mediaType: "image/png" };
 * ```
 */
export type ImageInput =
  | string
  | URL
  | Uint8Array
  | {
      /** The image bytes, or the bytes as a base64 string (no `data:` prefix). */
      readonly data: Uint8Array | string;
      /** The IANA media type, such as `image/png`. */
      readonly mediaType: string;
    };

/** One turn of a conversation. */
export interface Message {
  /** Who wrote it. */
  readonly role: Role;
  /** The text of the message. */
  readonly content: string;
  /** Optional participant name, passed to providers that support it. */
  readonly name?: string;
  /** Images attached to this message (user messages only on most providers). */
  readonly images?: readonly ImageInput[];
}

/** Token counts for one request, normalized across providers. */
export interface Usage {
  /** Tokens in the prompt (input). */
  readonly promptTokens: number;
  /** Tokens in the answer (output), excluding reasoning where the provider reports it apart. */
  readonly completionTokens: number;
  /** Total tokens billed, as reported by the provider. */
  readonly totalTokens: number;
  /** Tokens spent on hidden reasoning ("thinking"), when the provider reports them. */
  readonly reasoningTokens?: number;
}

/**
 * Why the model stopped, normalized across providers:
 * `stop` (natural end or stop sequence), `length` (token limit), `content_filter`,
 * `tool_calls`, or `other`. A `content_filter` finish is raised as a `ContentFilterError`
 * by every provider, so successful responses carry it only when a provider is told not to raise.
 */
export type FinishReason = "stop" | "length" | "content_filter" | "tool_calls" | "other";

/** The answer to a non-streaming request. */
export interface ModelResponse {
  /** The answer text. */
  readonly content: string;
  /** Reasoning ("thinking") text, kept apart from `content`, when the provider returns it. */
  readonly reasoning?: string;
  /** The model that answered, as reported by the provider. */
  readonly model: string;
  /** The registry id of the provider that answered (differs from the client's when a fallback answered). */
  readonly provider: string;
  /** Token counts, when the provider reports them. */
  readonly usage?: Usage;
  /** Why the model stopped. */
  readonly finishReason?: FinishReason;
  /** `true` when this answer was served from the cache. */
  readonly cached: boolean;
  /** The provider's raw response body (not present on cache hits). */
  readonly raw?: unknown;
}

/** One piece of a streamed answer. */
export interface StreamChunk {
  /** New answer text in this chunk (may be empty). */
  readonly content: string;
  /** New reasoning text in this chunk, kept apart from `content`. */
  readonly reasoning?: string;
  /** The model that answers, when known. */
  readonly model?: string;
  /** The registry id of the provider that answers. */
  readonly provider?: string;
  /** Set on the chunk that ends the answer. */
  readonly finishReason?: FinishReason;
  /** Token counts for the whole request, usually on the last chunk. */
  readonly usage?: Usage;
  /** `true` when the stream is replayed from the cache. */
  readonly cached?: boolean;
}

/**
 * Generation parameters a provider receives for one call, after the client resolved defaults.
 * Third-party providers implement {@link BaseProvider.generate} and {@link BaseProvider.stream}
 * against this shape.
 */
export interface ProviderCallOptions {
  /** The model id to call (already resolved to a default when the caller gave none). */
  readonly model: string;
  /** Sampling temperature. */
  readonly temperature?: number;
  /** Upper bound on answer tokens. */
  readonly maxTokens?: number;
  /** Nucleus sampling. */
  readonly topP?: number;
  /** Stop sequences. */
  readonly stop?: readonly string[];
  /** Aborts the request; providers must pass it to their transport so the socket is closed. */
  readonly signal?: AbortSignal;
  /** Provider-specific parameters, passed through unchanged (for example DashScope's `enable_thinking`). */
  readonly providerOptions?: Readonly<Record<string, unknown>>;
  /**
   * Most bytes a non-streamed response body may have; a larger one fails with a `ProviderError`
   * of code `response_too_large`. The client always sets it (default 64 MiB); providers called
   * directly fall back to that default when it is absent.
   */
  readonly maxResponseBytes?: number;
}

/** What a provider can do, declared by the provider and used by the client and conformance kit. */
export interface ProviderCapabilities {
  /** Accepts images in user messages. */
  readonly images: boolean;
  /** Returns reasoning text for some models. */
  readonly reasoning: boolean;
}
