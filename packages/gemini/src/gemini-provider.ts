import type {
  Candidate,
  GenerateContentResponse,
  GenerateContentResponseUsageMetadata,
  GoogleGenAI,
} from "@google/genai";
import {
  ConfigurationError,
  type Message,
  type ModelResponse,
  type ProviderCallOptions,
  type ProviderOptions,
  type StreamChunk,
  type StreamPart,
} from "@rephysco/core";
import { BaseProvider, type BaseProviderConfig } from "@rephysco/core/http";
import { type CallFetch, createCallFetch } from "./call-fetch.js";
import { convertGeminiUsage } from "./convert-gemini-usage.js";
import { convertToGeminiConfig } from "./convert-to-gemini-config.js";
import { convertToGeminiContents, type GeminiPrompt } from "./convert-to-gemini-contents.js";
import {
  DEFAULT_IMAGE_FETCH_TIMEOUT_MS,
  DEFAULT_MAX_IMAGE_BYTES,
  fetchImage,
} from "./fetch-image.js";
import {
  answerFilteredError,
  malformedResponseError,
  promptBlockedError,
  toGeminiError,
} from "./gemini-error.js";
import { GEMINI_DEFAULT_MODEL } from "./gemini-models.js";
import { GEMINI_PRICES } from "./gemini-prices.js";
import { isGeminiContentFilterReason, mapGeminiFinishReason } from "./map-gemini-finish-reason.js";
import { withOwnSignatures } from "./own-signatures.js";
import { readGeminiParts } from "./read-gemini-parts.js";
import { validateGeminiCall } from "./validate-gemini-call.js";

/**
 * Who the Gemini provider is: its id, defaults and environment variables. The one source of
 * these values: the provider is built from it and `index.ts` registers what it declares.
 */
export const GEMINI_CONFIG = {
  id: "gemini",
  defaultModel: GEMINI_DEFAULT_MODEL,
  /** Where the Gemini Developer API lives (the API version is added by the SDK). */
  defaultBaseURL: "https://generativelanguage.googleapis.com",
  apiKeyEnvVars: ["GEMINI_API_KEY", "GOOGLE_API_KEY"],
  /** The second is the SDK's own name. */
  baseURLEnvVars: ["GEMINI_BASE_URL", "GOOGLE_GEMINI_BASE_URL"],
  prices: GEMINI_PRICES,
  capabilities: { images: true, reasoning: true, tools: true, structuredOutput: true },
} as const satisfies Omit<BaseProviderConfig, "settings">;

