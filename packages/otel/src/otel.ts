import {
  type Attributes,
  type Context,
  context,
  createContextKey,
  type Histogram,
  type MeterProvider,
  metrics,
  type Span,
  SpanKind,
  SpanStatusCode,
  type Tracer,
  type TracerProvider,
  trace,
} from "@opentelemetry/api";
import type {
  AttemptInfo,
  CallInfo,
  CallObserver,
  CallOutcome,
  CallParams,
  Message,
  Middleware,
  ModelResponse,
  RephyscoEvent,
  StreamPart,
  Usage,
} from "@rephysco/core";
import { addUsage } from "@rephysco/core/http";
// Attribute names are written out (not the constants of ./attributes.js) on the hot path: object
// literals with computed keys are several times slower to build. Tests check the names.
import {
  errorType,
  genAiProviderName,
  METRIC_GEN_AI_CLIENT_OPERATION_DURATION,
  METRIC_GEN_AI_CLIENT_OPERATION_TIME_TO_FIRST_CHUNK,
  METRIC_GEN_AI_CLIENT_TOKEN_USAGE,
  shortMessage,
} from "./attributes.js";
import { inputMessages, outputMessages } from "./content.js";

/** Settings of {@link otel}. Every field is optional. */
export interface OtelOptions {
  /** Where spans go. Default: the global tracer provider (`trace` of `@opentelemetry/api`). */
  readonly tracerProvider?: TracerProvider;
  /**
   * Where metrics go. Default: the global meter provider (`metrics` of `@opentelemetry/api`),
   * looked up at each call so that one registered after `otel()` is used.
   */
  readonly meterProvider?: MeterProvider;
  /**
   * Record prompt and answer content (`gen_ai.input.messages`, `gen_ai.output.messages`) and
   * tool arguments and results (`gen_ai.tool.call.arguments` / `.result`). Default `false`:
   * content may hold personal data. API keys are never recorded either way.
   */
  readonly captureContent?: boolean;
  /** The tracer's and meter's name. Default `"@rephysco/otel"`. */
  readonly tracerName?: string;
}

const OPERATION = "chat";

// The conventions' advised bucket boundaries.
const DURATION_BUCKETS = [
  0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92,
];
const TOKEN_BUCKETS = [
  1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864,
];

/** The three histograms, made again when the global meter provider changes. */
class Instruments {
  readonly duration: Histogram;
  readonly tokens: Histogram;
  readonly firstChunk: Histogram;
  constructor(
    readonly provider: MeterProvider,
    name: string,
  ) {
    const meter = provider.getMeter(name);
    this.duration = meter.createHistogram(METRIC_GEN_AI_CLIENT_OPERATION_DURATION, {
      description: "GenAI operation duration.",
      unit: "s",
      advice: { explicitBucketBoundaries: DURATION_BUCKETS },
    });
    this.tokens = meter.createHistogram(METRIC_GEN_AI_CLIENT_TOKEN_USAGE, {
      description: "Number of input and output tokens used.",
      unit: "{token}",
      advice: { explicitBucketBoundaries: TOKEN_BUCKETS },
    });
    this.firstChunk = meter.createHistogram(METRIC_GEN_AI_CLIENT_OPERATION_TIME_TO_FIRST_CHUNK, {
      description: "Time to receive the first chunk of a streamed answer.",
      unit: "s",
      advice: { explicitBucketBoundaries: DURATION_BUCKETS },
    });
  }
}

/** How many otel() instances were made: each has its own context key. */
let instances = 0;

/** What the middlewares share. */
class Telemetry {
  readonly tracer: Tracer;
  readonly capture: boolean;
  /**
   * The call's state, in the contexts this instance makes active for it: one key per instance
   * (`createContextKey` is `Symbol.for`, so the description must differ too).
   */
  readonly key = createContextKey(`@rephysco/otel call ${++instances}`);
  readonly #name: string;
  readonly #meterProvider: MeterProvider | undefined;
  #instruments: Instruments | undefined;

