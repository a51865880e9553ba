import type { BaseProvider } from "./base-provider.js";
import { type CacheKeyTarget, cacheKey } from "./cache/cache-key.js";
import type { CachedResponse, CacheEntry, CacheStore } from "./cache/cache-store.js";
import { isCacheEntry } from "./cache/cache-store.js";
import { defaultStore } from "./cache/default-store.js";
import { assembleChunks, responseToChunks } from "./client/assemble.js";
import { attemptScope } from "./client/attempt-scope.js";
import { type EventListener, emit, type RephyscoEvent, type Target } from "./client/events.js";
import {
  normalizeInput,
  validateMaxResponseBytes,
  validateParams,
  validateProviderOptions,
  validateTimeout,
} from "./client/normalize-input.js";
import { SharedCall, SharedStream } from "./client/shared-call.js";
import {
  AuthenticationError,
  ConfigurationError,
  ContentFilterError,
  InvalidRequestError,
  ProviderError,
  RephyscoError,
  ServiceUnavailableError,
  TimeoutError,
} from "./errors.js";
import { DEFAULT_MAX_RESPONSE_BYTES } from "./http/limits.js";
import {
  createProvider,
  type ProviderId,
  type ProviderOptions,
  type ProviderRegistry,
  type ProviderSettings,
} from "./registry.js";
import {
  computeRetryDelay,
  isAbortError,
  isRetryableError,
  type ResolvedRetryOptions,
  type RetryOptions,
  resolveRetryOptions,
  sleep,
} from "./retry.js";
import { toTransportError } from "./transport-error.js";
import type {
  ImageInput,
  Message,
  ModelResponse,
  ProviderCallOptions,
  StreamChunk,
} from "./types.js";

/** A provider to try when the ones before it fail. */
export interface FallbackTarget<Id extends ProviderId = ProviderId> {
  /** Registry id. */
  readonly provider: Id;
  /** Model to use with it (its default model when omitted). */
  readonly model?: string;
  /** API key (else its environment variable). */
  readonly apiKey?: string;
  /** Base URL. */
  readonly baseURL?: string;
  /** Further provider settings. */
  readonly settings?: ProviderSettings<Id & string>;
}

/**
 * A fallback for any registered provider, typed by its id: `settings` are checked against that
 * provider's settings. Ids registered only at run time take the common {@link ProviderOptions}.
 */
export type AnyFallbackTarget =
  | { [Id in keyof ProviderRegistry & string]: FallbackTarget<Id> }[keyof ProviderRegistry & string]
  | (FallbackTarget<string & {}> & { readonly settings?: ProviderOptions });

/** Settings of an {@link LLMClient}. Only `provider` is required. */
export interface LLMClientOptions<Id extends ProviderId = ProviderId> {
  /** Registry id of the provider (import its package first, e.g. `import "@rephysco/openai"`). */
  readonly provider: Id;
  /** Default model (else the provider's default). */
  readonly model?: string;
  /** API key (else the provider's environment variable, read now). */
  readonly apiKey?: string;
  /** Base URL of the provider's API. */
  readonly baseURL?: string;
  /** Further provider-specific settings (headers, region, organization, ...). */
  readonly settings?: ProviderSettings<Id & string>;
  /**
   * Response cache: `true` for the default disk cache (`REPHYSCO_CACHE_DIR`, else the user cache
   * directory), a {@link CacheStore} (memoryStore, fileStore, redisStore, a Keyv instance), or
   * `false`/omitted for none.
   */
  readonly cache?: boolean | CacheStore;
  /** Time to live of cache entries, in ms (default: the store's own default, usually no expiry). */
  readonly cacheTtlMs?: number;
  /** Retry policy; `false` disables retries. Defaults: 3 retries, 1 s, x2, 60 s cap, ±20 % jitter. */
  readonly retry?: false | RetryOptions;
  /** Longest time one attempt may take, streams included, in ms. */
  readonly timeoutMs?: number;
  /** Longest wait for a stream's first token, in ms. */
  readonly firstChunkTimeoutMs?: number;
  /** Longest gap between two streamed chunks, in ms. */
  readonly idleTimeoutMs?: number;
  /** Providers to try, in order, when the current one fails with a retryable error after its retries. */
  readonly fallbacks?: readonly AnyFallbackTarget[];
  /**
   * Decides whether an error falls back to the next provider. Default: rate limits, quota,
   * timeouts, 5xx and connection failures do; authentication, invalid request and content filter
   * errors do not.
   */
  readonly shouldFallback?: (error: unknown) => boolean;
  /** Receives request, retry, fallback, cache and finish events. */
  readonly onEvent?: EventListener;
  /** Default system prompt for `chat()` and `chatStream()`. */
  readonly systemPrompt?: string;
  /**
   * Most bytes a non-streamed answer body may have; a larger one fails with a `ProviderError`
   * of code `response_too_large` (not retried; it may fall back). Default 64 MiB. Streams are
   * bounded by the timeouts, and each streamed event by 1 MiB.
   */
  readonly maxResponseBytes?: number;
}

