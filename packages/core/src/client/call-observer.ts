import type { Cost, FinishReason, ModelResponse, StreamChunk, Usage } from "../types.js";
import type { ObjectStreamItem } from "./objects.js";
import type { CallParams } from "./pipeline.js";

/** Which public method a call came through (`chat` and `chatStream` are `generate` and `stream`). */
export type CallOperation = "generate" | "stream" | "generateObject" | "streamObject";

/** What an observer learns when a call starts. */
export interface CallInfo {
  /** The public method. */
  readonly operation: CallOperation;
  /** The provider asked first (its registry id). */
  readonly provider: string;
  /** The parameters of the call's first model call (messages, model, tags, ...). */
  readonly params: CallParams;
  /** `true` when the call runs a tool loop (`maxSteps` or `stopWhen`): several model calls. */
  readonly toolLoop: boolean;
}

/** How a call ended, as an observer is told. */
export type CallOutcome =
  | {
      /** The call succeeded. */
      readonly status: "ok";
      /** Who answered. */
      readonly provider: string;
      /** The model that answered. */
      readonly model: string;
      /** Token counts (a tool loop's summed), when known. */
      readonly usage?: Usage;
      /** The cost (a tool loop's summed), when known. */
      readonly cost?: Cost;
      /** Why the model stopped. */
      readonly finishReason?: FinishReason;
      /** `true` when the answer came from the cache. */
      readonly cached: boolean;
      /** `true` when the call joined an identical call in flight (it spent nothing). */
      readonly shared: boolean;
      /** The answer text and refusal (for observers that record content, when asked to). */
      readonly content: string;
    }
  | {
      /** The call failed; `error` is what the caller received. */
      readonly status: "error";
      readonly error: unknown;
    }
  | {
      /** The caller stopped reading a stream before its end (`break`, `return()`). */
      readonly status: "abandoned";
    };

/**
 * What a middleware's `observeCall` returns for one call: the means to run the call's work in
 * the observer's context (a tracer makes its span active there, so that everything below,
 * events and HTTP requests included, nests under it), and to hear how it ended.
 */
export interface CallObserver {
  /**
   * Runs part of the call: the whole of a `generate`, and each pull of a stream. Must call `fn`
   * once and return what it returns.
   */
  run<T>(fn: () => T): T;
  /** A stream's first chunk with content arrived (for time-to-first-chunk). */
  firstChunk?(): void;
  /** The call ended. Called once. */
  end(outcome: CallOutcome): void;
}

/** Composes several observers: the first in the list runs outermost. */
export function runObserved<T>(observers: readonly CallObserver[], fn: () => T): T {
  if (observers.length === 1) return observers[0]!.run(fn);
  let run = fn;
  for (let i = observers.length - 1; i >= 0; i--) {
    const inner = run;
    const o = observers[i]!;
    run = () => o.run(inner);
  }
  return run();
}

function endAll(observers: readonly CallObserver[], outcome: CallOutcome): void {
  for (const o of observers) {
    try {
      o.end(outcome);
    } catch (error) {
      process.emitWarning(
        `rephysco: a call observer threw on end: ${String(error)}`,
        "RephyscoWarning",
      );
    }
  }
}

/** The outcome of a successful `generate`-like call. */
export function responseOutcome(r: ModelResponse): CallOutcome {
  return {
    status: "ok",
    provider: r.provider,
    model: r.model,
    ...(r.usage && { usage: r.usage }),
    ...(r.cost && { cost: r.cost }),
    ...(r.finishReason && { finishReason: r.finishReason }),
    cached: r.cached,
    shared: r.cost?.source === "shared",
    content: r.refusal ?? r.content,
  };
}

/** A promise observed: run in the observers' context, its end reported. */
export function observePromise<R>(
  observers: readonly CallObserver[],
  start: () => Promise<R>,
  outcome: (value: R) => CallOutcome,
): Promise<R> {
  let promise: Promise<R>;
  try {
    promise = runObserved(observers, start);
  } catch (error) {
    endAll(observers, { status: "error", error });
    throw error;
  }
  return promise.then(
    (value) => {
      endAll(observers, outcome(value));
      return value;
    },
    (error: unknown) => {
      endAll(observers, { status: "error", error });
      throw error;
    },
  );
}

/** What a stream's chunks add up to, for its outcome. */
export interface StreamTally<T> {
  /** Looks at one item; returns `true` when it carried content (the first such is the first chunk). */
  push(item: T): boolean;
  /** The outcome once the stream ended. */
  outcome(): CallOutcome;
}