  constructor(options: OtelOptions) {
    this.#name = options.tracerName ?? "@rephysco/otel";
    this.tracer = (options.tracerProvider ?? trace.getTracerProvider()).getTracer(this.#name);
    this.capture = options.captureContent === true;
    this.#meterProvider = options.meterProvider;
  }

  instruments(): Instruments {
    const provider = this.#meterProvider ?? metrics.getMeterProvider();
    const current = this.#instruments;
    if (current?.provider === provider) return current;
    const made = new Instruments(provider, this.#name);
    this.#instruments = made;
    return made;
  }
}

/** A tool run heard while content is captured: its span waits for the next step's messages. */
interface PendingTool {
  readonly event: Extract<RephyscoEvent, { type: "tool_result" }>;
  readonly end: number;
  readonly parent: Context;
}

/** One observed call: its span, its context, and the observer core calls. */
class CallState implements CallObserver {
  readonly span: Span;
  readonly recording: boolean;
  readonly ctx: Context;
  readonly #start = performance.now();
  #firstChunk = -1;
  #step = 0;
  /** The open step span of a tool loop. */
  #stepSpan: Span | undefined;
  /** The context `observeCall` ran in: `run` from there (the usual case) enters `ctx` as it is. */
  readonly #parent: Context;
  #pending: PendingTool[] | undefined;
  /** A tool loop's steps heard (`step` events), those the cache answered, those shared. */
  #steps = 0;
  #cachedSteps = 0;
  #sharedSteps = 0;
  /** A tool loop's token counts, summed over the steps that spent them. */
  #spent: Usage | undefined;
  /** With content captured, a streamed tool loop's text of its latest model call. */
  stepText: string | undefined;
  /** Step and attempt streams not ended yet (ended as abandoned with the call). */
  open: Set<SpanStream> | undefined;

  constructor(
    readonly t: Telemetry,
    readonly info: CallInfo,
  ) {
    const parent = context.active();
    this.#parent = parent;
    const params = info.params;
    const provider = genAiProviderName(info.provider);
    this.span = t.tracer.startSpan(
      `${OPERATION} ${params.model}`,
      {
        kind: SpanKind.CLIENT,
        attributes: {
          "gen_ai.operation.name": OPERATION,
          "gen_ai.provider.name": provider,
          "gen_ai.request.model": params.model,
        },
      },
      parent,
    );
    this.recording = this.span.isRecording();
    if (this.recording) this.span.setAttributes(requestAttributes(info, t.capture));
    this.ctx = trace.setSpan(parent, this.span).setValue(t.key, this);
  }

  run<T>(fn: () => T): T {
    const active = context.active();
    if (active === this.#parent) return context.with(this.ctx, fn);
    // Run inside another observer's context (a second otel() on the client): keep its values
    // (its call key), with this call's span and key on top.
    return context.with(trace.setSpan(active, this.span).setValue(this.t.key, this), fn);
  }

  firstChunk(): void {
    if (this.#firstChunk < 0) this.#firstChunk = performance.now();
  }

  end(outcome: CallOutcome): void {
    const seconds = (performance.now() - this.#start) / 1000;
    if (this.#pending) this.flushTools(undefined);
    // A stream left after its first part is not always returned down to the attempt: end its
    // spans with the call rather than never.
    if (this.open) for (const stream of this.open) stream.abandon();
    if (this.#stepSpan) {
      const status = outcome.status === "ok" ? "ok" : outcome.status;
      endStep(
        this.#stepSpan,
        status,
        outcome.status === "error" ? outcome.error : undefined,
        undefined,
      );
      this.#stepSpan = undefined;
    }
    const span = this.span;
    const recording = this.recording;
    const ttfc = this.#firstChunk < 0 ? -1 : (this.#firstChunk - this.#start) / 1000;
    // The provider asked (the call span's request attributes); who answered is a response attribute.
    const provider = this.info.provider;
    const loop = this.info.toolLoop;
    let responseModel: string | undefined;
    let failure: string | undefined;
    // A cache hit or a shared call spent no tokens: its usage would be counted twice. A tool
    // loop's outcome sums every step's usage, cached ones included, and its `cached` and
    // `shared` describe the last step only: its spent tokens are summed from the steps instead.
    let usage: Usage | undefined;
    if (outcome.status === "ok") {
      responseModel = outcome.model;
      usage = loop ? this.#spent : outcome.cached || outcome.shared ? undefined : outcome.usage;
      const steps = this.#steps;
      const cached = loop ? steps > 0 && this.#cachedSteps === steps : outcome.cached;
      const shared = loop ? steps > 0 && this.#sharedSteps === steps : outcome.shared;
      if (recording) {
        const attributes: Attributes = {
          "gen_ai.response.model": outcome.model,
          "rephysco.response.provider": genAiProviderName(outcome.provider),
        };
        if (outcome.finishReason)
          attributes["gen_ai.response.finish_reasons"] = [outcome.finishReason];
        if (usage) {
          attributes["gen_ai.usage.input_tokens"] = usage.promptTokens;
          attributes["gen_ai.usage.output_tokens"] = usage.completionTokens;
          if (usage.cachedPromptTokens !== undefined)
            attributes["gen_ai.usage.cache_read.input_tokens"] = usage.cachedPromptTokens;
          if (usage.cacheWriteTokens !== undefined)
            attributes["gen_ai.usage.cache_creation.input_tokens"] = usage.cacheWriteTokens;
          if (usage.reasoningTokens !== undefined)
            attributes["gen_ai.usage.reasoning.output_tokens"] = usage.reasoningTokens;
        }
        if (outcome.cost) attributes["rephysco.cost.usd"] = outcome.cost.total;
        if (cached) attributes["rephysco.cache.hit"] = true;
        if (shared) attributes["rephysco.cache.shared"] = true;
        if (this.t.capture)
          attributes["gen_ai.output.messages"] = outputMessages(
            // A streamed tool loop's content is every step's text: keep the last step's, as
            // `generate` does.
            this.stepText ?? outcome.content,
            outcome.finishReason,
          );
        span.setAttributes(attributes);
      }
    } else if (outcome.status === "error") {
      failure = errorType(outcome.error);
      if (recording) {
        span.setAttribute("error.type", failure);
        span.setStatus({ code: SpanStatusCode.ERROR, message: shortMessage(outcome.error) ?? "" });
      }
    } else if (recording) {
      span.setAttribute("rephysco.stream.abandoned", true);
    }
    if (recording && ttfc >= 0) span.setAttribute("gen_ai.response.time_to_first_chunk", ttfc);
    span.end();

    // Literal objects only: spreading one with these keys costs over a microsecond.
    const m = this.t.instruments();
    const name = genAiProviderName(provider);
    const asked = this.info.params.model;
    let attributes: Attributes;
    if (responseModel !== undefined) {
      attributes = {
        "gen_ai.operation.name": OPERATION,
        "gen_ai.provider.name": name,
        "gen_ai.request.model": asked,
        "gen_ai.response.model": responseModel,
      };
    } else if (failure !== undefined) {
      attributes = {
        "gen_ai.operation.name": OPERATION,
        "gen_ai.provider.name": name,
        "gen_ai.request.model": asked,
        "error.type": failure,
      };
    } else {
      attributes = {
        "gen_ai.operation.name": OPERATION,
        "gen_ai.provider.name": name,
        "gen_ai.request.model": asked,
      };
    }
    m.duration.record(seconds, attributes);
    if (ttfc >= 0) m.firstChunk.record(ttfc, attributes);
    if (usage && responseModel !== undefined) {
      m.tokens.record(usage.promptTokens, {
        "gen_ai.operation.name": OPERATION,
        "gen_ai.provider.name": name,
        "gen_ai.request.model": asked,
        "gen_ai.response.model": responseModel,
        "gen_ai.token.type": "input",
      });
      m.tokens.record(usage.completionTokens, {
        "gen_ai.operation.name": OPERATION,
        "gen_ai.provider.name": name,
        "gen_ai.request.model": asked,
        "gen_ai.response.model": responseModel,
        "gen_ai.token.type": "output",
      });
    }
  }

  /**
   * The context for an attempt: in a tool loop, under the step span of the model call it belongs
   * to, opened by its first attempt and ended by the `step` event (or the call's end).
   */
  attemptParent(active: Context, params: CallParams): Context {
    if (!this.recording) return active;
    if (!this.info.toolLoop) return this.under(active);
    if (this.#stepSpan) return this.under(active);
    if (this.#pending) this.flushTools(params.messages);
    const n = ++this.#step;
    const span = this.t.tracer.startSpan(`step ${n}`, { kind: SpanKind.INTERNAL }, this.ctx);
    if (span.isRecording())
      span.setAttributes({
        "rephysco.step": n,
        "gen_ai.request.model": params.model,
      });
    this.#stepSpan = span;
    return trace.setSpan(active, span);
  }

  /**
   * `active` with this call's innermost span (the open step's, else the call's) as the parent of
   * what starts there. Usually it is already; not when another otel() instance's span is active.
   */
  under(active: Context): Context {
    const span = this.#stepSpan ?? this.span;
    return trace.getSpan(active) === span ? active : trace.setSpan(active, span);
  }

  /** A step's model call ended: its span ends (a step the cache answered gets an empty one). */
  #endStep(event: Extract<RephyscoEvent, { type: "step" }>): void {
    this.#steps++;
    const shared = event.cost?.source === "shared";
    if (event.cached) this.#cachedSteps++;
    else if (shared) this.#sharedSteps++;
    else if (event.usage) this.#spent = addUsage(this.#spent, event.usage);
    if (!this.recording) return;
    let span = this.#stepSpan;
    if (!span) {
      this.#step = event.stepNumber;
      span = this.t.tracer.startSpan(
        `step ${event.stepNumber}`,
        { kind: SpanKind.INTERNAL },
        this.ctx,
      );
      span.setAttributes({
        "rephysco.step": event.stepNumber,
        "gen_ai.request.model": event.model,
      });
    }
    if (event.cached) span.setAttribute("rephysco.cache.hit", true);
    if (shared) span.setAttribute("rephysco.cache.shared", true);
    this.#stepSpan = undefined;
    endStep(span, "ok", undefined, event.finishReason);
  }

  event(event: RephyscoEvent, active: Context): void {
    // Steps are counted even when nothing records: their usage feeds the token metric.
    if (event.type === "step") {
      if (this.info.toolLoop) this.#endStep(event);
      return;
    }
    if (!this.recording) return;
    const tracer = this.t.tracer;
    // Retries and fallbacks of a step's model call belong to the step.
    const parent = this.under(active);
    switch (event.type) {
      case "retry": {
        const now = Date.now();
        const span = tracer.startSpan(
          "retry wait",
          {
            kind: SpanKind.INTERNAL,
            startTime: now,
            attributes: {
              "gen_ai.provider.name": genAiProviderName(event.provider),
              "gen_ai.request.model": event.model,
              "rephysco.attempt": event.attempt,
              "rephysco.retry.delay_ms": event.delayMs,
              "error.type": errorType(event.error),
            },
          },
          parent,
        );
        span.end(now + event.delayMs);
        return;
      }
      case "fallback": {
        const span = tracer.startSpan(
          "fallback",
          {
            kind: SpanKind.INTERNAL,
            attributes: {
              "rephysco.fallback.from.provider": genAiProviderName(event.from.provider),
              "rephysco.fallback.from.model": event.from.model,
              "rephysco.fallback.to.provider": genAiProviderName(event.to.provider),
              "rephysco.fallback.to.model": event.to.model,
              "error.type": errorType(event.error),
            },
          },
          parent,
        );
        span.end();
        return;
      }
      case "tool_result": {
        const end = Date.now();
        if (this.t.capture) {
          this.#pending ??= [];
          this.#pending.push({ event, end, parent });
        } else this.toolSpan(event, end, parent, undefined);
        return;
      }
      case "cache_hit":
        // In a tool loop the step's span is marked (its `step` event says `cached`); the call
        // span only when every step was (at the end).
        if (!this.info.toolLoop) this.span.setAttribute("rephysco.cache.hit", true);
        return;
      default:
        return;
    }
  }

  /** Ends the spans of tool runs held for their content, found in the next step's messages. */
  flushTools(messages: readonly Message[] | undefined): void {
    const pending = this.#pending!;
    this.#pending = undefined;
    for (const p of pending) {
      const id = p.event.toolCallId;
      let content: { arguments?: string; result?: string } | undefined;
      if (messages) {
        content = {};
        for (const m of messages) {
          if (m.role === "tool" && m.toolCallId === id) content.result = m.content;
          else if (m.toolCalls)
            for (const call of m.toolCalls)
              if (call.id === id) content.arguments = call.rawArguments;
        }
      }
      this.toolSpan(p.event, p.end, p.parent, content);
    }
  }

  toolSpan(
    event: Extract<RephyscoEvent, { type: "tool_result" }>,
    end: number,
    parent: Context,
    content: { arguments?: string; result?: string } | undefined,
  ): void {
    const attributes: Attributes = {
      "gen_ai.operation.name": "execute_tool",
      "gen_ai.tool.name": event.toolName,
      "gen_ai.tool.call.id": event.toolCallId,
      "rephysco.step": event.stepNumber,
    };
    if (content?.arguments !== undefined)
      attributes["gen_ai.tool.call.arguments"] = content.arguments;
    if (content?.result !== undefined) attributes["gen_ai.tool.call.result"] = content.result;
    const span = this.t.tracer.startSpan(
      `execute_tool ${event.toolName}`,
      { kind: SpanKind.INTERNAL, startTime: end - event.durationMs, attributes },
      parent,
    );
    if (event.isError) {
      span.setAttribute("error.type", "tool_error");
      span.setStatus({ code: SpanStatusCode.ERROR });
    }
    span.end(end);
  }
}

function requestAttributes(info: CallInfo, capture: boolean): Attributes {
  const p = info.params;
  const a: Attributes = {
    "rephysco.operation": info.operation,
    "gen_ai.request.stream": p.mode === "stream",
  };
  if (p.temperature !== undefined) a["gen_ai.request.temperature"] = p.temperature;
  if (p.topP !== undefined) a["gen_ai.request.top_p"] = p.topP;
  if (p.maxTokens !== undefined) a["gen_ai.request.max_tokens"] = p.maxTokens;
  if (p.stop !== undefined) a["gen_ai.request.stop_sequences"] = [...p.stop];
  if (capture) a["gen_ai.input.messages"] = inputMessages(p.messages);
  return a;
}

function callOf(t: Telemetry, ctx: Context): CallState | undefined {
  return ctx.getValue(t.key) as CallState | undefined;
}

/**
 * A stream whose every pull runs with a span active; the span ends when the stream ends, fails or
 * is returned. Nothing is allocated per chunk.
 */
abstract class SpanStream implements AsyncIterableIterator<StreamPart> {
  #open: (() => AsyncIterable<StreamPart>) | undefined;
  #it: AsyncIterator<StreamPart> | undefined;
  #ctx: Context | undefined;
  #ended = false;
  #call: CallState | undefined;

  constructor(
    open: () => AsyncIterable<StreamPart>,
    protected readonly t: Telemetry,
  ) {
    this.#open = open;
  }

  /** The context to run in (with the span), or `undefined` to pass through. */
  protected abstract begin(parent: Context): Context | undefined;
  /** The span's end. */
  protected abstract finish(status: "ok" | "error" | "abandoned", error?: unknown): void;

  [Symbol.asyncIterator](): this {
    return this;
  }

  #iterator(): AsyncIterator<StreamPart> {
    if (this.#it) return this.#it;
    const parent = context.active();
    const ctx = this.begin(parent) ?? parent;
    this.#ctx = ctx;
    const call = callOf(this.t, parent);
    if (call && ctx !== parent) {
      call.open ??= new Set();
      call.open.add(this);
    }
    this.#call = call;
    const open = this.#open!;
    this.#open = undefined;
    this.#it = context.with(ctx, () => open()[Symbol.asyncIterator]());
    return this.#it;
  }

  next(): Promise<IteratorResult<StreamPart>> {
    // Returned (or failed) already, before its first pull included: done, as a generator is.
    if (this.#ended) return Promise.resolve({ done: true, value: undefined });
    const it = this.#iterator();
    return context.with(this.#ctx!, this.#pull, this, it);
  }

  #pull = async (it: AsyncIterator<StreamPart>): Promise<IteratorResult<StreamPart>> => {
    try {
      const r = await it.next();
      if (r.done) this.#end("ok");
      return r;
    } catch (error) {
      this.#end("error", error);
      throw error;
    }
  };

  async return(): Promise<IteratorResult<StreamPart>> {
    const it = this.#it;
    if (!it) {
      this.#open = undefined;
      this.#ended = true;
      return { done: true, value: undefined };
    }
    try {
      if (it.return) await context.with(this.#ctx!, () => it.return!());
    } finally {
      this.#end("abandoned");
    }
    return { done: true, value: undefined };
  }

  /** Ends the span as abandoned, if it is still open. */
  abandon(): void {
    this.#end("abandoned");
  }

  #end(status: "ok" | "error" | "abandoned", error?: unknown): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#call?.open?.delete(this);
    this.finish(status, error);
  }
}

function endStep(
  span: Span,
  status: "ok" | "error" | "abandoned",
  error: unknown,
  reason: string | undefined,
): void {
  if (span.isRecording()) {
    if (status === "ok") {
      if (reason) span.setAttribute("gen_ai.response.finish_reasons", [reason]);
    } else if (status === "error") failSpan(span, error);
    else span.setAttribute("rephysco.stream.abandoned", true);
  }
  span.end();
}

function failSpan(span: Span, error: unknown): string {
  const type = errorType(error);
  span.setAttribute("error.type", type);
  span.setStatus({ code: SpanStatusCode.ERROR, message: shortMessage(error) ?? "" });
  return type;
}

function startAttempt(t: Telemetry, attempt: AttemptInfo, parent: Context): Span {
  const span = t.tracer.startSpan(
    `attempt ${attempt.provider} ${attempt.model}`,
    { kind: SpanKind.INTERNAL },
    parent,
  );
  if (span.isRecording())
    span.setAttributes({
      "gen_ai.provider.name": genAiProviderName(attempt.provider),
      "gen_ai.request.model": attempt.model,
      "rephysco.attempt": attempt.attempt,
      "rephysco.target_index": attempt.targetIndex,
    });
  return span;
}

function endAttempt(span: Span, status: "ok" | "error" | "abandoned", error?: unknown): void {
  if (span.isRecording()) {
    if (status === "error") span.setAttribute("rephysco.attempt.outcome", failSpan(span, error));
    else span.setAttribute("rephysco.attempt.outcome", status);
  }
  span.end();
}

/** One attempt, streamed: its span is active for each pull (the HTTP request starts on the first). */
class AttemptStream extends SpanStream {
  #span: Span | undefined;
  constructor(
    open: () => AsyncIterable<StreamPart>,
    t: Telemetry,
    private readonly attempt: AttemptInfo,
    private readonly params: CallParams,
  ) {
    super(open, t);
  }
  protected begin(active: Context): Context {
    const parent = callOf(this.t, active)?.attemptParent(active, this.params) ?? active;
    this.#span = startAttempt(this.t, this.attempt, parent);
    return trace.setSpan(parent, this.#span);
  }
  protected finish(status: "ok" | "error" | "abandoned", error?: unknown): void {
    endAttempt(this.#span!, status, error);
  }
}

/** A tool loop's model call, streamed with content captured: its text kept as the latest step's. */
function stepText(t: Telemetry, parts: AsyncIterable<StreamPart>): AsyncIterable<StreamPart> {
  const state = callOf(t, context.active());
  if (!state?.info.toolLoop || !state.recording) return parts;
  return (async function* () {
    state.stepText = "";
    for await (const part of parts) {
      if (part.type === "text" || part.type === "refusal") state.stepText += part.text;
      yield part;
    }
  })();
}

/**
 * OpenTelemetry for a client: two middlewares to spread into its `middleware`. A span per call
 * (kind CLIENT, `chat {model}`), and under it a span per attempt, retry wait, fallback, tool-loop
 * step and tool run; the GenAI conventions' duration, token usage and time-to-first-chunk
 * histograms. Content is not recorded unless `captureContent` is set; keys never are.
 *
 * @example
 * ```ts
 * import { otel } from "@rephysco/otel";
 * const client = new LLMClient({ provider: "openai", middleware: [...otel()] });
 * ```
 */
export function otel(options: OtelOptions = {}): Middleware[] {
  const t = new Telemetry(options);
  const call: {
    -readonly [K in keyof Middleware]: Middleware[K];
  } = {
    level: "call",
    observeCall: (info) => new CallState(t, info),
    onEvent(event) {
      const ctx = context.active();
      callOf(t, ctx)?.event(event, ctx);
    },
  };
  // Only to record a streamed tool loop's last step text: a call-level `wrapStream` costs every
  // stream a few microseconds, so it is there only when content is captured.
  if (t.capture) call.wrapStream = ({ doStream }) => stepText(t, doStream());
  const attempt: Middleware = {
    level: "attempt",
    wrapGenerate({ doGenerate, attempt, params }): Promise<ModelResponse> {
      const active = context.active();
      const parent = callOf(t, active)?.attemptParent(active, params) ?? active;
      const span = startAttempt(t, attempt!, parent);
      let answer: Promise<ModelResponse>;
      try {
        answer = context.with(trace.setSpan(parent, span), doGenerate);
      } catch (error) {
        endAttempt(span, "error", error);
        throw error;
      }
      return answer.then(
        (response) => {
          endAttempt(span, "ok");
          return response;
        },
        (error: unknown) => {
          endAttempt(span, "error", error);
          throw error;
        },
      );
    },
    wrapStream: ({ doStream, attempt, params }) => new AttemptStream(doStream, t, attempt!, params),
  };
  return [call, attempt];
}