/** Settings of the Gemini provider. */
export interface GeminiProviderSettings extends ProviderOptions {
  /**
   * API key. Default: `GEMINI_API_KEY`, then `GOOGLE_API_KEY`. Sent in the `x-goog-api-key`
   * header, never in the URL.
   */
  readonly apiKey?: string;
  /**
   * Base URL without the API version, e.g. `https://generativelanguage.googleapis.com` (the
   * default) or a proxy. Default: `GEMINI_BASE_URL`, then `GOOGLE_GEMINI_BASE_URL`.
   */
  readonly baseURL?: string;
  /** Extra headers sent with every request. */
  readonly headers?: Readonly<Record<string, string>>;
  /**
   * `fetch` used by the SDK, and for downloading images instead of Node's `http`/`https`.
   * Default: the global `fetch` for the SDK, Node's `http`/`https` for images. With a custom
   * `fetch`, an image host given by name is resolved and checked just before the `fetch`, which
   * then resolves it again itself (or hands it to a proxy): a DNS answer that changes in between
   * is not seen, so the private-address guard is weaker than with the default.
   */
  readonly fetch?: typeof globalThis.fetch;
  /** API version path segment. Default `"v1beta"` (pinned, so SDK upgrades do not change it). */
  readonly apiVersion?: string;
  /** Largest `http(s)` image downloaded for inlining, in bytes. Default 20 MiB. */
  readonly maxImageBytes?: number;
  /** Time allowed to download one `http(s)` image, in milliseconds. Default 15 000. */
  readonly imageFetchTimeoutMs?: number;
  /**
   * Decides which `http(s)` image URLs may be downloaded, checked for the URL and for every
   * redirect, before the built-in private-address guard (which applies as well). Use it to
   * narrow further, for example to `https:` on hosts you trust. Default: every URL passes.
   */
  readonly allowImageUrl?: (url: URL) => boolean;
  /**
   * Lets image downloads reach private addresses: loopback (`127.0.0.0/8`, `::1`), private
   * (`10/8`, `172.16/12`, `192.168/16`, CGNAT `100.64/10`, IPv6 `fc00::/7`), link-local
   * (`169.254/16` with cloud metadata `169.254.169.254`, `fe80::/10`), unspecified (`0.0.0.0`,
   * `::`), multicast and reserved, in IPv4, IPv4-mapped IPv6, NAT64 and 6to4 forms. Default
   * `false`: such addresses are refused without connecting, for the URL and each redirect, and
   * checked on the address actually connected to, so a public name that resolves to a private
   * address is refused too. Turn it on only when image URLs never come from untrusted users
   * (a local image server in development, an intranet).
   *
   * @example
   * ```ts
   * createGemini({ allowPrivateImageHosts: process.env.NODE_ENV === "development" });
   * ```
   */
  readonly allowPrivateImageHosts?: boolean;
}

function positive(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isFinite(value) || value <= 0) {
    throw new ConfigurationError(
      `Gemini setting ${name} must be a positive number, got ${String(value)}.`,
      { provider: GEMINI_CONFIG.id },
    );
  }
  return value;
}

/** The response body as JSON: the SDK adds a `sdkHttpResponse` with a live `Headers` object. */
function plainBody(raw: GenerateContentResponse): Record<string, unknown> {
  const { sdkHttpResponse: _headers, ...body } = raw as GenerateContentResponse &
    Record<string, unknown>;
  return body;
}

/**
 * Google Gemini (Developer API), on Google's official `@google/genai` SDK, speaking the native
 * `generateContent` / `streamGenerateContent` API.
 *
 * The SDK is told: the base URL and API version (`httpOptions.baseUrl`, `apiVersion`), the key
 * (sent as `x-goog-api-key`), never to retry (no `retryOptions`) and never to send follow-up
 * requests on its own (`automaticContinuation: false`); the caller's signal goes to every
 * request as `abortSignal`; a per-call `fetch` wrapper (`createCallFetch`) keeps the error
 * response (bounded body, Retry-After, request ids), which the SDK's `ApiError` drops, and bounds
 * what the SDK reads: 64 KiB of an error body, `maxResponseBytes` of an answer, 1 MiB per
 * streamed event. The SDK is loaded on the first request, not at import.
 *
 * @example
 * ```ts
 * const gemini = new GeminiProvider({ apiKey: process.env.GEMINI_API_KEY });
 * const res = await gemini.generate([{ role: "user", content: "Hi" }], { model: "gemini-2.5-flash" });
 * ```
 */
export class GeminiProvider extends BaseProvider<
  GeminiPrompt,
  GenerateContentResponse,
  GenerateContentResponse
