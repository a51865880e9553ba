/**
 * The shapes the client's stages share. A call runs through a composition of stages, each one
 * `(next) => (request) => parts`; see docs/architecture.md for the picture.
 */
import type { Provider } from "../provider.js";
import type { StreamPart } from "../stream-part.js";
import type { Message, ModelResponse, ResponseFormat, ToolChoice, ToolSpec } from "../types.js";

/** Whether a call returns one answer (`generate`) or streams it. */
export type CallMode = "generate" | "stream";

/**
 * The parameters of one call, as middleware sees them and may replace them. At call level
 * `model` is the model asked first; at attempt level it is the model of the provider being tried.
 */
export interface CallParams {
  /** `generate` or `stream`. */
  readonly mode: CallMode;
  /** The conversation sent, system prompt first. */
  readonly messages: readonly Message[];
  /** The model id. */
  readonly model: string;
  /** Sampling temperature. */
  readonly temperature?: number;
  /** Upper bound on answer tokens. */
  readonly maxTokens?: number;
  /** Nucleus sampling. */
  readonly topP?: number;
  /** Stop sequences. */
  readonly stop?: readonly string[];
  /** Provider-specific parameters, passed through. */
  readonly providerOptions?: Readonly<Record<string, unknown>>;
  /** Most bytes of a non-streamed answer. */
  readonly maxResponseBytes: number;
  /** Tools the model may call, as JSON Schemas (the call's tools, converted). */
  readonly tools?: readonly ToolSpec[];
  /** Whether and which tools to call. */
  readonly toolChoice?: ToolChoice;
  /** Ask for a JSON answer. */
  readonly responseFormat?: ResponseFormat;
  /** The caller's signal (pass it to anything you start). */
  readonly signal?: AbortSignal;
  /**
   * Labels of the call (the client's `tags` then the call's): budgets and limits can count per
   * tag. Never sent to the provider and not part of the cache key.
   */
  readonly tags?: readonly string[];
}

/** A provider with the model it is asked for. */
export interface ResolvedTarget {
  readonly provider: Provider;
  readonly model: string;
}

/** The whole answer of a `generate` call, inside the pipeline. */
export interface ResponsePart {
  readonly type: "response";
  readonly response: ModelResponse;
}

/** What flows between stages: stream parts for streams, one response part for `generate`. */
export type PipelinePart = StreamPart | ResponsePart;

/**
 * What a call learned on its way down, read by the stages above and the edge: whether the cache
 * answered, and who answered. One per call; coalesced callers copy the shared call's.
 */
export interface Trace {
  cached: boolean;
  /** `true` for a caller that joined an identical call in flight (it spent nothing itself). */
  shared?: boolean;
  provider: string | undefined;
  model: string | undefined;
}

/** One call as it travels down the stages. Stages pass a changed copy, never mutate it. */
export interface PipelineRequest {
  readonly params: CallParams;
  /** The caller's signal (also `params.signal`). */
  readonly signal: AbortSignal | undefined;
  readonly cacheMode: "off" | "use" | "refresh";
  readonly ttlMs: number | undefined;
  readonly timeoutMs: number | undefined;
  readonly firstChunkTimeoutMs: number | undefined;
  readonly idleTimeoutMs: number | undefined;
  /** The cache key, set by the prepare stage when a cache is in use. */
  readonly key?: string;
  /** The provider being tried, set by the fallback stage (the primary when absent). */
  readonly target?: ResolvedTarget;
  /** Index of `target`: 0 for the primary, 1 for the first fallback, ... */
  readonly targetIndex?: number;
  /** 1 for the first try of a target, then 2, 3, ... (set by the retry stage). */
  readonly attempt?: number;
  readonly trace: Trace;
}

/** A composed pipeline from some stage down. */
export type Next = (request: PipelineRequest) => AsyncIterable<PipelinePart>;

/** One stage: given what comes after it, what to run. Returning `next(request)` adds no layer. */
export type Stage = (next: Next) => Next;

/** Composes stages, outermost first, around the innermost `last`. */
export function compose(stages: readonly Stage[], last: Next): Next {
  let next = last;
  for (let i = stages.length - 1; i >= 0; i--) next = stages[i]!(next);
  return next;
}

/** An iterator as an iterable, so that `yield*` can hand the rest of it on. */
export function rest<T>(iterator: AsyncIterator<T>): AsyncIterable<T> {
  return { [Symbol.asyncIterator]: () => iterator };
}

/**
 * The answer of a `generate` as pipeline parts without a generator: one response part, its work
 * started when first read. Stages that only hand a `generate` on (attempt, middleware) return
 * it, and `answerOf` / the edge read `.response` directly, so a call through them costs no
 * generator machinery. Iterating it works like any one-part stream.
 */
export class ResponseParts implements AsyncIterable<PipelinePart>, AsyncIterator<PipelinePart> {
  #start: (() => Promise<ModelResponse>) | undefined;
  #promise: Promise<ModelResponse> | undefined;
  #done = false;

  constructor(start: () => Promise<ModelResponse>) {
    this.#start = start;
  }

  /** The answer (starts the work on first access). */
  get response(): Promise<ModelResponse> {
    if (this.#promise === undefined) {
      const start = this.#start!;
      this.#start = undefined;
      try {
        this.#promise = start();
      } catch (error) {
        this.#promise = Promise.reject(error);
      }
    }
    return this.#promise;
  }

  [Symbol.asyncIterator](): AsyncIterator<PipelinePart> {
    return this;
  }

  async next(): Promise<IteratorResult<PipelinePart>> {
    if (this.#done) return { done: true, value: undefined };
    this.#done = true;
    return { done: false, value: { type: "response", response: await this.response } };
  }

  async return(): Promise<IteratorResult<PipelinePart>> {
    this.#done = true;
    return { done: true, value: undefined };
  }
}

/** The answer of a `generate` pipeline: directly from {@link ResponseParts}, else by reading the parts. */
export async function answerOf(parts: AsyncIterable<PipelinePart>): Promise<ModelResponse> {
  if (parts instanceof ResponseParts) return parts.response;
  let response: ModelResponse | undefined;
  for await (const part of parts) if (part.type === "response") response = part.response;
  if (!response) throw new TypeError("rephysco: the pipeline ended without an answer");
  return response;
}
