import { defaultStore } from "./cache/default-store.js";
import { attemptStage } from "./client/attempt.js";
import { type CacheStage, cacheStage } from "./client/cache.js";
import {
  type CallInfo,
  type CallObserver,
  type CallOperation,
  chunkTally,
  objectTally,
  observePromise,
  observeStream,
  responseOutcome,
} from "./client/call-observer.js";
import { coalesceStage } from "./client/coalesce.js";
import { Conversation } from "./client/conversation.js";
import { toChunks, toResponse } from "./client/edge.js";
import { type EventListener, emit, type RephyscoEvent } from "./client/events.js";
import { fallbackStage } from "./client/fallback.js";
import { type Middleware, middlewareStage } from "./client/middleware.js";
import {
  mergeTags,
  normalizeInput,
  validateMaxResponseBytes,
  validateParams,
  validateProviderOptions,
  validateTags,
  validateTimeout,
} from "./client/normalize-input.js";
import {
  type ObjectContext,
  type ObjectResponse,
  type ObjectStreamItem,
  generateObject as runGenerateObject,
  streamObject as runStreamObject,
} from "./client/objects.js";
import { observeStage } from "./client/observe.js";
import type { GenerateObjectOptions, GenerateOptions, LLMClientOptions } from "./client/options.js";
import {
  type CallMode,
  compose,
  type Next,
  type PipelineRequest,
  type Stage,
} from "./client/pipeline.js";
import { prepareStage } from "./client/prepare.js";
import { Pricing } from "./client/pricing.js";
import { retryStage } from "./client/retry.js";
import { type FallbackSpec, Targets, toProvider } from "./client/targets.js";
import { checkReachable, prepareTools, type ToolSetup } from "./client/tool-calls.js";
import {
  generateWithTools,
  type LoopContext,
  type LoopOptions,
  streamWithTools,
} from "./client/tool-loop.js";
import { validatePriceOverrides } from "./cost.js";
import { ConfigurationError, InvalidRequestError } from "./errors.js";
import { DEFAULT_MAX_RESPONSE_BYTES } from "./http/limits.js";
import { shouldFallbackByDefault } from "./policy.js";
import type { ProviderId } from "./registry.js";
import { resolveRetryOptions } from "./retry.js";
import {
  type InferSchema,
  type ResolvedSchema,
  resolveSchema,
  type SchemaInput,
} from "./tools/schema.js";
import type { ToolSet, TypedToolCall } from "./tools/tool.js";
import type { Message, ModelResponse, ResponseFormat, StreamChunk } from "./types.js";

export type {
  AnyFallbackTarget,
  FallbackTarget,
  GenerateObjectOptions,
  GenerateOptions,
  LLMClientOptions,
} from "./client/options.js";

/**
 * The answer of `generate` / `chat` with the tool calls typed by the call's tools: `arguments`
 * has the type each tool's schema describes.
 */
export type GenerateResult<T extends ToolSet = ToolSet> = Omit<ModelResponse, "toolCalls"> & {
  /** The tools the model called (in the last step, for a tool loop), parsed and validated. */
  readonly toolCalls?: readonly TypedToolCall<T>[];
};

function badOption(message: string): InvalidRequestError {
  return new InvalidRequestError(message, { provider: "client", reason: "invalid_option" });
}

/**
 * The client's one listener: `onEvent`, then every middleware's `onEvent`, each on its own (one
 * that throws never keeps the others from hearing the event). `undefined` when nobody listens.
 */
function listenerOf(
  onEvent: EventListener | undefined,
  middleware: readonly Middleware[],
): EventListener | undefined {
  const hooks = middleware.filter((m) => typeof m.onEvent === "function");
  if (hooks.length === 0) return onEvent;
  const all: EventListener[] = [
    ...(onEvent ? [onEvent] : []),
    ...hooks.map((m) => (e: RephyscoEvent) => m.onEvent!(e)),
  ];
  return (event) => {
    for (const l of all) emit(l, event);
  };
}

