import {
  abortReason,
  BaseProvider,
  ConfigurationError,
  ContentFilterError,
  type ErrorClassName,
  excerpt,
  getHeader,
  type Message,
  type ModelResponse,
  type ProviderCallOptions,
  ProviderError,
  ServiceUnavailableError,
  type StreamChunk,
  scrubError,
  scrubSecrets,
  stableStringify,
  type Usage,
} from "@rephysco/core";
import { readLimitedText, readSseEvents } from "@rephysco/core/http";
import OpenAI, { APIError } from "openai";
import { convertOpenAIUsage } from "./convert-openai-usage.js";
import { convertToOpenAIMessages } from "./convert-to-openai-messages.js";
import { ErrorBodyCapture } from "./error-body-capture.js";
import { extractReasoning } from "./extract-reasoning.js";
import { mapOpenAIFinishReason } from "./map-openai-finish-reason.js";
import type {
  OpenAIChatCompletion,
  OpenAIChatCompletionChunk,
  OpenAIChatMessage,
  OpenAIChatRequestBody,
} from "./openai-chat-types.js";
import type {
  OpenAICompatibleConfig,
  OpenAICompatibleSettings,
} from "./openai-compatible-config.js";
import { mapOpenAIError, OPENAI_ERROR_CODES } from "./openai-error.js";

const DEFAULT_REASONING_FIELDS = ["reasoning_content", "reasoning"] as const;

/**
 * The SDK's own timeout is set out of the way (one day): the client owns whole-request,
 * first-chunk and idle timeouts. Node turns timers above 2^31-1 ms into 1 ms, so not Infinity.
 */
const SDK_TIMEOUT_MS = 24 * 60 * 60 * 1000;

const REQUEST_ID_HEADERS = [
  "x-request-id",
  "x-siliconcloud-trace-id",
  "x-dashscope-request-id",
  "request-id",
];

/** Extra options the `openai` SDK client is created with (subclasses add OpenAI's own). */
export interface OpenAIClientExtras {
  /** `OpenAI-Organization` header value. */
  readonly organization?: string | null;
  /** `OpenAI-Project` header value. */
  readonly project?: string | null;
}

/**
 * A provider for any service that speaks the OpenAI chat-completions dialect, built on the
 * official `openai` SDK with its retries off (the client runs the one retry policy) and its
 * timeout out of the way. Vendor differences come from an {@link OpenAICompatibleConfig}; the
 * instance-level settings are an {@link OpenAICompatibleSettings}.
 *
 * What every instance does:
 * - text-only messages are sent as string content, messages with images as `text` + `image_url`
 *   parts (URLs unchanged, bytes as `data:` URLs with the sniffed type);
 * - streams always ask for usage (`stream_options.include_usage`);
 * - `providerOptions` are merged into the request body unchanged;
 * - reasoning fields go to `reasoning`, never `content`; `null` means nothing new;
 * - `finish_reason: "content_filter"` raises `ContentFilterError` (in a stream, after the text
 *   already received has been yielded);
 * - a stream that is cut or ends without a finish reason raises `ServiceUnavailableError`;
 * - HTTP and stream error events become the matching error class, keys scrubbed.
 *
 * @example A local vLLM server
 * ```ts
 * import { OpenAICompatibleProvider } from "@rephysco/openai/compatible";
 *
 * const vllm = new OpenAICompatibleProvider(
 *   { id: "vllm", defaultModel: "Qwen/Qwen2.5-7B-Instruct", defaultBaseURL: "http://localhost:8000/v1",
 *     apiKeyEnvVars: ["VLLM_API_KEY"], requireApiKey: false },
 *   {},
 * );
 * const answer = await vllm.generate([{ role: "user", content: "Hi" }], { model: vllm.defaultModel });
 * ```
 */
export class OpenAICompatibleProvider extends BaseProvider<
  OpenAIChatMessage[],
  OpenAIChatCompletion,
  OpenAIChatCompletionChunk