/** Options of one `generate`/`stream`/`chat` call. They override the client's settings. */
export interface GenerateOptions {
  /** System prompt placed before the messages. */
  readonly systemPrompt?: string;
  /** Model for this call. */
  readonly model?: string;
  /** Sampling temperature. */
  readonly temperature?: number;
  /** Upper bound on answer tokens. */
  readonly maxTokens?: number;
  /** Nucleus sampling. */
  readonly topP?: number;
  /** Stop sequences. */
  readonly stop?: readonly string[];
  /** Images for a string prompt (or appended to the last user message). */
  readonly images?: readonly ImageInput[];
  /** Aborts the call: the request, the retry wait and the stream. The error is the signal's `AbortError`. */
  readonly signal?: AbortSignal;
  /** `false`: neither read nor write the cache; `"refresh"`: skip the read, write the new answer. */
  readonly cache?: boolean | "refresh";
  /** Time to live of this answer in the cache, in ms. */
  readonly cacheTtlMs?: number;
  /** Provider-specific parameters, passed through. */
  readonly providerOptions?: Readonly<Record<string, unknown>>;
  /** Overrides the client's `timeoutMs`. */
  readonly timeoutMs?: number;
  /** Overrides the client's `firstChunkTimeoutMs`. */
  readonly firstChunkTimeoutMs?: number;
  /** Overrides the client's `idleTimeoutMs`. */
  readonly idleTimeoutMs?: number;
  /** Overrides the client's `maxResponseBytes`. */
  readonly maxResponseBytes?: number;
}

interface UpstreamResult {
  readonly response: CachedResponse;
  readonly raw?: unknown;
  readonly cached: boolean;
}

interface ResolvedTarget {
  readonly provider: BaseProvider;
  readonly model: string;
}

interface Prepared {
  readonly messages: Message[];
  readonly targets: readonly ResolvedTarget[];
  readonly call: Omit<ProviderCallOptions, "model" | "signal">;
  readonly signal: AbortSignal | undefined;
  readonly cacheMode: "off" | "use" | "refresh";
  readonly key: string | undefined;
  readonly ttlMs: number | undefined;
  readonly timeoutMs: number | undefined;
  readonly firstChunkTimeoutMs: number | undefined;
  readonly idleTimeoutMs: number | undefined;
}

/** A chunk with its own `usage` object (the only object a chunk holds). */
function copyUsage(chunk: StreamChunk): StreamChunk {
  return chunk.usage ? { ...chunk, usage: { ...chunk.usage } } : chunk;
}

/** Default fallback decision: what is worth trying elsewhere. */
function defaultShouldFallback(error: unknown): boolean {
  if (!(error instanceof ProviderError)) return false;
  if (
    error instanceof AuthenticationError ||
    error instanceof InvalidRequestError ||
    error instanceof ContentFilterError
  )
    return false;
  return true;
}