/** The loop options of a call, checked; `undefined` when the call runs no loop. */
function loopOptions(o: GenerateOptions): LoopOptions | undefined {
  if (o.maxSteps !== undefined && (!Number.isInteger(o.maxSteps) || o.maxSteps < 1))
    throw badOption(`maxSteps must be a positive integer; got ${String(o.maxSteps)}.`);
  if (o.stopWhen !== undefined && typeof o.stopWhen !== "function")
    throw badOption("stopWhen must be a function (step, steps) => boolean.");
  if (
    o.maxParallelTools !== undefined &&
    (!Number.isInteger(o.maxParallelTools) || o.maxParallelTools < 1)
  )
    throw badOption(
      `maxParallelTools must be a positive integer; got ${String(o.maxParallelTools)}.`,
    );
  if (o.toolErrors !== undefined && o.toolErrors !== "send" && o.toolErrors !== "throw")
    throw badOption(`toolErrors must be "send" or "throw"; got ${JSON.stringify(o.toolErrors)}.`);
  if (o.onToolCall !== undefined && typeof o.onToolCall !== "function")
    throw badOption("onToolCall must be a function.");
  if (o.maxSteps === undefined && o.stopWhen === undefined) return undefined;
  return {
    maxSteps: o.maxSteps ?? 10,
    ...(o.stopWhen && { stopWhen: o.stopWhen }),
    maxParallelTools: o.maxParallelTools ?? 4,
    toolErrors: o.toolErrors ?? "send",
    ...(o.onToolCall && { onToolCall: o.onToolCall as LoopOptions["onToolCall"] }),
  };
}

/**
 * One API over every registered provider: generate, stream, multi-turn chat, images, caching,
 * retries, timeouts, fallbacks and middleware. A call runs through a composition of stages
 * (see docs/architecture.md); stages the client is not configured for are not in it.
 *
 * @example
 * ```ts
 * import { LLMClient } from "@rephysco/core";
 * import "@rephysco/openai";
 *
 * const client = new LLMClient({ provider: "openai", model: "gpt-4o-mini", cache: true });
 * const r = await client.generate("Name three prime numbers.");
 * for await (const c of client.stream("Write a haiku.")) process.stdout.write(c.content);
 * ```
 */
export class LLMClient<Id extends ProviderId = ProviderId> {
  readonly #options: LLMClientOptions<Id>;
  readonly #targets: Targets;
  readonly #run: Next;
  readonly #cache: CacheStage | undefined;
  readonly #tags: readonly string[] | undefined;
  readonly #listener: EventListener | undefined;
  /** Middleware that observe whole calls (empty: calls pay nothing for observation). */
  readonly #watchers: readonly Middleware[];
  readonly #conversation: Conversation<Omit<GenerateOptions, "systemPrompt">>;

