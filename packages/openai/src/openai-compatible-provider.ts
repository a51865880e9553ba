import {
  ConfigurationError,
  ContentFilterError,
  type Cost,
  type FinishReason,
  InvalidRequestError,
  type Message,
  type ModelResponse,
  type ProviderCallOptions,
  ProviderError,
  ServiceUnavailableError,
  type StreamChunk,
  type StreamPart,
  type Usage,
} from "@rephysco/core";
import {
  Assembler,
  abortReason,
  BaseProvider,
  checkToolCall,
  checkToolResults,
  type ErrorClassName,
  excerpt,
  getHeader,
  OPENAI_TOOL_NAME_RULE,
  REQUEST_ID_HEADERS,
  readLimitedText,
  readSseEvents,
  scrubError,
  scrubSecrets,
  stableStringify,
  toTransportError,
} from "@rephysco/core/http";
import type OpenAI from "openai";
import {
  convertOpenAIResponseFormat,
  jsonObjectInstruction,
} from "./convert-openai-response-format.js";
import { convertOpenAIUsage, type OpenAIUsageDialect } from "./convert-openai-usage.js";
import { convertToOpenAIMessages } from "./convert-to-openai-messages.js";
import { ErrorBodyCapture } from "./error-body-capture.js";
import { extractReasoning } from "./extract-reasoning.js";
import { isStrictJsonSchema } from "./is-strict-json-schema.js";
import { answerFinishReason, mapOpenAIFinishReason } from "./map-openai-finish-reason.js";
import type {
  OpenAIChatCompletion,
  OpenAIChatCompletionChunk,
  OpenAIChatMessage,
  OpenAIChatRequestBody,
  OpenAIToolCallDelta,
  OpenAIUsage,
} from "./openai-chat-types.js";
import type {
  OpenAICompatibleConfig,
  OpenAICompatibleSettings,
} from "./openai-compatible-config.js";
import { mapOpenAIError, OPENAI_ERROR_CODES, type OpenAISdkErrors } from "./openai-error.js";
import { OpenAIToolCallStream } from "./openai-tool-call-stream.js";
import { parseOpenAIToolCalls, toolCallOf } from "./parse-openai-tool-calls.js";
import { prepareOpenAITools } from "./prepare-openai-tools.js";

const DEFAULT_REASONING_FIELDS = ["reasoning_content", "reasoning"] as const;

/**
 * The SDK's own timeout is set out of the way (one day): the client owns whole-request,
 * first-chunk and idle timeouts. Node turns timers above 2^31-1 ms into 1 ms, so not Infinity.
 */
const SDK_TIMEOUT_MS = 24 * 60 * 60 * 1000;