/**
 * One API over every registered provider: generate, stream, multi-turn chat, images, caching,
 * retries, timeouts and fallbacks.
 *
 * @example
 * ```ts
 * import { LLMClient } from "@rephysco/core";
 * import "@rephysco/openai";
 *
 * const client = new LLMClient({ provider: "openai", model: "gpt-4o-mini", cache: true });
 * const { content } = await client.generate("Say hi", { temperature: 0 });
 * for await (const chunk of client.stream("Tell me a story")) process.stdout.write(chunk.content);
 * ```
 */
export class LLMClient<Id extends ProviderId = ProviderId> {
  readonly #provider: BaseProvider;
  readonly #fallbacks: readonly ResolvedTarget[];
  readonly #model: string;
  readonly #store: CacheStore | undefined;
  readonly #options: LLMClientOptions<Id>;
  readonly #retry: ResolvedRetryOptions;
  readonly #inflight = new Map<string, SharedCall<UpstreamResult>>();
  readonly #inflightStreams = new Map<string, SharedStream<StreamChunk>>();
  // Answers being written to the store: served from here so that a slow store never delays a
  // caller, and a call right after a write never misses.
  readonly #pendingWrites = new Map<string, CacheEntry>();
  readonly #writes = new Set<Promise<unknown>>();
  #history: Message[] = [];
  #systemPrompt: string | undefined;
  #chatLock: Promise<unknown> = Promise.resolve();