  /**
   * @throws {ConfigurationError} for an unknown provider id or invalid options.
   * @throws {AuthenticationError} when the primary provider has no API key (fallbacks are
   *   created, and their keys looked up, when first needed).
   */
  constructor(options: LLMClientOptions<Id>) {
    if (!options || typeof options !== "object") {
      throw new ConfigurationError(
        'LLMClient needs options: new LLMClient({ provider: "openai" }).',
        { provider: "client" },
      );
    }
    this.#options = options;
    const primary = toProvider(options as FallbackSpec);
    const targets = new Targets(
      { provider: primary, model: options.model ?? primary.defaultModel },
      (options.fallbacks ?? []) as readonly FallbackSpec[],
    );
    this.#targets = targets;
    const retry = resolveRetryOptions(options.retry);
    for (const name of ["timeoutMs", "firstChunkTimeoutMs", "idleTimeoutMs"] as const)
      validateTimeout(name, options[name], ConfigurationError);
    // A TTL is no timer: any positive length is fine.
    validateTimeout("cacheTtlMs", options.cacheTtlMs, ConfigurationError, false);
    validateMaxResponseBytes(options.maxResponseBytes, ConfigurationError);
    const store = options.cache === true ? defaultStore() : options.cache || undefined;
    if (store && (typeof store.get !== "function" || typeof store.set !== "function")) {
      throw new ConfigurationError(
        "cache must be true, false, or a store with get/set/delete methods.",
        { provider: "client" },
      );
    }
    const middleware = options.middleware ?? [];
    if (!Array.isArray(middleware) || middleware.some((m) => !m || typeof m !== "object")) {
      throw new ConfigurationError("middleware must be an array of middleware objects.", {
        provider: "client",
        reason: "invalid_option",
      });
    }
    const listener = listenerOf(options.onEvent, middleware);
    this.#listener = listener;
    this.#watchers = middleware.filter((m) => typeof m.observeCall === "function");
    const pricing = new Pricing(validatePriceOverrides(options.prices));
    this.#tags = validateTags(options.tags, ConfigurationError);
    const mctx = { listener, pricing, targets };
    this.#cache = store ? cacheStage(store, listener, primary.name) : undefined;
    // Outermost first; a stage that is not configured is not there at all.
    const stages: Stage[] = [
      ...middleware.filter((m) => m.level !== "attempt").map((m) => middlewareStage(m, mctx)),
      ...(this.#cache ? [prepareStage(targets)] : []),
      ...(listener ? [observeStage(listener, targets)] : []),
      ...(this.#cache ? [coalesceStage(), this.#cache.stage] : []),
      ...(targets.length > 1
        ? [fallbackStage(targets, options.shouldFallback ?? shouldFallbackByDefault, listener)]
        : []),
      ...(retry.maxRetries > 0 ? [retryStage(retry, targets, listener)] : []),
      ...middleware.filter((m) => m.level === "attempt").map((m) => middlewareStage(m, mctx)),
    ];
    this.#run = compose(stages, attemptStage(targets, listener, pricing));
    this.#conversation = new Conversation(this, options.systemPrompt);
  }

  /** Registry id of the main provider. */
  get provider(): string {
    return this.#targets.primary.provider.name;
  }

  /** Default model of this client. */
  get model(): string {
    return this.#targets.primary.model;
  }

  /**
   * Sends one request and returns the whole answer.
   *
   * @example
   * ```ts
   * const r = await client.generate("What is 2+2?", { systemPrompt: "Answer with a number." });
   * console.log(r.content, r.usage?.totalTokens, r.provider);
   * ```
   */
  async generate<T extends ToolSet = ToolSet>(
    input: string | readonly Message[],
    options: GenerateOptions<T> = {},
  ): Promise<GenerateResult<T>> {
    const setup = prepareTools(options.tools, options.toolChoice);
    const loop = loopOptions(options as unknown as GenerateOptions);
    const req = this.#request(input, options as unknown as GenerateOptions, "generate", setup);
    const run = (): Promise<ModelResponse> =>
      setup
        ? generateWithTools(this.#loopContext(setup, loop, req), req)
        : toResponse(this.#run(req), req.trace);
    const observers = this.#observers("generate", req, loop !== undefined);
    return (observers ? observePromise(observers, run, responseOutcome) : run()) as Promise<
      GenerateResult<T>
    >;
  }

  /**
   * Streams the answer. Text already yielded stays yielded; a failure after that throws with the
   * partial text on `error.partialContent`. A stream that ends without a finish reason throws.
   *
   * @example
   * ```ts
   * for await (const chunk of client.stream("Write a haiku")) process.stdout.write(chunk.content);
   * ```
   */
  stream<T extends ToolSet = ToolSet>(
    input: string | readonly Message[],
    options: GenerateOptions<T> = {},
  ): AsyncGenerator<StreamChunk, void, undefined> {
    if (this.#watchers.length > 0)
      return this.#observedStream(input, options as unknown as GenerateOptions);
    // Input is checked when iteration starts, as for any async generator.
    if (options.tools === undefined)
      return toChunks(() => {
        // The same checks as with tools: a toolChoice or loop option alone is a mistake to report.
        prepareTools(undefined, options.toolChoice);
        loopOptions(options as unknown as GenerateOptions);
        const req = this.#request(
          input,
          options as unknown as GenerateOptions,
          "stream",
          undefined,
        );
        return { parts: this.#run(req), trace: req.trace };
      }, this.provider);
    return streamWithTools(() => {
      const setup = prepareTools(options.tools, options.toolChoice);
      const loop = loopOptions(options as unknown as GenerateOptions);
      const first = this.#request(input, options as unknown as GenerateOptions, "stream", setup);
      return { ctx: this.#loopContext(setup, loop, first), first };
    });
  }

  /** `stream` with observers: input checked at the first pull, the whole stream observed. */
  #observedStream(
    input: string | readonly Message[],
    options: GenerateOptions,
  ): AsyncGenerator<StreamChunk, void, undefined> {
    return observeStream(() => {
      const setup = prepareTools(options.tools, options.toolChoice);
      const loop = loopOptions(options);
      const req = this.#request(input, options, "stream", setup);
      return {
        source: setup
          ? streamWithTools(() => ({ ctx: this.#loopContext(setup, loop, req), first: req }))
          : toChunks(() => ({ parts: this.#run(req), trace: req.trace }), this.provider),
        observers: this.#observers("stream", req, loop !== undefined),
        tally: () => chunkTally(this.provider, req.params.model),
      };
    });
  }

  /**
   * Asks for a JSON answer that conforms to `schema` and returns it parsed and validated on
   * `object` (typed by the schema). On the wire: OpenAI `json_schema` (strict when the schema
   * allows), Gemini `responseJsonSchema`, Anthropic structured output (or one forced tool),
   * xAI, DashScope and SiliconFlow JSON modes. A refusal, invalid JSON or a failed validation is
   * an `InvalidOutputError` carrying the raw text (`repair: true` asks once more first).
   *
   * @example
   * ```ts
   * const { object } = await client.generateObject("Invent a city.", {
   *   schema: z.object({ name: z.string(), population: z.number() }),
   * });
   * ```
   */
  async generateObject<S extends SchemaInput>(
    input: string | readonly Message[],
    options: GenerateObjectOptions<S>,
  ): Promise<ObjectResponse<InferSchema<S>>> {
    const { ctx, req } = this.#objectCall(input, options, "generate");
    const observers = this.#observers("generateObject", req, false);
    const run = () => runGenerateObject<InferSchema<S>>(ctx, req);
    return observers ? observePromise(observers, run, responseOutcome) : run();
  }

  /**
   * Streams a JSON answer that conforms to `schema`: each item carries the object parsed so far
   * (`partial`), the last one (`done: true`) the validated `object`, the finish reason and usage.
   * Parsing is incremental: linear in the size of the answer.
   *
   * @example
   * ```ts
   * for await (const item of client.streamObject("Invent a city.", { schema })) {
   *   if (item.done) console.log(item.object); else render(item.partial);
   * }
   * ```
   */
  streamObject<S extends SchemaInput>(
    input: string | readonly Message[],
    options: GenerateObjectOptions<S>,
  ): AsyncGenerator<ObjectStreamItem<InferSchema<S>>, void, undefined> {
    if (this.#watchers.length > 0) return this.#observedObjectStream<S>(input, options);
    return runStreamObject<InferSchema<S>>(() => {
      const { ctx, req } = this.#objectCall(input, options, "stream");
      return { ctx, first: req };
    });
  }

  /** `streamObject` with observers. */
  #observedObjectStream<S extends SchemaInput>(
    input: string | readonly Message[],
    options: GenerateObjectOptions<S>,
  ): AsyncGenerator<ObjectStreamItem<InferSchema<S>>, void, undefined> {
    return observeStream(() => {
      const { ctx, req } = this.#objectCall(input, options, "stream");
      return {
        source: runStreamObject<InferSchema<S>>(() => ({ ctx, first: req })),
        observers: this.#observers("streamObject", req, false),
        tally: () => objectTally<InferSchema<S>>(this.provider, req.params.model),
      };
    });
  }

  /**
   * Sends `message` as the next user turn of the conversation kept by this client and returns
   * the answer; both enter the history. Calls are queued so that turns never interleave. With
   * tools, the history records the tool turns (assistant calls, tool results); when the model
   * called a tool that has no `execute`, send its result as the next turn:
   * `chat([{ role: "tool", toolCallId, content }])`.
   *
   * @example
   * ```ts
   * await client.chat("My name is Ada.");
   * const r = await client.chat("What is my name?");
   * ```
   */
  chat<T extends ToolSet = ToolSet>(
    message: string | readonly Message[],
    options: Omit<GenerateOptions<T>, "systemPrompt"> = {},
  ): Promise<GenerateResult<T>> {
    return this.#conversation.send(
      message,
      options as unknown as Omit<GenerateOptions, "systemPrompt">,
    ) as Promise<GenerateResult<T>>;
  }

  /**
   * Streams the answer to the next user turn. The turn enters the history when the stream
   * completes; a failed or abandoned stream leaves the history unchanged. Turns are queued: read
   * the stream to its end, or stop it with `break` / `return()`, before the next `chat` call runs
   * (an iterator that is neither finished nor closed holds the queue).
   */
  chatStream<T extends ToolSet = ToolSet>(
    message: string | readonly Message[],
    options: Omit<GenerateOptions<T>, "systemPrompt"> = {},
  ): AsyncGenerator<StreamChunk, void, undefined> {
    return this.#conversation.sendStream(
      message,
      options as unknown as Omit<GenerateOptions, "systemPrompt">,
    );
  }

  /** The conversation so far: the system prompt (when set) and every completed turn, in order. */
  get history(): readonly Message[] {
    return this.#conversation.history;
  }

  /** Forgets every turn. The system prompt stays. */
  clearHistory(): void {
    this.#conversation.clear();
  }

  /** Sets (or, with `undefined` or `""`, removes) the system prompt of the conversation. */
  setSystemPrompt(text: string | undefined): void {
    this.#conversation.setSystemPrompt(text);
  }

  /**
   * Waits until every answer handed out so far is written to the cache store. Answers are
   * written in the background (a slow store never delays a caller); call this before
   * `process.exit()` or before reading the store from elsewhere. Never rejects: store failures
   * are reported as `cache_error` events.
   */
  async flush(): Promise<void> {
    await this.#cache?.flush();
  }

  /** The observers of one call, or `undefined` when no middleware observes it. */
  #observers(
    operation: CallOperation,
    req: PipelineRequest,
    toolLoop: boolean,
  ): CallObserver[] | undefined {
    if (this.#watchers.length === 0) return undefined;
    const info: CallInfo = { operation, provider: this.provider, params: req.params, toolLoop };
    const observers: CallObserver[] = [];
    for (const m of this.#watchers) {
      try {
        const o = m.observeCall!(info);
        if (o) observers.push(o);
      } catch (error) {
        process.emitWarning(
          `rephysco: a middleware's observeCall threw: ${String(error)}`,
          "RephyscoWarning",
        );
      }
    }
    return observers.length > 0 ? observers : undefined;
  }

  /** The context of a tool call: the pipeline, and the request of each later step. */
  #loopContext(
    setup: ToolSetup | undefined,
    loop: LoopOptions | undefined,
    first: PipelineRequest,
  ): LoopContext {
    return {
      run: this.#run,
      setup,
      loop,
      listener: this.#listener,
      request: (messages) => this.#next(first, messages),
      primaryName: this.provider,
    };
  }

  /** Checks an object call and builds its context and first request. */
  #objectCall(
    input: string | readonly Message[],
    o: GenerateObjectOptions,
    mode: CallMode,
  ): { ctx: ObjectContext; req: PipelineRequest } {
    if (!o || typeof o !== "object" || o.schema === undefined)
      throw badOption("generateObject / streamObject need options with a schema: { schema }.");
    for (const k of ["tools", "toolChoice", "maxSteps", "stopWhen"] as const)
      if ((o as unknown as Record<string, unknown>)[k] !== undefined)
        throw badOption(
          `${k} is not an option of generateObject / streamObject: use generate with tools.`,
        );
    if (
      o.schemaName !== undefined &&
      (typeof o.schemaName !== "string" || !/^[a-zA-Z0-9_-]{1,64}$/.test(o.schemaName))
    )
      throw badOption("schemaName must be 1 to 64 characters of a-z, A-Z, 0-9, _ and -.");
    if (o.repair !== undefined && typeof o.repair !== "boolean")
      throw badOption("repair must be a boolean.");
    if (mode === "stream" && o.repair)
      throw badOption(
        "repair is an option of generateObject: a streamed object cannot be taken back once its partials are out.",
      );
    const schema: ResolvedSchema = resolveSchema(o.schema, "schema");
    const format: ResponseFormat = {
      type: "json",
      schema: schema.jsonSchema,
      name: o.schemaName ?? "response",
      ...(o.schemaDescription !== undefined && { description: o.schemaDescription }),
    };
    const req = this.#request(input, o, mode, undefined, format);
    return {
      req,
      ctx: {
        run: this.#run,
        schema,
        repair: o.repair === true,
        request: (messages) => this.#next(req, messages),
        primaryName: this.provider,
      },
    };
  }

  /** The request of a later model call of the same call (next step, repair): new messages, new trace. */
  #next(first: PipelineRequest, messages: readonly Message[]): PipelineRequest {
    const params = { ...first.params, messages };
    if (params.tools || params.responseFormat) checkReachable(this.#targets, messages, params);
    return {
      ...first,
      params,
      key: undefined,
      target: this.#targets.primary,
      targetIndex: 0,
      trace: { cached: false, provider: undefined, model: undefined },
    };
  }

  /** Validates and normalizes one call's input into the request the pipeline runs. */
  #request(
    input: string | readonly Message[],
    o: GenerateOptions,
    mode: CallMode,
    setup?: ToolSetup,
    responseFormat?: ResponseFormat,
  ): PipelineRequest {
    validateParams(o);
    if (o.model !== undefined && (typeof o.model !== "string" || o.model === ""))
      throw new InvalidRequestError("model must be a non-empty string.", {
        provider: "client",
        reason: "invalid_input",
      });
    validateTimeout("timeoutMs", o.timeoutMs);
    validateTimeout("firstChunkTimeoutMs", o.firstChunkTimeoutMs);
    validateTimeout("idleTimeoutMs", o.idleTimeoutMs);
    validateTimeout("cacheTtlMs", o.cacheTtlMs, InvalidRequestError, false);
    validateProviderOptions(o.providerOptions);
    validateMaxResponseBytes(o.maxResponseBytes, InvalidRequestError);
    const client = this.#options;
    const primary = this.#targets.primary;
    const messages = normalizeInput(input, o.systemPrompt, o.images);
    const toolChoice = setup && o.toolChoice !== undefined ? o.toolChoice : undefined;
    const tags = mergeTags(this.#tags, validateTags(o.tags, InvalidRequestError));
    const request: PipelineRequest = {
      params: {
        mode,
        messages,
        model: o.model ?? primary.model,
        ...(o.temperature !== undefined && { temperature: o.temperature }),
        ...(o.maxTokens !== undefined && { maxTokens: o.maxTokens }),
        ...(o.topP !== undefined && { topP: o.topP }),
        ...(o.stop !== undefined && { stop: o.stop }),
        ...(o.providerOptions !== undefined && { providerOptions: o.providerOptions }),
        maxResponseBytes:
          o.maxResponseBytes ?? client.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES,
        ...(setup && { tools: setup.specs }),
        ...(toolChoice !== undefined && { toolChoice }),
        ...(responseFormat && { responseFormat }),
        ...(o.signal && { signal: o.signal }),
        ...(tags && { tags }),
      },
      signal: o.signal,
      cacheMode:
        !this.#cache || o.cache === false ? "off" : o.cache === "refresh" ? "refresh" : "use",
      ttlMs: o.cacheTtlMs ?? client.cacheTtlMs,
      timeoutMs: o.timeoutMs ?? client.timeoutMs,
      firstChunkTimeoutMs: o.firstChunkTimeoutMs ?? client.firstChunkTimeoutMs,
      idleTimeoutMs: o.idleTimeoutMs ?? client.idleTimeoutMs,
      target: primary,
      targetIndex: 0,
      trace: { cached: false, provider: undefined, model: undefined },
    };
    if (setup || responseFormat) checkReachable(this.#targets, messages, request.params);
    return request;
  }
}
