import type { StreamPart } from "../stream-part.js";
import type { ModelPrice, ModelResponse } from "../types.js";
import type { CallInfo, CallObserver } from "./call-observer.js";
import { type EventListener, emit, type RephyscoEvent } from "./events.js";
import {
  answerOf,
  type CallParams,
  type PipelineRequest,
  ResponseParts,
  type Stage,
} from "./pipeline.js";
import { accountOf, type Pricing } from "./pricing.js";
import type { Targets } from "./targets.js";

export type { CallMode, CallParams } from "./pipeline.js";

/** The provider, model and try number an attempt-level middleware runs for. */
export interface AttemptInfo {
  /** Registry id of the provider being tried. */
  readonly provider: string;
  /** Model asked of it. */
  readonly model: string;
  /** 1 for the first try of this provider, then 2, 3, ... */
  readonly attempt: number;
  /** 0 for the provider asked first, 1 for the first fallback, ... */
  readonly targetIndex: number;
  /**
   * Whose quota this attempt spends: a short hash of the provider, its base URL and its
   * credentials' fingerprint (never the key). Two clients with the same key share it.
   */
  readonly account: string;
  /** The model's price (the client's `prices` over the provider's table), when known. */
  readonly price?: ModelPrice;
  /**
   * The attempt's timeout in ms (its timer starts below the middleware): a middleware that
   * waits before calling on (a rate limiter) should not wait longer.
   */
  readonly timeoutMs?: number;
}

/** What `wrapGenerate` receives. */
export interface WrapGenerateOptions {
  /** Runs the rest of the pipeline; pass changed params to change what is keyed and sent. */
  readonly doGenerate: (params?: CallParams) => Promise<ModelResponse>;
  /** The call's parameters. */
  readonly params: CallParams;
  /** Set for attempt-level middleware: which provider, model and try this is. */
  readonly attempt?: AttemptInfo;
  /** Reports an event to the client's `onEvent` listener (does nothing without one). */
  readonly emit: (event: RephyscoEvent) => void;
}

/** What `wrapStream` receives. */
export interface WrapStreamOptions {
  /** Runs the rest of the pipeline; pass changed params to change what is keyed and sent. */
  readonly doStream: (params?: CallParams) => AsyncIterable<StreamPart>;
  /** The call's parameters. */
  readonly params: CallParams;
  /** Set for attempt-level middleware: which provider, model and try this is. */
  readonly attempt?: AttemptInfo;
  /** Reports an event to the client's `onEvent` listener (does nothing without one). */
  readonly emit: (event: RephyscoEvent) => void;
}

/**
 * Code that runs around every call (`level: "call"`, the default) or around every attempt of
 * every provider (`level: "attempt"`, inside fallback and retry), with the shape the built-in
 * stages use. Leave out what you do not need: a middleware without `wrapStream` lets streams pass.
 *
 * - Call level runs first, before the cache key is computed: a redactor that changes the
 *   messages changes what is keyed and what is sent; a middleware may answer without calling
 *   `doGenerate` at all (its own cache, a guardrail's refusal).
 * - Attempt level runs once per try and learns the provider, model and try number: the place for
 *   telemetry, rate limits and budgets.
 * - Several middleware compose in order: the first in the list is the outermost.
 * - What a middleware throws reaches the caller as thrown (at attempt level, the retry and
 *   fallback policies see it first).
 *
 * @example
 * ```ts
 * const maskEmails: Middleware = {
 *   wrapGenerate: ({ doGenerate, params }) => doGenerate(mask(params)),
 *   wrapStream: ({ doStream, params }) => doStream(mask(params)),
 * };
 * new LLMClient({ provider: "openai", middleware: [maskEmails] });
 * ```
 */
export interface Middleware {
  /** `"call"` (default): around the whole call. `"attempt"`: around each try of each provider. */
  readonly level?: "call" | "attempt";
  /** Wraps a `generate` (and `chat`) call or attempt. */
  wrapGenerate?(options: WrapGenerateOptions): Promise<ModelResponse>;
  /** Wraps a `stream` (and `chatStream`) call or attempt. */
  wrapStream?(options: WrapStreamOptions): AsyncIterable<StreamPart>;
  /**
   * Sees every event of the client (the same as `onEvent`), synchronously, in the async context
   * where it happened: inside the {@link CallObserver.run} of the call it belongs to. Exceptions
   * are reported as process warnings, never to the caller.
   */
  onEvent?(event: RephyscoEvent): void;
  /**
   * Observes each whole public call (`generate`, `stream`, `chat`, `chatStream`,
   * `generateObject`, `streamObject`), tool loop included, whatever the middleware's `level`:
   * return a {@link CallObserver} to run the call in your context (a tracer's span) and hear
   * how it ended, or `undefined` to skip this call. Absent from every middleware: calls pay
   * nothing for it.
   */
  observeCall?(call: CallInfo): CallObserver | undefined;
}

/** What the middleware stages need from their client. */
export interface MiddlewareContext {
  readonly listener: EventListener | undefined;
  readonly pricing: Pricing;
  readonly targets: Targets;
}

function attemptInfo(req: PipelineRequest, ctx: MiddlewareContext): AttemptInfo {
  const provider = (req.target ?? ctx.targets.primary).provider;
  const price = ctx.pricing.priceOf(provider, req.params.model);
  return {
    provider: provider.name,
    model: req.params.model,
    attempt: req.attempt ?? 1,
    targetIndex: req.targetIndex ?? 0,
    account: accountOf(provider),
    ...(price && { price }),
    ...(req.timeoutMs !== undefined && { timeoutMs: req.timeoutMs }),
  };
}

/** A user middleware as a pipeline stage. */
export function middlewareStage(middleware: Middleware, ctx: MiddlewareContext): Stage {
  const atAttempt = middleware.level === "attempt";
  const { listener } = ctx;
  const report = (event: RephyscoEvent) => emit(listener, event);
  return (next) => (req) => {
    const withParams = (params?: CallParams) =>
      next(params === undefined || params === req.params ? req : { ...req, params });
    if (req.params.mode === "generate") {
      if (!middleware.wrapGenerate) return next(req);
      return new ResponseParts(() =>
        middleware.wrapGenerate!({
          doGenerate: (params) => answerOf(withParams(params)),
          params: req.params,
          emit: report,
          ...(atAttempt && { attempt: attemptInfo(req, ctx) }),
        }),
      );
    }
    if (!middleware.wrapStream) return next(req);
    return middleware.wrapStream({
      // A stream's pipeline carries stream parts only (response parts are `generate`'s), so
      // the parts are handed over as they are: no filtering layer per part.
      doStream: (params) => withParams(params) as AsyncIterable<StreamPart>,
      params: req.params,
      emit: report,
      ...(atAttempt && { attempt: attemptInfo(req, ctx) }),
    });
  };
}