  /**
   * @throws {ConfigurationError} for an unknown provider id or invalid options.
   * @throws {AuthenticationError} when no API key is given or found in the environment.
   */
  constructor(options: LLMClientOptions<Id>) {
    if (!options || typeof options !== "object") {
      throw new ConfigurationError(
        'LLMClient needs options: new LLMClient({ provider: "openai" }).',
        { provider: "client" },
      );
    }
    this.#options = options;
    this.#provider = createProvider(options.provider, {
      ...(options.settings as object),
      ...(options.apiKey !== undefined && { apiKey: options.apiKey }),
      ...(options.baseURL !== undefined && { baseURL: options.baseURL }),
    } as ProviderSettings<Id>);
    this.#model = options.model ?? this.#provider.defaultModel;
    this.#fallbacks = (options.fallbacks ?? []).map((f) => {
      const p = createProvider(f.provider, {
        ...(f.settings as object),
        ...(f.apiKey !== undefined && { apiKey: f.apiKey }),
        ...(f.baseURL !== undefined && { baseURL: f.baseURL }),
      } as ProviderSettings<typeof f.provider>);
      return { provider: p, model: f.model ?? p.defaultModel };
    });
    try {
      this.#retry = resolveRetryOptions(options.retry);
    } catch (e) {
      throw new ConfigurationError((e as Error).message, {
        provider: "client",
        code: "invalid_option",
      });
    }
    for (const name of ["timeoutMs", "firstChunkTimeoutMs", "idleTimeoutMs"] as const) {
      validateTimeout(name, options[name], ConfigurationError);
    }
    // A TTL is no timer: any positive length is fine.
    validateTimeout("cacheTtlMs", options.cacheTtlMs, ConfigurationError, false);
    validateMaxResponseBytes(options.maxResponseBytes, ConfigurationError);
    const cache = options.cache;
    this.#store = cache === true ? defaultStore() : cache ? cache : undefined;
    if (
      this.#store &&
      (typeof this.#store.get !== "function" || typeof this.#store.set !== "function")
    ) {
      throw new ConfigurationError(
        "cache must be true, false, or a store with get/set/delete methods.",
        { provider: "client" },
      );
    }
    this.#systemPrompt = options.systemPrompt;
  }

  /**
   * Waits until every answer handed out so far is written to the cache store. Answers are
   * written in the background (a slow store never delays a caller); call this before
   * `process.exit()` or before reading the store from elsewhere. Never rejects: store failures
   * are reported as `cache_error` events.
   */
  async flush(): Promise<void> {
    while (this.#writes.size > 0) await Promise.all(this.#writes);
  }

  /** Registry id of the main provider. */
  get provider(): string {
    return this.#provider.name;
  }

  /** Default model of this client. */
  get model(): string {
    return this.#model;
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
    const req = this.#prepare(input, options);
    const started = performance.now();
    const primary = this.#targetOf(req.targets[0]!);
    let result: UpstreamResult;
    if (req.key !== undefined && req.cacheMode === "use") {
      // Registered before the cache read, so that identical calls arriving meanwhile join it.
      const key = req.key;
      let shared = this.#inflight.get(key);
      if (!shared || shared.abandoned) {
        const created: SharedCall<UpstreamResult> = new SharedCall(
          (signal) => this.#cachedOrUpstream(req, signal),
          () => {
            if (this.#inflight.get(key) === created) this.#inflight.delete(key);
          },
        );
        this.#inflight.set(key, created);
        shared = created;
      }
      const joined = shared.join(req.signal);
      result = await (this.#listening ? this.#observe(joined, primary, started) : joined);
    } else {
      const upstream = this.#generateUpstream(req, req.signal);
      result = await (this.#listening ? this.#observe(upstream, primary, started) : upstream);
    }
    // Each caller gets its own objects: answers are shared by coalesced calls, pending cache
    // writes and memory-store hits, and a caller may change what it was given.
    const usage = result.response.usage;
    return {
      ...result.response,
      ...(usage && { usage: { ...usage } }),
      cached: result.cached,
      ...(result.raw !== undefined && { raw: result.raw }),
    };
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
  async *stream(
    input: string | readonly Message[],
    options: GenerateOptions = {},
  ): AsyncGenerator<StreamChunk, void, undefined> {
    const req = this.#prepare(input, options);
    const started = performance.now();
    const primary = this.#targetOf(req.targets[0]!);
    if (req.key !== undefined && req.cacheMode === "use") {
      const key = req.key;
      let shared = this.#inflightStreams.get(key);
      if (!shared || shared.abandoned) {
        const created: SharedStream<StreamChunk> = new SharedStream(
          (signal) => this.#cachedOrUpstreamStream(req, signal),
          () => {
            if (this.#inflightStreams.get(key) === created) this.#inflightStreams.delete(key);
          },
          copyUsage,
        );
        this.#inflightStreams.set(key, created);
        shared = created;
      }
      const subscribed = shared.subscribe(req.signal);
      yield* this.#listening ? this.#observeStream(subscribed, primary, started) : subscribed;
      return;
    }
    const upstream = this.#streamUpstream(req, req.signal);
    yield* this.#listening ? this.#observeStream(upstream, primary, started) : upstream;
  }

  async #cachedOrUpstream(req: Prepared, signal: AbortSignal): Promise<UpstreamResult> {
    const hit = await this.#cacheGet(req.key!, false);
    if (!hit) return this.#generateUpstream(req, signal);
    const primary = req.targets[0]!;
    const response =
      hit.kind === "response"
        ? hit.response
        : assembleChunks(hit.chunks, primary.provider.name, primary.model);
    return { response, cached: true };
  }

  async *#cachedOrUpstreamStream(
    req: Prepared,
    signal: AbortSignal,
  ): AsyncGenerator<StreamChunk, void, undefined> {
    const hit = await this.#cacheGet(req.key!, true);
    if (!hit) {
      yield* this.#streamUpstream(req, signal);
      return;
    }
    for (const c of hit.kind === "stream" ? hit.chunks : responseToChunks(hit.response))
      yield { ...copyUsage(c), cached: true };
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
    const run = async () => {
      const user = this.#userTurn(message, options.images);
      const { images: _images, ...rest } = options;
      const response = await this.generate(this.#conversation(user), rest);
      this.#history.push(user, { role: "assistant", content: response.content });
      return response;
    };
    const next = this.#chatLock.then(run, run);
    this.#chatLock = next.catch(() => {});
    return next;
  }

  /**
   * Streams the answer to the next user turn. The turn enters the history when the stream
   * completes; a failed or abandoned stream leaves the history unchanged. Turns are queued: read
   * the stream to its end, or stop it with `break` / `return()`, before the next `chat` call runs
   * (an iterator that is neither finished nor closed holds the queue).
   */
  async *chatStream(
    message: string,
    options: Omit<GenerateOptions, "systemPrompt"> = {},
  ): AsyncGenerator<StreamChunk, void, undefined> {
    let release!: () => void;
    const prev = this.#chatLock;
    this.#chatLock = new Promise<void>((r) => {
      release = r;
    });
    try {
      await prev;
      const user = this.#userTurn(message, options.images);
      const { images: _images, ...rest } = options;
      let content = "";
      for await (const chunk of this.stream(this.#conversation(user), rest)) {
        content += chunk.content;
        yield chunk;
      }
      this.#history.push(user, { role: "assistant", content });
    } finally {
      release();
    }
  }

  /** The conversation so far: the system prompt (when set) and every completed turn, in order. */
  get history(): readonly Message[] {
    return this.#systemPrompt
      ? [{ role: "system", content: this.#systemPrompt }, ...this.#history]
      : [...this.#history];
  }

  /** Forgets every turn. The system prompt stays. */
  clearHistory(): void {
    this.#history = [];
  }

  /** Sets (or, with `undefined` or `""`, removes) the system prompt of the conversation. */
  setSystemPrompt(text: string | undefined): void {
    if (text !== undefined && typeof text !== "string") {
      throw new InvalidRequestError("setSystemPrompt expects a string.", {
        provider: "client",
        code: "invalid_input",
      });
    }
    this.#systemPrompt = text || undefined;
  }

  #userTurn(message: string, images: readonly ImageInput[] | undefined): Message {
    if (typeof message !== "string" || (message.trim() === "" && !images?.length)) {
      throw new InvalidRequestError("chat() needs a non-empty message string.", {
        provider: "client",
        code: "invalid_input",
      });
    }
    return images?.length
      ? { role: "user", content: message, images }
      : { role: "user", content: message };
  }

  #conversation(user: Message): Message[] {
    return [...this.history, user];
  }

  #prepare(input: string | readonly Message[], o: GenerateOptions): Prepared {
    validateParams(o);
    validateTimeout("timeoutMs", o.timeoutMs);
    validateTimeout("firstChunkTimeoutMs", o.firstChunkTimeoutMs);
    validateTimeout("idleTimeoutMs", o.idleTimeoutMs);
    validateTimeout("cacheTtlMs", o.cacheTtlMs, InvalidRequestError, false);
    validateProviderOptions(o.providerOptions);
    validateMaxResponseBytes(o.maxResponseBytes, InvalidRequestError);
    const messages = normalizeInput(input, o.systemPrompt, o.images);
    const model = o.model ?? this.#model;
    const targets: ResolvedTarget[] = [{ provider: this.#provider, model }, ...this.#fallbacks];
    const call = {
      ...(o.temperature !== undefined && { temperature: o.temperature }),
      ...(o.maxTokens !== undefined && { maxTokens: o.maxTokens }),
      ...(o.topP !== undefined && { topP: o.topP }),
      ...(o.stop !== undefined && { stop: o.stop }),
      ...(o.providerOptions !== undefined && { providerOptions: o.providerOptions }),
      maxResponseBytes:
        o.maxResponseBytes ?? this.#options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES,
    };
    const cacheMode =
      !this.#store || o.cache === false ? "off" : o.cache === "refresh" ? "refresh" : "use";
    const key =
      cacheMode === "off"
        ? undefined
        : cacheKey({
            provider: this.#provider.name,
            baseURL: this.#provider.baseURL,
            keyFingerprint: this.#provider.keyFingerprint,
            providerIdentity: this.#provider.cacheIdentity,
            model,
            ...(this.#fallbacks.length > 0 && { fallbacks: this.#fallbackKeys() }),
            messages,
            ...call,
          });
    return {
      messages,
      targets,
      call,
      signal: o.signal,
      cacheMode,
      key,
      ttlMs: o.cacheTtlMs ?? this.#options.cacheTtlMs,
      timeoutMs: o.timeoutMs ?? this.#options.timeoutMs,
      firstChunkTimeoutMs: o.firstChunkTimeoutMs ?? this.#options.firstChunkTimeoutMs,
      idleTimeoutMs: o.idleTimeoutMs ?? this.#options.idleTimeoutMs,
    };
  }

  #fallbackKeyTargets: CacheKeyTarget[] | undefined;
  /** The fallbacks as cache-key targets; computed once (they never change). */
  #fallbackKeys(): CacheKeyTarget[] {
    this.#fallbackKeyTargets ??= this.#fallbacks.map((f) => ({
      provider: f.provider.name,
      baseURL: f.provider.baseURL,
      keyFingerprint: f.provider.keyFingerprint,
      providerIdentity: f.provider.cacheIdentity,
      model: f.model,
    }));
    return this.#fallbackKeyTargets;
  }

  /** `true` when someone listens: events (and what they need) are only built then. */
  get #listening(): boolean {
    return this.#options.onEvent !== undefined;
  }

  #emit(event: RephyscoEvent): void {
    emit(this.#options.onEvent, event);
  }

  #targetOf(t: ResolvedTarget): Target {
    return { provider: t.provider.name, model: t.model };
  }

  #answered(r: CachedResponse): Target {
    return { provider: r.provider, model: r.model };
  }

  async #cacheGet(key: string, stream: boolean): Promise<CacheEntry | undefined> {
    const pending = this.#pendingWrites.get(key);
    if (pending) {
      this.#emit({ type: "cache_hit", key, stream });
      return pending;
    }
    let value: unknown;
    try {
      value = await this.#store!.get(key);
    } catch (error) {
      this.#emit({ type: "cache_error", operation: "get", key, error });
      this.#warnCache(error);
      return undefined;
    }
    if (value !== undefined && value !== null && !isCacheEntry(value)) {
      // Not ours or damaged: a miss, and make room for a good entry.
      this.#store!.delete(key).catch(() => {});
      value = undefined;
    }
    this.#emit({ type: value ? "cache_hit" : "cache_miss", key, stream });
    return (value as CacheEntry | undefined) ?? undefined;
  }

  /** Writes in the background: the answer goes back to the caller without waiting for the store. */
  #cacheSet(key: string, entry: CacheEntry, ttlMs: number | undefined): void {
    this.#pendingWrites.set(key, entry);
    let write: Promise<unknown>;
    try {
      write = this.#store!.set(key, entry, ttlMs);
    } catch (error) {
      write = Promise.reject(error);
    }
    const done = Promise.resolve(write)
      .catch((error: unknown) => {
        this.#emit({ type: "cache_error", operation: "set", key, error });
        this.#warnCache(error);
      })
      .finally(() => {
        if (this.#pendingWrites.get(key) === entry) this.#pendingWrites.delete(key);
        this.#writes.delete(done);
      });
    this.#writes.add(done);
  }

  #warnedCache = false;
  #warnCache(error: unknown): void {
    // Without a listener a failing cache would go unnoticed: warn once per client.
    if (this.#options.onEvent || this.#warnedCache) return;
    this.#warnedCache = true;
    process.emitWarning(
      `rephysco: the cache store failed, requests go upstream: ${String((error as Error)?.message ?? error)}`,
      "RephyscoWarning",
    );
  }

  #shouldFallback(error: unknown): boolean {
    if (isAbortError(error)) return false;
    return (this.#options.shouldFallback ?? defaultShouldFallback)(error);
  }

  #normalizeError(error: unknown, provider: BaseProvider): unknown {
    if (error instanceof RephyscoError || isAbortError(error)) return error;
    // A third-party provider let a raw error escape: classify it like every transport error.
    return toTransportError(error, {
      provider: provider.name,
      secrets: (provider as unknown as { secrets: readonly string[] }).secrets ?? [],
    });
  }

  async #generateUpstream(req: Prepared, signal: AbortSignal | undefined): Promise<UpstreamResult> {
    let lastError: unknown;
    for (let t = 0; t < req.targets.length; t++) {
      const target = req.targets[t]!;
      try {
        const r = await this.#generateWithRetries(req, target, signal);
        const response: CachedResponse = {
          content: r.content,
          ...(r.reasoning !== undefined && { reasoning: r.reasoning }),
          model: r.model,
          provider: r.provider ?? target.provider.name,
          ...(r.usage !== undefined && { usage: r.usage }),
          ...(r.finishReason !== undefined && { finishReason: r.finishReason }),
        };
        if (req.key !== undefined)
          this.#cacheSet(req.key, { v: 1, kind: "response", response }, req.ttlMs);
        return { response, raw: r.raw, cached: false };
      } catch (error) {
        lastError = error;
        const next = req.targets[t + 1];
        if (!next || !this.#shouldFallback(error)) throw error;
        this.#emit({
          type: "fallback",
          from: this.#targetOf(target),
          to: this.#targetOf(next),
          error,
          stream: false,
        });
      }
    }
    throw lastError;
  }

  async #generateWithRetries(
    req: Prepared,
    target: ResolvedTarget,
    signal: AbortSignal | undefined,
  ): Promise<ModelResponse> {
    let waited = 0;
    for (let attempt = 1; ; attempt++) {
      if (signal?.aborted) throw signal.reason;
      if (this.#listening)
        this.#emit({ type: "request", ...this.#targetOf(target), attempt, stream: false });
      const scope = attemptScope(signal, req.timeoutMs, false, target.provider.name);
      try {
        return await target.provider.generate(req.messages, {
          ...req.call,
          model: target.model,
          signal: scope.signal,
        });
      } catch (raw) {
        const error = this.#normalizeError(scope.translate(raw), target.provider);
        waited += await this.#beforeRetry(error, attempt, waited, target, signal, false);
      } finally {
        scope.dispose();
      }
    }
  }

  /** Throws `error` when it may not be retried; otherwise waits and returns the wait. */
  async #beforeRetry(
    error: unknown,
    attempt: number,
    waited: number,
    target: ResolvedTarget,
    signal: AbortSignal | undefined,
    stream: boolean,
  ): Promise<number> {
    if (isAbortError(error) || attempt > this.#retry.maxRetries || !isRetryableError(error))
      throw error;
    const delay = computeRetryDelay(attempt, error, this.#retry);
    if (delay === undefined || waited + delay > this.#retry.maxTotalDelayMs) throw error;
    this.#emit({
      type: "retry",
      ...this.#targetOf(target),
      attempt: attempt + 1,
      delayMs: delay,
      error,
      stream,
    });
    await sleep(delay, signal);
    return delay;
  }

  async *#streamUpstream(
    req: Prepared,
    signal: AbortSignal | undefined,
  ): AsyncGenerator<StreamChunk, void, undefined> {
    if (req.key === undefined && req.targets.length === 1) {
      // Nothing to store and nowhere to fall back: one generator layer less per chunk.
      yield* this.#streamWithRetries(req, req.targets[0]!, signal, { yielded: false });
      return;
    }
    const collect: StreamChunk[] | undefined = req.key !== undefined ? [] : undefined;
    for (let t = 0; t < req.targets.length; t++) {
      const target = req.targets[t]!;
      const progress = { yielded: false };
      try {
        for await (const chunk of this.#streamWithRetries(req, target, signal, progress)) {
          // Only the documented fields are stored, whatever else a provider put on its chunks.
          collect?.push({
            content: chunk.content,
            ...(chunk.reasoning && { reasoning: chunk.reasoning }),
            ...(chunk.model && { model: chunk.model }),
            ...(chunk.provider && { provider: chunk.provider }),
            ...(chunk.finishReason && { finishReason: chunk.finishReason }),
            // A copy: the caller may change the usage it was given; the stored one stays.
            ...(chunk.usage && { usage: { ...chunk.usage } }),
          });
          yield chunk;
        }
        if (collect && req.key !== undefined)
          this.#cacheSet(req.key, { v: 1, kind: "stream", chunks: collect }, req.ttlMs);
        return;
      } catch (error) {
        const next = req.targets[t + 1];
        if (progress.yielded || !next || !this.#shouldFallback(error)) throw error;
        this.#emit({
          type: "fallback",
          from: this.#targetOf(target),
          to: this.#targetOf(next),
          error,
          stream: true,
        });
      }
    }
  }

  async *#streamWithRetries(
    req: Prepared,
    target: ResolvedTarget,
    signal: AbortSignal | undefined,
    progress: { yielded: boolean },
  ): AsyncGenerator<StreamChunk, void, undefined> {
    let waited = 0;
    const name = target.provider.name;
    for (let attempt = 1; ; attempt++) {
      if (signal?.aborted) throw signal.reason;
      if (this.#listening)
        this.#emit({ type: "request", provider: name, model: target.model, attempt, stream: true });
      const scope = attemptScope(
        signal,
        req.timeoutMs,
        req.firstChunkTimeoutMs !== undefined || req.idleTimeoutMs !== undefined,
        name,
      );
      let content = "";
      let reasoning = "";
      let finished = false;
      let iterator: AsyncIterator<StreamChunk> | undefined;
      let done = false;
      try {
        iterator = target.provider
          .stream(req.messages, { ...req.call, model: target.model, signal: scope.signal })
          [Symbol.asyncIterator]();
        let waitingFirst = true;
        while (true) {
          const r = await scope.next(
            iterator,
            waitingFirst ? req.firstChunkTimeoutMs : req.idleTimeoutMs,
            waitingFirst ? "first chunk" : "chunk",
          );
          if (r.done) {
            done = true;
            break;
          }
          const c = r.value;
          if (!c.content && !c.reasoning && !c.finishReason && !c.usage) continue;
          if (c.content || c.reasoning || c.finishReason) waitingFirst = false;
          content += c.content;
          if (c.reasoning) reasoning += c.reasoning;
          if (c.finishReason) finished = true;
          progress.yielded = true;
          yield c.finishReason && !c.provider ? { ...c, provider: name } : c;
        }
        if (!finished) {
          throw new ServiceUnavailableError(
            `${name}: the stream ended without a finish reason (the answer may be cut short).`,
            {
              provider: name,
              code: "incomplete_stream",
            },
          );
        }
        return;
      } catch (raw) {
        const error = this.#normalizeError(scope.translate(raw), target.provider);
        // The answer was complete; only the tail (usage, end marker) was slow: not a failure.
        if (finished && error instanceof TimeoutError) return;
        if (progress.yielded) {
          if (error instanceof RephyscoError && error.partialContent === undefined) {
            Object.assign(error, {
              partialContent: content,
              ...(reasoning && { partialReasoning: reasoning }),
            });
          }
          throw error;
        }
        waited += await this.#beforeRetry(error, attempt, waited, target, signal, true);
      } finally {
        scope.dispose();
        // Close the provider's stream (and its socket) when we stop early.
        if (iterator && !done) await iterator.return?.().catch(() => {});
      }
    }
  }

  #emitFinish(r: CachedResponse, stream: boolean, cached: boolean, started: number): void {
    this.#emit({
      type: "finish",
      ...this.#answered(r),
      stream,
      cached,
      durationMs: performance.now() - started,
      ...(r.usage && { usage: r.usage }),
      ...(r.finishReason && { finishReason: r.finishReason }),
    });
  }

  async #observe(
    p: Promise<UpstreamResult>,
    primary: Target,
    started: number,
  ): Promise<UpstreamResult> {
    try {
      const result = await p;
      this.#emitFinish(result.response, false, result.cached, started);
      return result;
    } catch (error) {
      this.#emit({
        type: "error",
        ...primary,
        stream: false,
        durationMs: performance.now() - started,
        error,
      });
      throw error;
    }
  }

  async *#observeStream(
    source: AsyncIterable<StreamChunk>,
    primary: Target,
    started: number,
  ): AsyncGenerator<StreamChunk, void, undefined> {
    const ends: StreamChunk[] = [];
    let cached = false;
    try {
      for await (const c of source) {
        if (c.finishReason || c.usage) ends.push(c);
        if (c.cached) cached = true;
        yield c;
      }
    } catch (error) {
      this.#emit({
        type: "error",
        ...primary,
        stream: true,
        durationMs: performance.now() - started,
        error,
      });
      throw error;
    }
    this.#emitFinish(assembleChunks(ends, primary.provider, primary.model), true, cached, started);
  }
}