> {
  /** The vendor description this instance was created from. */
  readonly config: OpenAICompatibleConfig;
  // Private fields with getters: the SDK client and the settings hold the key, and
  // `util.inspect` / `JSON.stringify` of a provider must never show it.
  readonly #client: OpenAI;
  readonly #settings: OpenAICompatibleSettings;
  readonly #bodies = new ErrorBodyCapture();
  readonly #errorCodes: Readonly<Record<string, ErrorClassName>>;
  readonly #reasoningFields: readonly string[];
  readonly #cacheIdentity: string;

  /**
   * @param config How the service differs from OpenAI.
   * @param settings The user's settings (key, base URL, region, headers, fetch, ...).
   * @param extras Options for the SDK client that only some services understand.
   * @throws {AuthenticationError} when no key is given or found in the environment.
   * @throws {ConfigurationError} for an unknown `region`.
   */
  constructor(
    config: OpenAICompatibleConfig,
    settings: OpenAICompatibleSettings = {},
    extras: OpenAIClientExtras = {},
  ) {
    const regionURL = resolveRegion(config, settings.region);
    super({
      id: config.id,
      defaultModel: settings.defaultModel ?? config.defaultModel,
      defaultBaseURL: config.defaultBaseURL,
      apiKeyEnvVars: config.apiKeyEnvVars,
      baseURLEnvVars: config.baseURLEnvVars ?? [],
      settings: { ...settings, baseURL: settings.baseURL ?? regionURL },
      capabilities: { images: true, reasoning: true, ...config.capabilities },
      requireApiKey: config.requireApiKey ?? true,
      // Organization and project pick the account that answers (and bills): part of the cache key.
      accountIdentity: [extras.organization, extras.project],
    });
    this.config = config;
    this.#settings = settings;
    this.#errorCodes = { ...OPENAI_ERROR_CODES, ...config.errorCodes };
    this.#reasoningFields = config.reasoningFields ?? DEFAULT_REASONING_FIELDS;
    this.#cacheIdentity = cacheIdentityOf(config, settings);
    this.#client = new OpenAI({
      // The SDK refuses an empty key; a keyless server gets a placeholder and no Authorization header.
      apiKey: this.apiKey || "unused",
      baseURL: this.baseURL,
      maxRetries: 0,
      timeout: SDK_TIMEOUT_MS,
      fetch: this.#bodies.wrap(settings.fetch ?? globalThis.fetch),
      // Explicit nulls stop the SDK from reading OPENAI_ORG_ID / OPENAI_PROJECT_ID / OPENAI_ADMIN_KEY
      // and sending them to a vendor that is not OpenAI.
      organization: extras.organization ?? null,
      project: extras.project ?? null,
      adminAPIKey: null,
      defaultHeaders: { ...(this.apiKey ? {} : { Authorization: null }), ...this.headers },
      // Every failure is thrown to the caller as a mapped error; the SDK's own console logging
      // (which prints raw stream data) stays off unless the user asks for it with OPENAI_LOG.
      ...(readEnvLogLevel() ? {} : { logLevel: "off" as const }),
    });
  }

  /** The underlying `openai` SDK client (retries off). */
  protected get client(): OpenAI {
    return this.#client;
  }

  /** The settings this instance was created with. */
  protected get settings(): OpenAICompatibleSettings {
    return this.#settings;
  }

  /**
   * The extra body fields of the config and settings (merged as the request merges them, keys
   * sorted): they change answers, so two instances that differ in them never share cache
   * entries. `""` when there are none. Computed once, in the constructor.
   */
  override get cacheIdentity(): string {
    return this.#cacheIdentity;
  }

  /** Converts Rephysco messages to chat messages (images as `image_url` parts). */
  formatMessages(messages: readonly Message[]): OpenAIChatMessage[] {
    return convertToOpenAIMessages(messages, { provider: this.name });
  }

  /**
   * Builds the request body: messages, mapped generation parameters, the config's and settings'
   * `extraBody`, then `providerOptions` (which win), then `stream` and `stream_options`.
   * Subclasses override it for model-specific rules (OpenAI reasoning models).
   */
  protected buildRequestBody(
    messages: readonly Message[],
    options: ProviderCallOptions,
    stream: boolean,
  ): OpenAIChatRequestBody {
    const providerOptions = options.providerOptions ?? {};
    const body: OpenAIChatRequestBody = {
      model: options.model,
      messages: this.formatMessages(messages),
      ...(options.temperature !== undefined && { temperature: options.temperature }),
      ...(options.topP !== undefined && { top_p: options.topP }),
      ...(options.maxTokens !== undefined && { max_tokens: options.maxTokens }),
      ...(options.stop !== undefined && options.stop.length > 0 && { stop: [...options.stop] }),
      ...this.config.extraBody,
      ...this.settings.extraBody,
      ...providerOptions,
      stream,
    };
    if (stream) {
      const given = providerOptions.stream_options;
      body.stream_options = {
        ...(typeof given === "object" && given !== null ? given : {}),
        include_usage: true,
      };
    } else {
      delete body.stream_options;
    }
    return this.config.transformRequest
      ? this.config.transformRequest(body, { options, stream })
      : body;
  }

  /** `true` when this call must be streamed even for `generate()`. */
  protected isStreamOnly(options: ProviderCallOptions): boolean {
    return this.config.streamOnly?.(options.model, options.providerOptions) ?? false;
  }

  /**
   * Sends one non-streaming request. For stream-only calls it streams under the hood and
   * assembles the answer.
   *
   * @throws {ContentFilterError} when the answer was filtered.
   */
  async generate(
    messages: readonly Message[],
    options: ProviderCallOptions,
  ): Promise<ModelResponse> {
    if (this.isStreamOnly(options)) return this.#generateByStreaming(messages, options);
    const body = this.buildRequestBody(messages, options, false);
    const signal = options.signal;
    let text: string;
    let raw: Response;
    try {
      // The raw Response: the SDK still sends the request and maps non-2xx answers, but the
      // body is parsed here, so that a broken one is reported with a (scrubbed) excerpt.
      raw = await this.client.chat.completions
        .create(body as unknown as OpenAI.ChatCompletionCreateParamsNonStreaming, {
          signal: signal ?? null,
        })
        .asResponse();
      text = await readLimitedText(raw, this.name, options.maxResponseBytes);
    } catch (error) {
      throw this.mapError(error, signal, false);
    }
    let data: OpenAIChatCompletion;
    try {
      data = JSON.parse(text) as OpenAIChatCompletion;
    } catch (error) {
      throw this.#malformedError("the response was not valid JSON", text, raw, error);
    }
    const response = this.parseResponse(data);
    if (response.finishReason === "content_filter") {
      throw this.#contentFilterError(raw.headers, response.content, response.reasoning);
    }
    return response.model ? response : { ...response, model: options.model };
  }

  /**
   * Streams one request. Text and reasoning are yielded as they arrive; the last chunk carries
   * the finish reason and usage. The SDK only sends the request (and maps HTTP errors); the body
   * is read with core's SSE reader, which copies nothing per event and reports a body cut in the
   * middle of an event.
   *
   * @throws {ContentFilterError} after yielding what was received, when the answer was filtered.
   * @throws {ServiceUnavailableError} when the stream is cut, ends without a finish reason, or
   *   (unless `requireDoneMarker` is `false`) ends without `data: [DONE]`.
   * @throws {ProviderError} `malformed_response` when an event is not a JSON object.
   */
  async *stream(
    messages: readonly Message[],
    options: ProviderCallOptions,
  ): AsyncGenerator<StreamChunk> {
    const body = this.buildRequestBody(messages, options, true);
    const signal = options.signal;
    let response: Response;
    try {
      response = await this.client.chat.completions
        .create(body as unknown as OpenAI.ChatCompletionCreateParamsStreaming, {
          signal: signal ?? null,
        })
        .asResponse();
    } catch (error) {
      throw this.mapError(error, signal, false);
    }
    const headers = response.headers;
    let content = "";
    let reasoning = "";
    let finishReason: StreamChunk["finishReason"];
    let usage: Usage | undefined;
    let model: string | undefined;
    let sawDone = false;
    try {
      const events = readSseEvents(response, {
        provider: this.name,
        secrets: this.secrets,
        ...(signal && { signal }),
      });
      for await (const event of events) {
        // Read on to the end after [DONE] (rather than cancel) so the connection can be reused.
        if (sawDone) continue;
        const data = event.data;
        if (data === "[DONE]") {
          sawDone = true;
          continue;
        }
        const payload = this.#parseEvent(data, response);
        if (payload.error || event.event === "error") {
          // The same error the SDK builds for an error event, so that mapping is unchanged.
          throw new APIError(undefined, payload.error ?? payload, undefined, headers);
        }
        const chunk = this.parseStreamChunk(payload);
        if (!chunk) continue;
        model ??= chunk.model;
        if (chunk.finishReason) finishReason = chunk.finishReason;
        if (chunk.usage) usage = chunk.usage;
        if (chunk.content || chunk.reasoning) {
          content += chunk.content;
          if (chunk.reasoning) reasoning += chunk.reasoning;
          // Finish reason and usage belong to the last chunk only; a text chunk that carries
          // them (some vendors send both at once) is yielded without them.
          yield chunk.finishReason || chunk.usage || chunk.model !== model
            ? {
                content: chunk.content,
                ...(chunk.reasoning && { reasoning: chunk.reasoning }),
                ...(model && { model }),
                provider: this.name,
              }
            : chunk;
        }
      }
    } catch (error) {
      throw this.mapError(error, signal, true);
    }
    if (signal?.aborted) throw abortReason(signal);
    if (finishReason === "content_filter")
      throw this.#contentFilterError(headers, content, reasoning);
    if (finishReason === undefined || (!sawDone && this.config.requireDoneMarker !== false)) {
      const requestId = this.#requestId(headers);
      throw new ServiceUnavailableError(
        finishReason === undefined
          ? `${this.name}: the stream ended before the model finished.`
          : `${this.name}: the stream ended without its [DONE] marker (cut before the end).`,
        {
          provider: this.name,
          code: "incomplete_stream",
          ...(requestId !== undefined && { requestId }),
          partialContent: content,
          ...(reasoning && { partialReasoning: reasoning }),
        },
      );
    }
    yield {
      content: "",
      ...(model && { model }),
      provider: this.name,
      finishReason,
      ...(usage && { usage }),
    };
  }

  /** Converts a non-streaming response body. */
  parseResponse(raw: OpenAIChatCompletion): ModelResponse {
    const choice = Array.isArray(raw?.choices) ? raw.choices[0] : undefined;
    const message = choice?.message;
    if (!message || typeof message !== "object") {
      throw new ProviderError(
        `${this.name}: the response has no choices[0].message: ${this.scrub(excerpt(raw))}`,
        {
          provider: this.name,
          code: "malformed_response",
        },
      );
    }
    const reasoning = extractReasoning(message, this.#reasoningFields);
    const finishReason = mapOpenAIFinishReason(choice?.finish_reason);
    const usage = convertOpenAIUsage(raw.usage);
    return {
      content: typeof message?.content === "string" ? message.content : (message?.refusal ?? ""),
      ...(reasoning !== undefined && { reasoning }),
      model: raw.model ?? "",
      provider: this.name,
      ...(usage && { usage }),
      ...(finishReason && { finishReason }),
      cached: false,
      raw,
    };
  }

  /**
   * Converts one stream chunk: text and reasoning deltas (`null` = nothing new), the finish
   * reason, and usage (the extra last chunk with empty `choices`). `undefined` when it carries
   * nothing.
   */
  parseStreamChunk(raw: OpenAIChatCompletionChunk): StreamChunk | undefined {
    const choice = raw.choices?.[0];
    const delta = choice?.delta;
    const content = typeof delta?.content === "string" ? delta.content : "";
    const reasoning = extractReasoning(delta, this.#reasoningFields);
    const finishReason = mapOpenAIFinishReason(choice?.finish_reason);
    const usage = convertOpenAIUsage(raw.usage);
    if (!content && !reasoning && !finishReason && !usage && !raw.model) return undefined;
    return {
      content,
      ...(reasoning !== undefined && { reasoning }),
      ...(raw.model && { model: raw.model }),
      provider: this.name,
      ...(finishReason && { finishReason }),
      ...(usage && { usage }),
    };
  }

  /** Maps anything the SDK throws to the error to rethrow (see `mapOpenAIError`). */
  protected mapError(error: unknown, signal: AbortSignal | undefined, inStream: boolean): unknown {
    return mapOpenAIError(error, {
      provider: this.name,
      secrets: this.secrets,
      ...(signal && { signal }),
      errorCodes: this.#errorCodes,
      ...(this.config.mapError && { mapError: this.config.mapError }),
      bodies: this.#bodies,
      ...(this.config.requestIdHeaders && { requestIdHeaders: this.config.requestIdHeaders }),
      inStream,
    });
  }

  async #generateByStreaming(
    messages: readonly Message[],
    options: ProviderCallOptions,
  ): Promise<ModelResponse> {
    let content = "";
    let reasoning = "";
    let model: string | undefined;
    let usage: Usage | undefined;
    let finishReason: ModelResponse["finishReason"];
    for await (const chunk of this.stream(messages, options)) {
      content += chunk.content;
      if (chunk.reasoning) reasoning += chunk.reasoning;
      model ??= chunk.model;
      if (chunk.usage) usage = chunk.usage;
      if (chunk.finishReason) finishReason = chunk.finishReason;
    }
    return {
      content,
      ...(reasoning && { reasoning }),
      model: model ?? options.model,
      provider: this.name,
      ...(usage && { usage }),
      ...(finishReason && { finishReason }),
      cached: false,
    };
  }

  /** Parses one event's data; anything but a JSON object is a malformed (not retried) answer. */
  #parseEvent(data: string, response: Response): OpenAIChatCompletionChunk & { error?: unknown } {
    let payload: unknown;
    let cause: unknown;
    try {
      payload = JSON.parse(data);
    } catch (error) {
      cause = error;
    }
    if (typeof payload === "object" && payload !== null && !Array.isArray(payload)) {
      return payload as OpenAIChatCompletionChunk & { error?: unknown };
    }
    throw this.#malformedError("a stream event is not a JSON object", data, response, cause);
  }

  /**
   * A non-retryable `malformed_response` error: the same request would get the same broken
   * answer. The excerpt and cause are scrubbed with the key, which a misbehaving server may echo.
   */
  #malformedError(what: string, text: string, response: Response, cause?: unknown): ProviderError {
    const secrets = this.secrets;
    const shown = scrubSecrets(excerpt(text), secrets);
    const requestId = this.#requestId(response.headers);
    return new ProviderError(`${this.name}: ${what}: ${shown}`, {
      provider: this.name,
      status: response.status,
      code: "malformed_response",
      retryable: false,
      body: shown,
      ...(requestId !== undefined && { requestId }),
      ...(cause !== undefined && { cause: scrubError(cause, secrets) }),
    });
  }

  #requestId(headers: Headers): string | undefined {
    return requestIdFrom(headers, this.config.requestIdHeaders);
  }

  #contentFilterError(
    headers: Headers,
    content: string,
    reasoning: string | undefined,
  ): ContentFilterError {
    const requestId = this.#requestId(headers);
    return new ContentFilterError(
      `${this.name}: the answer was stopped by the provider's content filter.`,
      {
        provider: this.name,
        code: "content_filter",
        ...(requestId !== undefined && { requestId }),
        partialContent: content,
        ...(reasoning && { partialReasoning: reasoning }),
      },
    );
  }
}