/** The tally of a chunk stream. */
export function chunkTally(provider: string, model: string): StreamTally<StreamChunk> {
  let content = "";
  let last: StreamChunk | undefined;
  let usage: Usage | undefined;
  let cost: Cost | undefined;
  return {
    push(c) {
      if (c.provider) provider = c.provider;
      if (c.model) model = c.model;
      if (c.usage) usage = c.usage;
      if (c.cost) cost = c.cost;
      last = c;
      const text = c.content || c.refusal;
      if (text) content += text;
      return Boolean(text || c.reasoning || c.toolCallDelta);
    },
    outcome() {
      return {
        status: "ok",
        provider,
        model,
        ...(usage && { usage }),
        ...(cost && { cost }),
        ...(last?.finishReason && { finishReason: last.finishReason }),
        cached: last?.cached === true,
        shared: cost?.source === "shared",
        content,
      };
    },
  };
}

/** What an observed stream needs, made when its iteration starts (input is checked then). */
export interface ObservedStreamStart<T> {
  /** The observers of the call; `undefined` when none observes it. */
  readonly observers: readonly CallObserver[] | undefined;
  /** The stream itself. */
  readonly source: AsyncGenerator<T, void, undefined>;
  /** What its items add up to. */
  readonly tally: () => StreamTally<T>;
}

/**
 * A stream observed: `start` runs at the first pull; each pull then runs in the observers'
 * context; the first chunk with content and the end (done, failed, or abandoned by the consumer)
 * are reported. An iterator object, not a generator: one cheap step per pull.
 */
export function observeStream<T>(
  start: () => ObservedStreamStart<T>,
): AsyncGenerator<T, void, undefined> {
  return new ObservedStream(start);
}

class ObservedStream<T> implements AsyncGenerator<T, void, undefined> {
  #start: (() => ObservedStreamStart<T>) | undefined;
  #source: AsyncGenerator<T, void, undefined> | undefined;
  #observers: readonly CallObserver[] | undefined;
  #tally: StreamTally<T> | undefined;
  #first = true;
  #ended = false;
  readonly #pull = () => this.#source!.next();

  constructor(start: () => ObservedStreamStart<T>) {
    this.#start = start;
  }

  [Symbol.asyncIterator](): AsyncGenerator<T, void, undefined> {
    return this;
  }

  async next(): Promise<IteratorResult<T, void>> {
    if (this.#ended) return { done: true, value: undefined };
    if (this.#start) {
      const start = this.#start;
      this.#start = undefined;
      try {
        const s = start();
        this.#source = s.source;
        this.#observers = s.observers;
        if (s.observers) this.#tally = s.tally();
      } catch (error) {
        this.#ended = true;
        throw error;
      }
    }
    const observers = this.#observers;
    if (!observers) return this.#source!.next();
    let r: IteratorResult<T, void>;
    try {
      r = await runObserved(observers, this.#pull);
    } catch (error) {
      // Stopped meanwhile (`return()` while this pull was pending): already reported.
      if (!this.#ended) {
        this.#ended = true;
        endAll(observers, { status: "error", error });
      }
      throw error;
    }
    if (this.#ended) return r;
    if (r.done) {
      this.#ended = true;
      endAll(observers, this.#tally!.outcome());
      return r;
    }
    if (this.#tally!.push(r.value) && this.#first) {
      this.#first = false;
      for (const o of observers) o.firstChunk?.();
    }
    return r;
  }

  async return(): Promise<IteratorResult<T, void>> {
    if (this.#ended || !this.#source) {
      this.#ended = true;
      this.#start = undefined;
      return { done: true, value: undefined };
    }
    this.#ended = true;
    const observers = this.#observers;
    if (!observers) {
      await this.#source.return(undefined);
      return { done: true, value: undefined };
    }
    endAll(observers, { status: "abandoned" });
    await runObserved(observers, () => this.#source!.return(undefined)).catch(() => {});
    return { done: true, value: undefined };
  }

  async throw(error: unknown): Promise<IteratorResult<T, void>> {
    await this.return();
    throw error;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.return();
  }
}

/** The tally of an object stream (`streamObject`). */
export function objectTally<T>(provider: string, model: string): StreamTally<ObjectStreamItem<T>> {
  let done: Extract<ObjectStreamItem<T>, { done: true }> | undefined;
  return {
    push(item) {
      if (item.done) {
        done = item;
        return false;
      }
      return item.textDelta !== "";
    },
    outcome() {
      if (!done)
        return { status: "ok", provider, model, cached: false, shared: false, content: "" };
      return {
        status: "ok",
        provider: done.provider,
        model: done.model,
        ...(done.usage && { usage: done.usage }),
        ...(done.cost && { cost: done.cost }),
        ...(done.finishReason && { finishReason: done.finishReason }),
        cached: done.cached,
        shared: done.cost?.source === "shared",
        content: done.text,
      };
    },
  };
}
