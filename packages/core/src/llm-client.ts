import { defaultStore } from "./cache/default-store.js";
import { attemptStage } from "./client/attempt.js";
import { type CacheStage, cacheStage } from "./client/cache.js";
import { coalesceStage } from "./client/coalesce.js";
import { Conversation } from "./client/conversation.js";
import { toChunks, toResponse } from "./client/edge.js";
import { fallbackStage } from "./client/fallback.js";
import { middlewareStage } from "./client/middleware.js";
import {
  normalizeInput,
  validateMaxResponseBytes,
  validateParams,
  validateProviderOptions,
  validateTimeout,
} from "./client/normalize-input.js";
import { observeStage } from "./client/observe.js";
import type { GenerateOptions, LLMClientOptions } from "./client/options.js";
import {
  type CallMode,
  compose,
  type Next,
  type PipelineRequest,
  type Stage,
} from "./client/pipeline.js";
import { prepareStage } from "./client/prepare.js";
import { retryStage } from "./client/retry.js";
import { type FallbackSpec, Targets, toProvider } from "./client/targets.js";
import { ConfigurationError, InvalidRequestError } from "./errors.js";
import { DEFAULT_MAX_RESPONSE_BYTES } from "./http/limits.js";
import { shouldFallbackByDefault } from "./policy.js";
import type { ProviderId } from "./registry.js";
import { resolveRetryOptions } from "./retry.js";
import type { Message, ModelResponse, StreamChunk } from "./types.js";

export type {
  AnyFallbackTarget,
  FallbackTarget,
  GenerateOptions,
  LLMClientOptions,
} from "./client/options.js";

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
    const listener = options.onEvent;
    this.#cache = store ? cacheStage(store, listener, primary.name) : undefined;
    // Outermost first; a stage that is not configured is not there at all.
    const stages: Stage[] = [
      ...middleware.filter((m) => m.level !== "attempt").map(middlewareStage),
      ...(this.#cache ? [prepareStage(targets)] : []),
      ...(listener ? [observeStage(listener, targets)] : []),
      ...(this.#cache ? [coalesceStage(), this.#cache.stage] : []),
      ...(targets.length > 1
        ? [fallbackStage(targets, options.shouldFallback ?? shouldFallbackByDefault, listener)]
        : []),
      ...(retry.maxRetries > 0 ? [retryStage(retry, targets, listener)] : []),
      ...middleware.filter((m) => m.level === "attempt").map(middlewareStage),
    ];
    this.#run = compose(stages, attemptStage(targets, listener));
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
  async generate(
    input: string | readonly Message[],
    options: GenerateOptions = {},
  ): Promise<ModelResponse> {
    const req = this.#request(input, options, "generate");
    return toResponse(this.#run(req), req.trace);
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
  stream(
    input: string | readonly Message[],
    options: GenerateOptions = {},
  ): AsyncGenerator<StreamChunk, void, undefined> {
    // Input is checked when iteration starts, as for any async generator.
    return toChunks(() => {
      const req = this.#request(input, options, "stream");
      return { parts: this.#run(req), trace: req.trace };
    }, this.provider);
  }

  /**
   * Sends `message` as the next user turn of the conversation kept by this client and returns
   * the answer; both enter the history. Calls are queued so that turns never interleave.
   *
   * @example
   * ```ts
   * await client.chat("My name is Ada.");
   * const r = await client.chat("What is my name?");
   * ```
   */
  chat(
    message: string,
    options: Omit<GenerateOptions, "systemPrompt"> = {},
  ): Promise<ModelResponse> {
    return this.#conversation.send(message, options);
  }

  /**
   * Streams the answer to the next user turn. The turn enters the history when the stream
   * completes; a failed or abandoned stream leaves the history unchanged. Turns are queued: read
   * the stream to its end, or stop it with `break` / `return()`, before the next `chat` call runs
   * (an iterator that is neither finished nor closed holds the queue).
   */
  chatStream(
    message: string,
    options: Omit<GenerateOptions, "systemPrompt"> = {},
  ): AsyncGenerator<StreamChunk, void, undefined> {
    return this.#conversation.sendStream(message, options);
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

  /** Validates and normalizes one call's input into the request the pipeline runs. */
  #request(
    input: string | readonly Message[],
    o: GenerateOptions,
    mode: CallMode,
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
    return {
      params: {
        mode,
        messages: normalizeInput(input, o.systemPrompt, o.images),
        model: o.model ?? primary.model,
        ...(o.temperature !== undefined && { temperature: o.temperature }),
        ...(o.maxTokens !== undefined && { maxTokens: o.maxTokens }),
        ...(o.topP !== undefined && { topP: o.topP }),
        ...(o.stop !== undefined && { stop: o.stop }),
        ...(o.providerOptions !== undefined && { providerOptions: o.providerOptions }),
        maxResponseBytes:
          o.maxResponseBytes ?? client.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES,
        ...(o.signal && { signal: o.signal }),
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
  }
}