/**
 * The only compatible setting that changes the request body is `extraBody` (region, base URL and
 * key are in the cache key already; headers are left out: they may carry credentials and mostly
 * carry tracing). `transformRequest` and the other config hooks are fixed per provider id.
 */
function cacheIdentityOf(
  config: OpenAICompatibleConfig,
  settings: OpenAICompatibleSettings,
): string {
  const extraBody = { ...config.extraBody, ...settings.extraBody };
  for (const key of Object.keys(extraBody)) {
    if (extraBody[key] === undefined) delete extraBody[key];
  }
  return Object.keys(extraBody).length > 0 ? `extraBody=${stableStringify(extraBody)}` : "";
}

function readEnvLogLevel(): string | undefined {
  return typeof process === "undefined" ? undefined : process.env.OPENAI_LOG;
}

function requestIdFrom(headers: Headers, preferred: readonly string[] = []): string | undefined {
  for (const name of [...preferred, ...REQUEST_ID_HEADERS]) {
    const value = getHeader(headers, name);
    if (value) return value;
  }
  return undefined;
}

function resolveRegion(
  config: OpenAICompatibleConfig,
  region: string | undefined,
): string | undefined {
  if (region === undefined) return undefined;
  const url = config.baseURLs?.[region];
  if (url === undefined) {
    const known = Object.keys(config.baseURLs ?? {});
    throw new ConfigurationError(
      `${config.id}: unknown region "${region}". ${known.length ? `Known regions: ${known.join(", ")}.` : "This provider has no regional base URLs."} Or pass { baseURL }.`,
      { provider: config.id, code: "unknown_region" },
    );
  }
  return url;
}

/**
 * Returns a factory for an OpenAI-compatible service, ready for `registerProvider`.
 *
 * @example
 * ```ts
 * registerProvider("ollama", createOpenAICompatible({
 *   id: "ollama", defaultModel: "llama3.2", defaultBaseURL: "http://localhost:11434/v1",
 *   apiKeyEnvVars: ["OLLAMA_API_KEY"], requireApiKey: false,
 * }));
 * ```
 */
export function createOpenAICompatible(
  config: OpenAICompatibleConfig,
): (settings?: OpenAICompatibleSettings) => OpenAICompatibleProvider {
  return (settings = {}) => new OpenAICompatibleProvider(config, settings);
}
