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
} from "@rephysco/core";
import {
  ATTR_ERROR_TYPE,
  ATTR_GEN_AI_INPUT_MESSAGES,
  ATTR_GEN_AI_OPERATION_NAME,
  ATTR_GEN_AI_OUTPUT_MESSAGES,
  ATTR_GEN_AI_PROVIDER_NAME,
  ATTR_GEN_AI_REQUEST_MAX_TOKENS,
  ATTR_GEN_AI_REQUEST_MODEL,
  ATTR_GEN_AI_REQUEST_STOP_SEQUENCES,
  ATTR_GEN_AI_REQUEST_STREAM,
  ATTR_GEN_AI_REQUEST_TEMPERATURE,
  ATTR_GEN_AI_REQUEST_TOP_P,
  ATTR_GEN_AI_RESPONSE_FINISH_REASONS,
  ATTR_GEN_AI_RESPONSE_MODEL,
  ATTR_GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK,
  ATTR_GEN_AI_TOKEN_TYPE,
  ATTR_GEN_AI_TOOL_CALL_ARGUMENTS,
  ATTR_GEN_AI_TOOL_CALL_ID,
  ATTR_GEN_AI_TOOL_CALL_RESULT,
  ATTR_GEN_AI_TOOL_NAME,
  ATTR_GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS,
  ATTR_GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS,
  ATTR_GEN_AI_USAGE_INPUT_TOKENS,
  ATTR_GEN_AI_USAGE_OUTPUT_TOKENS,
  ATTR_GEN_AI_USAGE_REASONING_OUTPUT_TOKENS,
  ATTR_REPHYSCO_ATTEMPT,
  ATTR_REPHYSCO_ATTEMPT_OUTCOME,
  ATTR_REPHYSCO_CACHE_HIT,
  ATTR_REPHYSCO_CACHE_SHARED,
  ATTR_REPHYSCO_COST_USD,
  ATTR_REPHYSCO_FALLBACK_FROM_MODEL,
  ATTR_REPHYSCO_FALLBACK_FROM_PROVIDER,
  ATTR_REPHYSCO_FALLBACK_TO_MODEL,
  ATTR_REPHYSCO_FALLBACK_TO_PROVIDER,
  ATTR_REPHYSCO_OPERATION,
  ATTR_REPHYSCO_RETRY_DELAY_MS,
  ATTR_REPHYSCO_STEP,
  ATTR_REPHYSCO_STREAM_ABANDONED,
  ATTR_REPHYSCO_TARGET_INDEX,
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
/** The call's state, in the contexts this package makes active for it. */
const CALL_KEY = createContextKey("@rephysco/otel call");

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

/** What the middlewares share. */
class Telemetry {
  readonly tracer: Tracer;
  readonly capture: boolean;
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

function finishReasons(reason: string | undefined): string[] {
  return [reason ?? "stop"];
}

/** One observed call: its span, its context, and the observer core calls. */
class CallState implements CallObserver {
  readonly span: Span;
  readonly recording: boolean;
  readonly ctx: Context;
  readonly #start = performance.now();
  #firstChunk = -1;
  step = 0;
  #pending: PendingTool[] | undefined;
  /** Step and attempt streams not ended yet (ended as abandoned with the call). */
  open: Set<SpanStream> | undefined;

  constructor(
    readonly t: Telemetry,
    readonly info: CallInfo,
  ) {
    const parent = context.active();
    const params = info.params;
    const provider = genAiProviderName(info.provider);
    this.span = t.tracer.startSpan(
      `${OPERATION} ${params.model}`,
      {
        kind: SpanKind.CLIENT,
        attributes: {
          [ATTR_GEN_AI_OPERATION_NAME]: OPERATION,
          [ATTR_GEN_AI_PROVIDER_NAME]: provider,
          [ATTR_GEN_AI_REQUEST_MODEL]: params.model,
        },
      },
      parent,
    );
    this.recording = this.span.isRecording();
    if (this.recording) this.span.setAttributes(requestAttributes(info, t.capture));
    this.ctx = trace.setSpan(parent, this.span).setValue(CALL_KEY, this);
  }

  run<T>(fn: () => T): T {
    return context.with(this.ctx, fn);
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
    const span = this.span;
    const recording = this.recording;
    const ttfc = this.#firstChunk < 0 ? -1 : (this.#firstChunk - this.#start) / 1000;
    let provider = this.info.provider;
    let responseModel: string | undefined;
    let failure: string | undefined;
    let spent = false;
    if (outcome.status === "ok") {
      provider = outcome.provider;
      responseModel = outcome.model;
      spent = !outcome.cached && !outcome.shared;
      if (recording) {
        const attributes: Attributes = {
          [ATTR_GEN_AI_PROVIDER_NAME]: genAiProviderName(provider),
          [ATTR_GEN_AI_RESPONSE_MODEL]: outcome.model,
          [ATTR_GEN_AI_RESPONSE_FINISH_REASONS]: finishReasons(outcome.finishReason),
        };
        const usage = outcome.usage;
        // A cache hit or a shared call spent no tokens: its usage would be counted twice.
        if (usage && spent) {
          attributes[ATTR_GEN_AI_USAGE_INPUT_TOKENS] = usage.promptTokens;
          attributes[ATTR_GEN_AI_USAGE_OUTPUT_TOKENS] = usage.completionTokens;
          if (usage.cachedPromptTokens !== undefined)
            attributes[ATTR_GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS] = usage.cachedPromptTokens;
          if (usage.cacheWriteTokens !== undefined)
            attributes[ATTR_GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS] = usage.cacheWriteTokens;
          if (usage.reasoningTokens !== undefined)
            attributes[ATTR_GEN_AI_USAGE_REASONING_OUTPUT_TOKENS] = usage.reasoningTokens;
        }
        if (outcome.cost) attributes[ATTR_REPHYSCO_COST_USD] = outcome.cost.total;
        if (outcome.cached) attributes[ATTR_REPHYSCO_CACHE_HIT] = true;
        if (outcome.shared) attributes[ATTR_REPHYSCO_CACHE_SHARED] = true;
        if (this.t.capture)
          attributes[ATTR_GEN_AI_OUTPUT_MESSAGES] = outputMessages(
            outcome.content,
            outcome.finishReason,
          );
        span.setAttributes(attributes);
      }
    } else if (outcome.status === "error") {
      failure = errorType(outcome.error);
      if (recording) {
        span.setAttribute(ATTR_ERROR_TYPE, failure);
        span.setStatus({ code: SpanStatusCode.ERROR, message: shortMessage(outcome.error) ?? "" });
      }
    } else if (recording) {
      span.setAttribute(ATTR_REPHYSCO_STREAM_ABANDONED, true);
    }
    if (recording && ttfc >= 0) span.setAttribute(ATTR_GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK, ttfc);
    span.end();

    const m = this.t.instruments();
    const attributes: Attributes = {
      [ATTR_GEN_AI_OPERATION_NAME]: OPERATION,
      [ATTR_GEN_AI_PROVIDER_NAME]: genAiProviderName(provider),
      [ATTR_GEN_AI_REQUEST_MODEL]: this.info.params.model,
    };
    if (responseModel !== undefined) attributes[ATTR_GEN_AI_RESPONSE_MODEL] = responseModel;
    if (failure !== undefined) attributes[ATTR_ERROR_TYPE] = failure;
    m.duration.record(seconds, attributes);
    if (ttfc >= 0) m.firstChunk.record(ttfc, attributes);
    if (spent && outcome.status === "ok" && outcome.usage) {
      m.tokens.record(outcome.usage.promptTokens, {
        ...attributes,
        [ATTR_GEN_AI_TOKEN_TYPE]: "input",
      });
      m.tokens.record(outcome.usage.completionTokens, {
        ...attributes,
        [ATTR_GEN_AI_TOKEN_TYPE]: "output",
      });
    }
  }

  /** A step span for one model call of a tool loop, active for it. */
  startStep(parent: Context, params: CallParams): Context {
    if (this.#pending) this.flushTools(params.messages);
    const n = ++this.step;
    const span = this.t.tracer.startSpan(`step ${n}`, { kind: SpanKind.INTERNAL }, parent);
    if (span.isRecording())
      span.setAttributes({
        [ATTR_REPHYSCO_STEP]: n,
        [ATTR_GEN_AI_REQUEST_MODEL]: params.model,
      });
    return trace.setSpan(parent, span);
  }

  event(event: RephyscoEvent, parent: Context): void {
    const tracer = this.t.tracer;
    switch (event.type) {
      case "retry": {
        const now = Date.now();
        const span = tracer.startSpan(
          "retry wait",
          {
            kind: SpanKind.INTERNAL,
            startTime: now,
            attributes: {
              [ATTR_GEN_AI_PROVIDER_NAME]: genAiProviderName(event.provider),
              [ATTR_GEN_AI_REQUEST_MODEL]: event.model,
              [ATTR_REPHYSCO_ATTEMPT]: event.attempt,
              [ATTR_REPHYSCO_RETRY_DELAY_MS]: event.delayMs,
              [ATTR_ERROR_TYPE]: errorType(event.error),
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
              [ATTR_REPHYSCO_FALLBACK_FROM_PROVIDER]: genAiProviderName(event.from.provider),
              [ATTR_REPHYSCO_FALLBACK_FROM_MODEL]: event.from.model,
              [ATTR_REPHYSCO_FALLBACK_TO_PROVIDER]: genAiProviderName(event.to.provider),
              [ATTR_REPHYSCO_FALLBACK_TO_MODEL]: event.to.model,
              [ATTR_ERROR_TYPE]: errorType(event.error),
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
        this.span.setAttribute(ATTR_REPHYSCO_CACHE_HIT, true);
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
      [ATTR_GEN_AI_OPERATION_NAME]: "execute_tool",
      [ATTR_GEN_AI_TOOL_NAME]: event.toolName,
      [ATTR_GEN_AI_TOOL_CALL_ID]: event.toolCallId,
      [ATTR_REPHYSCO_STEP]: event.stepNumber,
    };
    if (content?.arguments !== undefined)
      attributes[ATTR_GEN_AI_TOOL_CALL_ARGUMENTS] = content.arguments;
    if (content?.result !== undefined) attributes[ATTR_GEN_AI_TOOL_CALL_RESULT] = content.result;
    const span = this.t.tracer.startSpan(
      `execute_tool ${event.toolName}`,
      { kind: SpanKind.INTERNAL, startTime: end - event.durationMs, attributes },
      parent,
    );
    if (event.isError) {
      span.setAttribute(ATTR_ERROR_TYPE, "tool_error");
      span.setStatus({ code: SpanStatusCode.ERROR });
    }
    span.end(end);
  }
}

function requestAttributes(info: CallInfo, capture: boolean): Attributes {
  const p = info.params;
  const a: Attributes = {
    [ATTR_REPHYSCO_OPERATION]: info.operation,
    [ATTR_GEN_AI_REQUEST_STREAM]: p.mode === "stream",
  };
  if (p.temperature !== undefined) a[ATTR_GEN_AI_REQUEST_TEMPERATURE] = p.temperature;
  if (p.topP !== undefined) a[ATTR_GEN_AI_REQUEST_TOP_P] = p.topP;
  if (p.maxTokens !== undefined) a[ATTR_GEN_AI_REQUEST_MAX_TOKENS] = p.maxTokens;
  if (p.stop !== undefined) a[ATTR_GEN_AI_REQUEST_STOP_SEQUENCES] = [...p.stop];
  if (capture) a[ATTR_GEN_AI_INPUT_MESSAGES] = inputMessages(p.messages);
  return a;
}

function callOf(ctx: Context): CallState | undefined {
  return ctx.getValue(CALL_KEY) as CallState | undefined;
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

  constructor(open: () => AsyncIterable<StreamPart>) {
    this.#open = open;
  }

  /** The context to run in (with the span), or `undefined` to pass through. */
  protected abstract begin(parent: Context): Context | undefined;
  /** The span's end. */
  protected abstract finish(status: "ok" | "error" | "abandoned", error?: unknown): void;
  /** Looks at a part on its way up. */
  protected see(_part: StreamPart): void {}

  [Symbol.asyncIterator](): this {
    return this;
  }

  #iterator(): AsyncIterator<StreamPart> {
    if (this.#it) return this.#it;
    const parent = context.active();
    const ctx = this.begin(parent) ?? parent;
    this.#ctx = ctx;
    const call = callOf(parent);
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
    const it = this.#iterator();
    return context.with(this.#ctx!, this.#pull, this, it);
  }

  #pull = async (it: AsyncIterator<StreamPart>): Promise<IteratorResult<StreamPart>> => {
    try {
      const r = await it.next();
      if (r.done) this.#end("ok");
      else this.see(r.value);
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

/** A tool loop's model call, streamed: a step span. */
class StepStream extends SpanStream {
  #span: Span | undefined;
  #reason: string | undefined;
  constructor(
    open: () => AsyncIterable<StreamPart>,
    private readonly params: CallParams,
  ) {
    super(open);
  }
  protected begin(parent: Context): Context | undefined {
    const call = callOf(parent);
    if (!call?.info.toolLoop) return undefined;
    const ctx = call.startStep(parent, this.params);
    this.#span = trace.getSpan(ctx);
    return ctx;
  }
  protected override see(part: StreamPart): void {
    if (part.type === "finish") this.#reason = part.reason;
  }
  protected finish(status: "ok" | "error" | "abandoned", error?: unknown): void {
    const span = this.#span;
    if (span) endStep(span, status, error, this.#reason);
  }
}

function endStep(
  span: Span,
  status: "ok" | "error" | "abandoned",
  error: unknown,
  reason: string | undefined,
): void {
  if (span.isRecording()) {
    if (status === "ok")
      span.setAttribute(ATTR_GEN_AI_RESPONSE_FINISH_REASONS, finishReasons(reason));
    else if (status === "error") failSpan(span, error);
    else span.setAttribute(ATTR_REPHYSCO_STREAM_ABANDONED, true);
  }
  span.end();
}

function failSpan(span: Span, error: unknown): string {
  const type = errorType(error);
  span.setAttribute(ATTR_ERROR_TYPE, type);
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
      [ATTR_GEN_AI_PROVIDER_NAME]: genAiProviderName(attempt.provider),
      [ATTR_GEN_AI_REQUEST_MODEL]: attempt.model,
      [ATTR_REPHYSCO_ATTEMPT]: attempt.attempt,
      [ATTR_REPHYSCO_TARGET_INDEX]: attempt.targetIndex,
    });
  return span;
}

function endAttempt(span: Span, status: "ok" | "error" | "abandoned", error?: unknown): void {
  if (span.isRecording()) {
    if (status === "error") span.setAttribute(ATTR_REPHYSCO_ATTEMPT_OUTCOME, failSpan(span, error));
    else span.setAttribute(ATTR_REPHYSCO_ATTEMPT_OUTCOME, status);
  }
  span.end();
}

/** One attempt, streamed: its span is active for each pull (the HTTP request starts on the first). */
class AttemptStream extends SpanStream {
  #span: Span | undefined;
  constructor(
    open: () => AsyncIterable<StreamPart>,
    private readonly t: Telemetry,
    private readonly attempt: AttemptInfo,
  ) {
    super(open);
  }
  protected begin(parent: Context): Context {
    this.#span = startAttempt(this.t, this.attempt, parent);
    return trace.setSpan(parent, this.#span);
  }
  protected finish(status: "ok" | "error" | "abandoned", error?: unknown): void {
    endAttempt(this.#span!, status, error);
  }
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
  const call: Middleware = {
    level: "call",
    observeCall: (info) => new CallState(t, info),
    onEvent(event) {
      const ctx = context.active();
      const state = callOf(ctx);
      if (state?.recording) state.event(event, ctx);
    },
    wrapGenerate({ doGenerate, params }): Promise<ModelResponse> {
      const parent = context.active();
      const state = callOf(parent);
      if (!state?.info.toolLoop) return doGenerate();
      const ctx = state.startStep(parent, params);
      const span = trace.getSpan(ctx)!;
      return context.with(ctx, doGenerate).then(
        (response) => {
          endStep(span, "ok", undefined, response.finishReason);
          return response;
        },
        (error: unknown) => {
          endStep(span, "error", error, undefined);
          throw error;
        },
      );
    },
    wrapStream({ doStream, params }) {
      // Called at the stream's first pull, in the call's context.
      return callOf(context.active())?.info.toolLoop
        ? new StepStream(doStream, params)
        : doStream();
    },
  };
  const attempt: Middleware = {
    level: "attempt",
    wrapGenerate({ doGenerate, attempt }): Promise<ModelResponse> {
      const parent = context.active();
      const span = startAttempt(t, attempt!, parent);
      return context.with(trace.setSpan(parent, span), doGenerate).then(
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
    wrapStream: ({ doStream, attempt }) => new AttemptStream(doStream, t, attempt!),
  };
  return [call, attempt];
}