/** The SDK client and the module it came from (whose error classes the mapper matches). */
interface LoadedSdk {
  readonly client: OpenAI;
  readonly errors: OpenAISdkErrors;
}

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
 * timeout out of the way. The SDK is loaded on the first request, not when the package is
 * imported. Vendor differences come from an {@link OpenAICompatibleConfig}; the instance-level
 * settings are an {@link OpenAICompatibleSettings}.
 *
 * What every instance does:
 * - text-only messages are sent as string content, messages with images as `text` + `image_url`
 *   parts (URLs unchanged, bytes as `data:` URLs with the sniffed type);
 * - streams always ask for usage (`stream_options.include_usage`);
 * - `providerOptions` are merged into the request body unchanged;
 * - reasoning fields go to `reasoning`, never `content`; `null` means nothing new;
 * - streams yield parts: `metadata` (the model), `reasoning`, `text`, and one `finish` last;
 * - `finish_reason: "content_filter"` raises `ContentFilterError` (in a stream, after the text
 *   already received has been yielded);
 * - a stream that is cut, or ends without `[DONE]` (unless `requireDoneMarker` is `false`),
 *   raises `ServiceUnavailableError`;
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
  // Private fields: the SDK client and the settings hold the key, and `util.inspect` /
  // `JSON.stringify` of a provider must never show it.
  #sdk: Promise<LoadedSdk> | undefined;
  #sdkErrors: OpenAISdkErrors | undefined;
  readonly #extras: OpenAIClientExtras;
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
      capabilities: {
        images: true,
        reasoning: true,
        tools: true,
        structuredOutput: true,
        ...config.capabilities,
      },
      requireApiKey: config.requireApiKey ?? true,
      // Organization and project pick the account that answers (and bills): part of the cache key.
      accountIdentity: [extras.organization, extras.project],
      prices: config.prices,
    });
    this.config = config;
    this.#settings = settings;
    this.#errorCodes = { ...OPENAI_ERROR_CODES, ...config.errorCodes };
    this.#reasoningFields = config.reasoningFields ?? DEFAULT_REASONING_FIELDS;
    this.#cacheIdentity = cacheIdentityOf(config, settings);
    this.#extras = extras;
  }

  /**
   * The `openai` SDK client (retries off), created on the first request: importing the SDK
   * costs several times what the rest of the package does, and an app that never calls this
   * provider should not pay for it.
   */
  protected async client(): Promise<OpenAI> {
    return (await this.#loadSdk()).client;
  }

  /** Loads the SDK once; a failed load is forgotten, so that the next request tries again. */
  #loadSdk(): Promise<LoadedSdk> {
    this.#sdk ??= this.#createClient().catch((error: unknown) => {
      this.#sdk = undefined;
      throw error;
    });
    return this.#sdk;
  }

  async #createClient(): Promise<LoadedSdk> {
    const extras = this.#extras;
    try {
      const sdk = await import("openai");
      const client = new sdk.OpenAI({
        // The SDK refuses an empty key; a keyless server gets a placeholder and no Authorization header.
        apiKey: this.apiKey || "unused",
        baseURL: this.baseURL,
        maxRetries: 0,
        timeout: SDK_TIMEOUT_MS,
        fetch: this.#bodies.wrap(this.#settings.fetch ?? globalThis.fetch),
        // Explicit nulls stop the SDK from reading OPENAI_ORG_ID / OPENAI_PROJECT_ID /
        // OPENAI_ADMIN_KEY and sending them to a vendor that is not OpenAI.
        organization: extras.organization ?? null,
        project: extras.project ?? null,
        adminAPIKey: null,
        defaultHeaders: { ...(this.apiKey ? {} : { Authorization: null }), ...this.headers },
        // Every failure is thrown to the caller as a mapped error; the SDK's own console logging
        // (which prints raw stream data) stays off unless the user asks for it with OPENAI_LOG.
        ...(readEnvLogLevel() ? {} : { logLevel: "off" as const }),
      });
      this.#sdkErrors = sdk;
      return { client, errors: sdk };
    } catch (error) {
      // A missing or broken install (or an SDK that refuses this runtime): the same on every
      // request, so not retried; the next request still tries to load it again.
      throw new ConfigurationError(
        scrubSecrets(
          `${this.name}: the "openai" SDK, which @rephysco/openai sends requests with, could not be loaded (${error instanceof Error ? error.message : String(error)}); check that the "openai" package is installed.`,
          this.secrets,
        ),
        { provider: this.name, reason: "sdk_unavailable", cause: scrubError(error, this.secrets) },
      );
    }
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

  /**
   * Converts Rephysco messages to chat messages (images as `image_url` parts, tool calls and
   * results as `tool_calls` and `tool` messages, reasoning echoed when the config says so).
   */
  formatMessages(messages: readonly Message[]): OpenAIChatMessage[] {
    return convertToOpenAIMessages(messages, {
      provider: this.name,
      echoReasoning: this.config.echoReasoning ?? false,
    });
  }

  /**
   * Checks the tool part of a call before any request: tool names against OpenAI's rule
   * (`^[a-zA-Z0-9_-]{1,64}$`), a `strict` tool's schema against what strict mode accepts, a
   * forced tool (`toolChoice: { name }` or `"required"`) against the tools given, and that every
   * `tool` message answers a call of an earlier assistant turn (the API answers 400 otherwise).
   *
   * @throws {InvalidRequestError} `invalid_tool`, `unsupported_feature` or `invalid_input`,
   *   naming the rule and this provider.
   */
  validateCall(messages: readonly Message[], options: ProviderCallOptions): void {
    const provider = this.name;
    const capabilities = this.capabilities;
    checkToolCall(provider, options, {
      ...(capabilities.tools && { rule: OPENAI_TOOL_NAME_RULE }),
      structuredOutput: capabilities.structuredOutput ?? false,
    });
    const tools = options.tools ?? [];
    for (const tool of tools) {
      if (tool.strict && !isStrictJsonSchema(tool.parameters)) {
        throw new InvalidRequestError(
          `Tool ${JSON.stringify(tool.name)} asks for strict mode, which ${provider} accepts only for an object schema where every object has additionalProperties: false and lists all its properties in required.`,
          { provider, reason: "invalid_tool" },
        );
      }
    }
    const choice = options.toolChoice;
    if (choice === "required" || typeof choice === "object") {
      const wanted = typeof choice === "object" ? choice.name : undefined;
      if (tools.length === 0 || (wanted !== undefined && !tools.some((t) => t.name === wanted))) {
        throw new InvalidRequestError(
          wanted === undefined
            ? `toolChoice "required" needs tools: ${provider} cannot force a call without any.`
            : `toolChoice names the tool ${JSON.stringify(wanted)}, which is not among the tools of this call to ${provider}.`,
          { provider, reason: "invalid_tool" },
        );
      }
    }
    // The API answers 400 to a tool message that answers no call of an earlier assistant turn.
    checkToolResults(provider, messages);
  }

  /**
   * Builds the request body: messages, mapped generation parameters, `tools`, `tool_choice` and
   * `response_format`, the config's and settings' `extraBody`, then `providerOptions` (which
   * win), then `stream` and `stream_options`. A `json_object` request gets its system
   * instruction here (see `jsonObjectInstruction` in the config). Subclasses override it for
   * model-specific rules (OpenAI reasoning models).
   */
  protected buildRequestBody(
    messages: readonly Message[],
    options: ProviderCallOptions,
    stream: boolean,
  ): OpenAIChatRequestBody {
    const providerOptions = options.providerOptions ?? {};
    const format = options.responseFormat;
    const responseFormat =
      format && convertOpenAIResponseFormat(format, this.#jsonSchema(options.model));
    let wireMessages = this.formatMessages(messages);
    if (
      format &&
      responseFormat?.type === "json_object" &&
      this.config.jsonObjectInstruction !== false
    ) {
      const instruction = jsonObjectInstruction(format, messages);
      if (instruction) wireMessages = withSystemInstruction(wireMessages, instruction);
    }
    const body: OpenAIChatRequestBody = {
      model: options.model,
      messages: wireMessages,
      ...(options.temperature !== undefined && { temperature: options.temperature }),
      ...(options.topP !== undefined && { top_p: options.topP }),
      ...(options.maxTokens !== undefined && { max_tokens: options.maxTokens }),
      ...(options.stop !== undefined && options.stop.length > 0 && { stop: [...options.stop] }),
      ...prepareOpenAITools(options.tools, options.toolChoice),
      ...(responseFormat && { response_format: responseFormat }),
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

  /** Whether the service takes a `json_schema` response format for `model`. */
  #jsonSchema(model: string): boolean {
    const jsonSchema = this.config.jsonSchema ?? true;
    return typeof jsonSchema === "function" ? jsonSchema(model) : jsonSchema;
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
    const signal = options.signal;
    const { response: raw } = await this.#send(messages, options, false);
    let text: string;
    try {
      text = await readLimitedText(raw, this.name, options.maxResponseBytes);
    } catch (error) {
      throw toTransportError(error, {
        provider: this.name,
        secrets: this.secrets,
        ...(signal && { signal }),
        during: "reading the response",
      });
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
   * Streams one request as parts: a `metadata` part when the model is first named (or changes),
   * `reasoning`, `text` and `refusal` parts as they arrive, tool calls as `tool-call-start`,
   * `tool-call-delta` and `tool-call-end` parts (see `OpenAIToolCallStream` for the vendors'
   * forms; every call ends by the finish reason), and one `finish` part (reason, usage, model)
   * last, once the dialect's end is seen (`data: [DONE]`; the end of the body when
   * `requireDoneMarker` is `false`) and a finish reason was received. A stream that ends
   * without a finish reason ends without a finish part: no reason is invented, and `LLMClient`
   * reports it as `incomplete_stream`. The SDK only sends the request (and maps HTTP errors);
   * the body is read with core's SSE reader, which reports a body cut in the middle of an event.
   *
   * @throws {ContentFilterError} after yielding what was received, when the answer was filtered.
   * @throws {ServiceUnavailableError} when the stream is cut or (unless `requireDoneMarker` is
   *   `false`) ends without `data: [DONE]`.
   * @throws {ProviderError} `malformed_response` when an event is not a JSON object.
   */
  async *stream(
    messages: readonly Message[],
    options: ProviderCallOptions,
  ): AsyncGenerator<StreamPart, void, undefined> {
    const signal = options.signal;
    const { response, errors } = await this.#send(messages, options, true);
    const headers = response.headers;
    // Kept for the errors this method builds itself (content filter, missing [DONE]).
    let content = "";
    let reasoning = "";
    let refused = false;
    let finishReason: FinishReason | undefined;
    let usage: Usage | undefined;
    let cost: Cost | undefined;
    let model: string | undefined;
    let sawDone = false;
    const calls = new OpenAIToolCallStream();
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
          throw new errors.APIError(undefined, payload.error ?? payload, undefined, headers);
        }
        const chunk = this.parseStreamChunk(payload);
        if (chunk) {
          if (chunk.model !== undefined && chunk.model !== model) {
            model = chunk.model;
            yield { type: "metadata", model };
          }
          if (chunk.reasoning) {
            reasoning += chunk.reasoning;
            yield { type: "reasoning", text: chunk.reasoning };
          }
          if (chunk.content) {
            content += chunk.content;
            yield { type: "text", text: chunk.content };
          }
          if (chunk.refusal) {
            refused = true;
            yield { type: "refusal", text: chunk.refusal };
          }
          if (chunk.usage) {
            usage = chunk.usage;
            cost = chunk.cost;
          }
        }
        const delta = payload.choices?.[0]?.delta;
        const toolDeltas = delta && toolCallDeltas(delta);
        if (toolDeltas) for (const part of calls.push(toolDeltas)) yield part;
        if (chunk?.finishReason) {
          finishReason = chunk.finishReason;
          for (const part of calls.finish()) yield part;
        }
      }
    } catch (error) {
      throw this.mapError(error, signal, true);
    }
    if (signal?.aborted) throw abortReason(signal);
    if (finishReason === "content_filter")
      throw this.#contentFilterError(headers, content, reasoning);
    if (!sawDone && this.config.requireDoneMarker !== false) {
      const requestId = this.#requestId(headers);
      throw new ServiceUnavailableError(
        `${this.name}: the stream ended without its [DONE] marker (cut before the end).`,
        {
          provider: this.name,
          reason: "incomplete_stream",
          ...(requestId !== undefined && { requestId }),
          partialContent: content,
          ...(reasoning && { partialReasoning: reasoning }),
        },
      );
    }
    if (finishReason === undefined) return;
    for (const part of calls.finish()) yield part;
    yield {
      type: "finish",
      reason: answerFinishReason(finishReason, { toolCalls: calls.count > 0, refusal: refused })!,
      ...(usage && { usage }),
      ...(cost && { cost }),
      ...(model !== undefined && { model }),
    };
  }

  /**
   * Sends one request through the SDK and returns the raw `Response`: the SDK sends it and maps
   * non-2xx answers; the body is read here. (A method of its own, so that the request body is
   * not held by a stream's generator for the life of the stream.)
   */
  async #send(
    messages: readonly Message[],
    options: ProviderCallOptions,
    stream: boolean,
  ): Promise<{ response: Response; errors: OpenAISdkErrors }> {
    const body = this.buildRequestBody(messages, options, stream);
    const signal = options.signal;
    try {
      const { client, errors } = await this.#loadSdk();
      const response = await client.chat.completions
        .create(body as unknown as OpenAI.ChatCompletionCreateParams, { signal: signal ?? null })
        .asResponse();
      return { response, errors };
    } catch (error) {
      throw this.mapError(error, signal, false);
    }
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
          reason: "malformed_response",
        },
      );
    }
    const reasoning = extractReasoning(message, this.#reasoningFields);
    const toolCalls = parseOpenAIToolCalls(message);
    const refusal =
      typeof message.refusal === "string" && message.refusal !== "" ? message.refusal : undefined;
    const finishReason = answerFinishReason(mapOpenAIFinishReason(choice?.finish_reason), {
      toolCalls: toolCalls !== undefined,
      refusal: refusal !== undefined,
    });
    const usage = this.#usage(raw.usage);
    const cost = this.#reportedCost(raw.usage);
    return {
      // A refusal is not the answer: `content` stays empty and the text goes to `refusal`.
      content: refusal === undefined && typeof message.content === "string" ? message.content : "",
      ...(reasoning !== undefined && { reasoning }),
      model: raw.model ?? "",
      provider: this.name,
      ...(usage && { usage }),
      ...(cost && { cost }),
      ...(finishReason && { finishReason }),
      ...(toolCalls && { toolCalls }),
      ...(refusal !== undefined && { refusal }),
      cached: false,
      raw,
    };
  }

  /**
   * Converts one stream chunk: text, reasoning and refusal deltas (`null` = nothing new), the
   * finish reason (as the wire says it), and usage (the extra last chunk with empty `choices`).
   * `undefined` when it carries none of these. Tool-call fragments are not read here (a chunk may
   * hold several); `stream()` reads them.
   */
  parseStreamChunk(raw: OpenAIChatCompletionChunk): StreamChunk | undefined {
    const choice = raw.choices?.[0];
    const delta = choice?.delta;
    const content = typeof delta?.content === "string" ? delta.content : "";
    const reasoning = extractReasoning(delta, this.#reasoningFields);
    const refusal = typeof delta?.refusal === "string" ? delta.refusal : "";
    const finishReason = mapOpenAIFinishReason(choice?.finish_reason);
    const usage = this.#usage(raw.usage);
    const cost = this.#reportedCost(raw.usage);
    if (!content && !reasoning && !refusal && !finishReason && !usage && !raw.model)
      return undefined;
    return {
      content,
      ...(reasoning !== undefined && { reasoning }),
      ...(refusal && { refusal }),
      ...(raw.model && { model: raw.model }),
      provider: this.name,
      ...(finishReason && { finishReason }),
      ...(usage && { usage }),
      ...(cost && { cost }),
    };
  }

  /** The usage object read with the vendor's arithmetic (see `reasoningInCompletion`). */
  #usage(usage: OpenAIUsage | null | undefined): Usage | undefined {
    // Most stream chunks carry `usage: null`: nothing to build for them.
    if (!usage) return undefined;
    this.#dialect ??= {
      ...(this.config.reasoningInCompletion !== undefined && {
        reasoningInCompletion: this.config.reasoningInCompletion,
      }),
    };
    return convertOpenAIUsage(usage, this.#dialect);
  }

  /** How this vendor counts usage, built once. */
  #dialect: OpenAIUsageDialect | undefined;

  /** The cost the vendor reports in its usage object, when it does (see `reportedCost`). */
  #reportedCost(usage: OpenAIUsage | null | undefined): Cost | undefined {
    const report = this.config.reportedCost;
    return report && usage && typeof usage === "object" ? report(usage) : undefined;
  }

  /** Maps anything the SDK throws to the error to rethrow (see `mapOpenAIError`). */
  protected mapError(error: unknown, signal: AbortSignal | undefined, inStream: boolean): unknown {
    return mapOpenAIError(error, {
      provider: this.name,
      secrets: this.secrets,
      ...(this.#sdkErrors && { sdk: this.#sdkErrors }),
      ...(signal && { signal }),
      errorCodes: this.#errorCodes,
      ...(this.config.mapError && { mapError: this.config.mapError }),
      bodies: this.#bodies,
      ...(this.config.requestIdHeaders && { requestIdHeaders: this.config.requestIdHeaders }),
      inStream,
    });
  }

  /** `generate()` for stream-only calls: the answer assembled from the stream's parts. */
  async #generateByStreaming(
    messages: readonly Message[],
    options: ProviderCallOptions,
  ): Promise<ModelResponse> {
    const a = new Assembler();
    for await (const part of this.stream(messages, options)) a.push(part);
    // No client stage checks a generate call's stream: a stream without a finish is a cut answer.
    if (a.reason === undefined) {
      throw new ServiceUnavailableError(
        `${this.name}: the stream ended without a finish reason (the answer may be cut short).`,
        {
          provider: this.name,
          reason: "incomplete_stream",
          partialContent: a.content,
          ...(a.reasoning && { partialReasoning: a.reasoning }),
        },
      );
    }
    const r = a.response(this.name, options.model, false);
    // As in a whole answer: each call's arguments parsed (best effort) next to the raw text.
    return r.toolCalls
      ? { ...r, toolCalls: r.toolCalls.map((c, i) => toolCallOf(c.id, c.name, c.rawArguments, i)) }
      : r;
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
      reason: "malformed_response",
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
 * The tool-call fragments of a delta: `tool_calls`, or the legacy `function_call` as the one call
 * at index 0. `undefined` when there are none.
 */
function toolCallDeltas(
  delta: NonNullable<OpenAIChatCompletionChunk["choices"]>[number]["delta"],
): readonly OpenAIToolCallDelta[] | undefined {
  if (!delta) return undefined;
  const calls = delta.tool_calls;
  if (Array.isArray(calls)) return calls.length > 0 ? calls : undefined;
  const legacy = delta.function_call;
  return legacy && typeof legacy === "object" ? [{ index: 0, function: legacy }] : undefined;
}

/**
 * `messages` with `instruction` at the start: appended to a leading system message, else as a
 * system message of its own (some services take only one system message, and only first).
 */
function withSystemInstruction(
  messages: OpenAIChatMessage[],
  instruction: string,
): OpenAIChatMessage[] {
  const first = messages[0];
  if (first?.role === "system" && typeof first.content === "string") {
    const content = first.content === "" ? instruction : `${first.content}\n\n${instruction}`;
    return [{ ...first, content }, ...messages.slice(1)];
  }
  return [{ role: "system", content: instruction }, ...messages];
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
      { provider: config.id, reason: "unknown_region" },
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