> {
  readonly #settings: GeminiProviderSettings;
  readonly #apiVersion: string;
  readonly #maxImageBytes: number;
  readonly #imageFetchTimeoutMs: number;
  /** The key and the base URL's user info and query values, kept out of every error. */
  #client: Promise<GoogleGenAI> | undefined;

  constructor(settings: GeminiProviderSettings = {}) {
    super({ ...GEMINI_CONFIG, settings });
    this.#settings = settings;
    this.#apiVersion = settings.apiVersion ?? "v1beta";
    this.#maxImageBytes = positive(
      "maxImageBytes",
      settings.maxImageBytes,
      DEFAULT_MAX_IMAGE_BYTES,
    );
    this.#imageFetchTimeoutMs = positive(
      "imageFetchTimeoutMs",
      settings.imageFetchTimeoutMs,
      DEFAULT_IMAGE_FETCH_TIMEOUT_MS,
    );
  }

  #sdk(): Promise<GoogleGenAI> {
    this.#client ??= import("@google/genai").then(
      ({ GoogleGenAI }) =>
        new GoogleGenAI({
          // Pinned so that GOOGLE_GENAI_USE_VERTEXAI in the environment cannot switch backends.
          vertexai: false,
          apiKey: this.apiKey,
          apiVersion: this.#apiVersion,
          httpOptions: {
            baseUrl: this.baseURL,
            apiVersion: this.#apiVersion,
            headers: { ...this.headers },
            // No `retryOptions`: the SDK then sends each request exactly once.
            ...(this.#settings.fetch && { fetch: this.#settings.fetch }),
          },
        }),
      (e: unknown) => {
        this.#client = undefined;
        throw e;
      },
    );
    return this.#client;
  }

  #convert(messages: readonly Message[], signal: AbortSignal | undefined): Promise<GeminiPrompt> {
    return convertToGeminiContents(withOwnSignatures(messages, this.keyFingerprint), {
      provider: this.name,
      ...(signal && { signal }),
      loadImage: (url, loadSignal) =>
        fetchImage(url, {
          provider: this.name,
          maxBytes: this.#maxImageBytes,
          timeoutMs: this.#imageFetchTimeoutMs,
          signal: loadSignal,
          allowPrivateHosts: this.#settings.allowPrivateImageHosts === true,
          ...(this.#settings.allowImageUrl && { allowUrl: this.#settings.allowImageUrl }),
          ...(this.#settings.fetch && { fetch: this.#settings.fetch }),
        }),
    });
  }

  async #params(
    messages: readonly Message[],
    options: ProviderCallOptions,
    signal: AbortSignal | undefined,
    callFetch: CallFetch,
  ) {
    const prompt = await this.#convert(messages, signal);
    const config = convertToGeminiConfig(options, prompt.systemInstruction, signal);
    // Per call, so that an error can be matched with its own response, and bounded by its limits.
    config.httpOptions = { fetch: callFetch.fetch };
    return { model: options.model, contents: prompt.contents, config };
  }

  #callFetch(options: ProviderCallOptions, stream: boolean): CallFetch {
    return createCallFetch(() => this.#settings.fetch ?? globalThis.fetch, {
      provider: this.name,
      stream,
      maxResponseBytes: options.maxResponseBytes,
    });
  }

  #errorContext(options: ProviderCallOptions, callFetch: CallFetch) {
    return {
      provider: this.name,
      secrets: this.secrets,
      signal: options.signal,
      response: callFetch.error,
    };
  }

  /**
   * Checks tool names against Gemini's rule, a forced tool against the declared ones, forced
   * calls with a JSON answer (refused by Gemini), and that every tool result answers an earlier
   * call (see `validateGeminiCall`).
   *
   * @throws {InvalidRequestError} naming the rule and the provider.
   */
  validateCall(messages: readonly Message[], options: ProviderCallOptions): void {
    validateGeminiCall(this.name, messages, options);
  }

  /** The API version changes what the server does, so it is part of the cache key. */
  override get cacheIdentity(): string {
    return this.#apiVersion;
  }

  /**
   * Converts messages to Gemini `contents` and `systemInstruction`, downloading `http(s)`
   * images (see `convertToGeminiContents` for the rules).
   */
  formatMessages(messages: readonly Message[]): Promise<GeminiPrompt> {
    return this.#convert(messages, undefined);
  }

  /**
   * Sends one `generateContent` request.
   *
   * @throws {ContentFilterError} when the prompt is blocked or the answer is stopped on content grounds.
   */
  async generate(
    messages: readonly Message[],
    options: ProviderCallOptions,
  ): Promise<ModelResponse> {
    const callFetch = this.#callFetch(options, false);
    try {
      const [sdk, params] = await Promise.all([
        this.#sdk(),
        this.#params(messages, options, options.signal, callFetch),
      ]);
      const raw = await sdk.models.generateContent(params);
      return this.#toResponse(raw, options.model);
    } catch (e) {
      throw toGeminiError(e, this.#errorContext(options, callFetch));
    }
  }

  /**
   * Sends one `streamGenerateContent?alt=sse` request and yields its text. The last chunk
   * carries `finishReason` and `usage`. A content-filter stop yields the text received with it,
   * then throws {@link ContentFilterError}; a cut stream throws `ServiceUnavailableError`.
   */
  async *stream(
    messages: readonly Message[],
    options: ProviderCallOptions,
  ): AsyncIterable<StreamPart> {
    const callFetch = this.#callFetch(options, true);
    // Our own controller, so that a stream left before its end (consumer stopped, filter
    // error, malformed event) closes its socket instead of leaving the body unread.
    const controller = new AbortController();
    const onAbort = () => controller.abort(options.signal?.reason);
    if (options.signal?.aborted) onAbort();
    else options.signal?.addEventListener("abort", onAbort, { once: true });
    let drained = false;
    try {
      let content = "";
      let reasoning = "";
      // Gemini repeats usageMetadata on every event: keep the last, convert it once at the end.
      let usageMetadata: GenerateContentResponseUsageMetadata | undefined;
      let model: string | undefined;
      let finished = false;
      /** Tool calls of this answer so far: the next call's ordinal. */
      let calls = 0;
      const [sdk, params] = await Promise.all([
        this.#sdk(),
        this.#params(messages, options, controller.signal, callFetch),
      ]);
      const events = await sdk.models.generateContentStream(params);
      for await (const raw of events) {
        // Read on to the end of the body after the finish, so the connection can be reused.
        if (finished) continue;
        if (raw.promptFeedback?.blockReason) {
          throw promptBlockedError(raw.promptFeedback, this.name);
        }
        if (raw.usageMetadata) usageMetadata = raw.usageMetadata;
        const candidate = raw.candidates?.[0];
        if (!candidate) {
          // A usage-only event is harmless; an event with nothing at all is not Gemini.
          if (raw.usageMetadata) continue;
          throw malformedResponseError(plainBody(raw), this.name);
        }
        const eventModel = raw.modelVersion ?? options.model;
        if (eventModel !== model) {
          model = eventModel;
          yield { type: "metadata", model };
        }
        const read = readGeminiParts(
          candidate.content?.parts,
          raw.responseId,
          calls,
          this.keyFingerprint,
        );
        if (read.reasoning !== "") {
          reasoning += read.reasoning;
          yield { type: "reasoning", text: read.reasoning };
        }
        if (read.content !== "") {
          content += read.content;
          yield { type: "text", text: read.content };
        }
        if (read.providerMetadata)
          yield { type: "metadata", providerMetadata: read.providerMetadata };
        // Gemini sends each call whole: its start, all of its arguments and its end at once.
        for (const call of read.toolCalls ?? []) {
          const index = calls++;
          yield {
            type: "tool-call-start",
            index,
            id: call.id,
            name: call.name,
            ...(call.providerMetadata && { providerMetadata: call.providerMetadata }),
          };
          yield { type: "tool-call-delta", index, argumentsDelta: call.rawArguments };
          yield { type: "tool-call-end", index };
        }
        if (isGeminiContentFilterReason(candidate.finishReason)) {
          // Text already received stays delivered, then the error: the rule for every provider.
          throw answerFilteredError(candidate, this.name, { content, reasoning });
        }
        // Gemini has no end marker of its own: the finish reason is the end.
        const reason = mapGeminiFinishReason(candidate.finishReason, calls > 0);
        if (reason) {
          finished = true;
          const usage = convertGeminiUsage(usageMetadata);
          yield { type: "finish", reason, ...(usage && { usage }), model };
        }
      }
      drained = true;
    } catch (e) {
      throw toGeminiError(e, this.#errorContext(options, callFetch));
    } finally {
      options.signal?.removeEventListener("abort", onAbort);
      if (!drained) controller.abort();
    }
  }

  #toChunk(raw: GenerateContentResponse, candidate: Candidate, model: string): StreamChunk {
    const { content, reasoning, toolCalls, providerMetadata } = readGeminiParts(
      candidate.content?.parts,
      raw.responseId,
      0,
      this.keyFingerprint,
    );
    const finishReason = mapGeminiFinishReason(candidate.finishReason, toolCalls !== undefined);
    const usage = finishReason ? convertGeminiUsage(raw.usageMetadata) : undefined;
    return {
      content,
      ...(reasoning !== "" && { reasoning }),
      model: raw.modelVersion ?? model,
      provider: this.name,
      ...(finishReason && { finishReason }),
      ...(usage && { usage }),
      ...(toolCalls && { toolCalls }),
      ...(providerMetadata && { providerMetadata }),
    };
  }

  #toResponse(raw: GenerateContentResponse, model: string): ModelResponse {
    if (raw.promptFeedback?.blockReason) throw promptBlockedError(raw.promptFeedback, this.name);
    const candidate = raw.candidates?.[0];
    if (!candidate) throw malformedResponseError(plainBody(raw), this.name);
    const { content, reasoning, toolCalls, providerMetadata } = readGeminiParts(
      candidate.content?.parts,
      raw.responseId,
      0,
      this.keyFingerprint,
    );
    if (isGeminiContentFilterReason(candidate.finishReason)) {
      throw answerFilteredError(candidate, this.name, { content, reasoning });
    }
    const usage = convertGeminiUsage(raw.usageMetadata);
    const finishReason = mapGeminiFinishReason(candidate.finishReason, toolCalls !== undefined);
    return {
      content,
      ...(reasoning !== "" && { reasoning }),
      model: raw.modelVersion ?? model,
      provider: this.name,
      ...(usage && { usage }),
      ...(finishReason && { finishReason }),
      ...(toolCalls && { toolCalls }),
      ...(providerMetadata && { providerMetadata }),
      cached: false,
      raw: plainBody(raw),
    };
  }

  /**
   * Converts a `generateContent` response to a {@link ModelResponse}.
   *
   * @throws {ContentFilterError} for a blocked prompt or a filtered answer.
   * @throws {ProviderError} (code `malformed_response`) for a body with neither candidates nor prompt feedback.
   */
  parseResponse(raw: GenerateContentResponse): ModelResponse {
    return this.#toResponse(raw, this.defaultModel);
  }

  /**
   * Converts one streamed event to a {@link StreamChunk} (content, reasoning, the event's
   * function calls as `toolCalls` numbered within the event, a text signature as
   * `providerMetadata`, and on the last event `finishReason` and `usage`), or `undefined` for an
   * event without a candidate. Content-filter handling, and numbering calls across events, are
   * done by {@link GeminiProvider.stream}, not here.
   */
  parseStreamChunk(raw: GenerateContentResponse): StreamChunk | undefined {
    const candidate = raw.candidates?.[0];
    return candidate ? this.#toChunk(raw, candidate, this.defaultModel) : undefined;
  }
}

/**
 * Creates a Gemini provider. The key and base URL are resolved now (settings, then environment).
 *
 * @throws {AuthenticationError} when no key is given and neither `GEMINI_API_KEY` nor
 * `GOOGLE_API_KEY` is set.
 *
 * @example
 * ```ts
 * const gemini = createGemini({ baseURL: "https://my-proxy.example.com" });
 * ```
 */
export function createGemini(settings: GeminiProviderSettings = {}): GeminiProvider {
  return new GeminiProvider(settings);
}
