import type {
  CallMode,
  Cost,
  FinishReason,
  Message,
  ModelResponse,
  PriceSheet,
  Provider,
  ProviderCallOptions,
  ProviderCapabilities,
  ProviderMetadata,
  StreamChunk,
  StreamPart,
  Usage,
} from "@rephysco/core";
import { Assembler, abortReason } from "@rephysco/core/http";

/** When a {@link FakeReply} answers. Every field is optional; the reply answers at once without them. */
export interface FakeTiming {
  /** Wait before the answer (`generate`) or before the first stream item, in ms. */
  readonly delayMs?: number;
  /** Wait before each later stream item, in ms. */
  readonly chunkDelayMs?: number;
  /**
   * Hold the answer until this promise settles (a promise that never settles holds it until the
   * call's signal aborts). `generate` waits for it before answering; a stream waits for it after
   * `gateAfterParts` items.
   */
  readonly gate?: Promise<unknown>;
  /** Stream items sent before waiting for `gate` (default `0`: before the first). */
  readonly gateAfterParts?: number;
}

/** A complete answer: `generate` returns it, `stream` sends it as parts ending with a finish. */
export interface FakeTextReply extends FakeTiming {
  /** The answer text (default `""`, or the join of `chunks`). */
  readonly text?: string;
  /** Reasoning text, streamed before the answer. */
  readonly reasoning?: string;
  /** The stream's text pieces, in order (default: `text` as one piece). */
  readonly chunks?: readonly string[];
  /** Why the model stopped (default `"stop"`). */
  readonly finishReason?: FinishReason;
  /** Token counts, returned as given. */
  readonly usage?: Usage;
  /** A cost the provider reports itself (as xAI does); otherwise the client prices the usage. */
  readonly cost?: Cost;
  /** The model that answers (default: the model the call asked for); streamed first as metadata. */
  readonly model?: string;
  /**
   * Tool calls of the answer, after the text (streamed as start, one fragment per
   * `argumentChunks` item, end). The finish reason defaults to `"tool_calls"`.
   */
  readonly toolCalls?: readonly FakeToolCall[];
  /** The model's refusal (the finish reason defaults to `"refusal"`). */
  readonly refusal?: string;
  /** Provider data of the turn, streamed as a metadata part. */
  readonly providerMetadata?: ProviderMetadata;
}

/** A tool call in a {@link FakeTextReply}. */
export interface FakeToolCall {
  /** The call id (default `call_<n>`, counted per provider). */
  readonly id?: string;
  /** The tool's name. */
  readonly name: string;
  /** The arguments: an object (sent as JSON) or raw text (sent as it is, so broken JSON can be tested). */
  readonly arguments: Readonly<Record<string, unknown>> | string;
  /** Stream fragments of the arguments text (default: one). */
  readonly argumentChunks?: readonly string[];
  /** Provider data of the call. */
  readonly providerMetadata?: ProviderMetadata;
}

/** A failure: `generate` rejects with `error`, `stream` throws it before its first item. */
export interface FakeErrorReply extends FakeTiming {
  readonly error: Error;
}

/**
 * Raw stream parts, sent exactly as given, for what a complete answer cannot express: a stream
 * without a finish part, parts of several kinds in any order, an `error` thrown after the parts.
 * `generate` answers with the parts assembled (text and reasoning joined, the finish's reason,
 * usage and model), or rejects with `error`.
 */
export interface FakePartsReply extends FakeTiming {
  readonly parts: readonly StreamPart[];
  /** Thrown after the last part. */
  readonly error?: Error;
}

/** One scripted answer of a {@link createFakeProvider fake provider}. */
export type FakeReply = FakeTextReply | FakeErrorReply | FakePartsReply;

/** A reply, or a function that makes one from the call (it may be async). */
export type FakeReplySource =
  | FakeReply
  | ((
      messages: readonly Message[],
      options: ProviderCallOptions,
      mode: CallMode,
    ) => FakeReply | Promise<FakeReply>);

/** One call a fake provider received, in the order received. */
export interface FakeCall {
  /** The messages sent, system prompt first. */
  readonly messages: readonly Message[];
  /** The options as the client passed them (`options.signal` is the attempt's signal). */
  readonly options: ProviderCallOptions;
  /** `generate` or `stream`. */
  readonly mode: CallMode;
}

/** Settings of {@link createFakeProvider}. Every field is optional. */
export interface FakeProviderOptions {
  /** Provider name, reported on answers, errors and events. Default `"fake"`. */
  readonly name?: string;
  /** Model used when the caller names none. Default `"fake-model"`. */
  readonly defaultModel?: string;
  /** Replies, used one per call in order. Add more later with `enqueue`. */
  readonly replies?: readonly FakeReplySource[];
  /** The reply once the queue is empty. Default: the text `Echo: <last user message>`. */
  readonly defaultReply?: FakeReplySource;
  /** Yield legacy {@link StreamChunk}s instead of stream parts (as providers did before parts). */
  readonly legacyChunks?: boolean;
  /** Default `{ images: true, reasoning: true, tools: true, structuredOutput: true }`. */
  readonly capabilities?: ProviderCapabilities;
  /** Part of the cache key. Default `"fake:"`. */
  readonly baseURL?: string;
  /** Part of the cache key. Default `"none"`. */
  readonly keyFingerprint?: string;
  /** Part of the cache key. Default `""`. */
  readonly cacheIdentity?: string;
  /** The provider's price table (from which the client computes `cost`). Default: none. */
  readonly prices?: PriceSheet;
}

/** A {@link Provider} that answers from a script and records what it was asked. */
export interface FakeProvider extends Provider {
  /** Every call received, oldest first. */
  readonly calls: readonly FakeCall[];
  /** Replies queued and not used yet. */
  readonly pending: number;
  /** Adds replies to the end of the queue. */
  enqueue(...replies: FakeReplySource[]): void;
}

/** Waits for `promise`, rejecting with the signal's reason as soon as it aborts. */
function until(promise: Promise<unknown>, signal: AbortSignal | undefined): Promise<void> {
  if (!signal) return promise.then(() => {});
  if (signal.aborted) return Promise.reject(abortReason(signal));
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(abortReason(signal));
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(
      () => {
        signal.removeEventListener("abort", onAbort);
        resolve();
      },
      (error: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(error);
      },
    );
  });
}

function sleep(ms: number | undefined, signal: AbortSignal | undefined): Promise<void> {
  if (!ms) return signal?.aborted ? Promise.reject(abortReason(signal)) : Promise.resolve();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const done = new Promise((resolve) => {
    timer = setTimeout(resolve, ms);
  });
  return until(done, signal).finally(() => clearTimeout(timer));
}

/** The parts a reply streams. */
function partsOf(
  reply: FakeTextReply | FakePartsReply,
  model: string,
  nextId: () => string,
): readonly StreamPart[] {
  if ("parts" in reply) return reply.parts;
  const parts: StreamPart[] = [];
  if (reply.model !== undefined || reply.providerMetadata)
    parts.push({
      type: "metadata",
      ...(reply.model !== undefined && { model: reply.model }),
      ...(reply.providerMetadata && { providerMetadata: reply.providerMetadata }),
    });
  if (reply.reasoning) parts.push({ type: "reasoning", text: reply.reasoning });
  for (const text of reply.chunks ?? [reply.text ?? ""])
    if (text) parts.push({ type: "text", text });
  if (reply.refusal) parts.push({ type: "refusal", text: reply.refusal });
  const calls = reply.toolCalls ?? [];
  calls.forEach((c, index) => {
    parts.push({
      type: "tool-call-start",
      index,
      id: c.id ?? nextId(),
      name: c.name,
      ...(c.providerMetadata && { providerMetadata: c.providerMetadata }),
    });
    const text = typeof c.arguments === "string" ? c.arguments : JSON.stringify(c.arguments);
    for (const argumentsDelta of c.argumentChunks ?? [text])
      if (argumentsDelta) parts.push({ type: "tool-call-delta", index, argumentsDelta });
    parts.push({ type: "tool-call-end", index });
  });
  parts.push({
    type: "finish",
    reason:
      reply.finishReason ?? (calls.length > 0 ? "tool_calls" : reply.refusal ? "refusal" : "stop"),
    ...(reply.usage && { usage: reply.usage }),
    ...(reply.cost && { cost: reply.cost }),
    model: reply.model ?? model,
  });
  return parts;
}

/** A part in the shape providers yielded before parts existed. */
function toChunk(part: StreamPart): StreamChunk {
  switch (part.type) {
    case "text":
      return { content: part.text };
    case "reasoning":
      return { content: "", reasoning: part.text };
    case "metadata":
      return { content: "", ...(part.model !== undefined && { model: part.model }) };
    case "refusal":
      return { content: "", refusal: part.text };
    case "tool-call-start":
      return {
        content: "",
        toolCallDelta: { index: part.index, id: part.id, name: part.name, argumentsDelta: "" },
      };
    case "tool-call-delta":
      return {
        content: "",
        toolCallDelta: { index: part.index, argumentsDelta: part.argumentsDelta },
      };
    case "tool-call-end":
      return { content: "" };
    case "finish":
      return {
        content: "",
        finishReason: part.reason,
        ...(part.usage && { usage: part.usage }),
        ...(part.cost && { cost: part.cost }),
        ...(part.model !== undefined && { model: part.model }),
      };
  }
}

/**
 * Creates a {@link Provider} for tests of code that uses `LLMClient`: no HTTP, no key, answers
 * scripted per call (text, chunks, reasoning, usage, errors, raw stream parts), every call
 * recorded with its messages, options and mode. Answers can be held (`delayMs`, `gate`) to test
 * calls in flight; the call's `signal` is honoured (a wait or a stream stops with the signal's
 * reason). With `legacyChunks` it yields the old `StreamChunk` shape instead of parts.
 *
 * For tests of a provider's wire format use the mock server and `describeProviderConformance`
 * instead: this fake stands in for the whole provider.
 *
 * @example
 * ```ts
 * import { LLMClient, RateLimitError } from "@rephysco/core";
 * import { createFakeProvider } from "@rephysco/testing";
 *
 * const fake = createFakeProvider({
 *   replies: [
 *     { error: new RateLimitError("slow down", { provider: "fake", retryAfterMs: 1 }) },
 *     { chunks: ["Hel", "lo"], usage: { promptTokens: 3, completionTokens: 2, totalTokens: 5 } },
 *   ],
 * });
 * const client = new LLMClient({ provider: fake });
 * const answer = await client.generate("Hi"); // retried once: "Hello"
 * expect(fake.calls).toHaveLength(2);
 * expect(fake.calls[1]!.messages).toEqual([{ role: "user", content: "Hi" }]);
 * ```
 */
export function createFakeProvider(options: FakeProviderOptions = {}): FakeProvider {
  const name = options.name ?? "fake";
  const queue: FakeReplySource[] = [...(options.replies ?? [])];
  const calls: FakeCall[] = [];
  let ids = 0;
  const nextId = () => `call_${++ids}`;

  const next = (messages: readonly Message[], o: ProviderCallOptions, mode: CallMode) => {
    calls.push({ messages, options: o, mode });
    const source = queue.shift() ?? options.defaultReply;
    if (source === undefined) {
      const last = messages.findLast((m) => m.role === "user");
      return Promise.resolve<FakeReply>({ text: `Echo: ${last?.content ?? ""}` });
    }
    const reply = new Promise<FakeReply>((resolve) =>
      resolve(typeof source === "function" ? source(messages, o, mode) : source),
    );
    // A stream reads it on its first read; until then a failing reply function is no unhandled rejection.
    reply.catch(() => {});
    return reply;
  };

  async function* stream(
    reply: Promise<FakeReply>,
    o: ProviderCallOptions,
  ): AsyncGenerator<StreamPart | StreamChunk, void, undefined> {
    const r = await reply;
    const signal = o.signal;
    await sleep(r.delayMs, signal);
    const parts = "error" in r && !("parts" in r) ? [] : partsOf(r, o.model, nextId);
    const gateAt = r.gate ? (r.gateAfterParts ?? 0) : -1;
    for (let i = 0; i <= parts.length; i++) {
      if (i === gateAt) await until(r.gate!, signal);
      if (i === parts.length) break;
      if (i > 0) await sleep(r.chunkDelayMs, signal);
      else if (signal?.aborted) throw abortReason(signal);
      const part = parts[i]!;
      yield options.legacyChunks ? toChunk(part) : part;
    }
    if ("error" in r && r.error) throw r.error;
  }

  return {
    name,
    defaultModel: options.defaultModel ?? "fake-model",
    capabilities: options.capabilities ?? {
      images: true,
      reasoning: true,
      tools: true,
      structuredOutput: true,
    },
    baseURL: options.baseURL ?? "fake:",
    keyFingerprint: options.keyFingerprint ?? "none",
    cacheIdentity: options.cacheIdentity ?? "",
    ...(options.prices && { prices: options.prices }),
    calls,
    get pending() {
      return queue.length;
    },
    enqueue(...replies) {
      queue.push(...replies);
    },
    async generate(messages, o): Promise<ModelResponse> {
      const r = await next(messages, o, "generate");
      await sleep(r.delayMs, o.signal);
      if (r.gate) await until(r.gate, o.signal);
      if ("error" in r && r.error) throw r.error;
      const parts = partsOf(r as FakeTextReply | FakePartsReply, o.model, nextId);
      const a = new Assembler();
      for (const part of parts) a.push(part);
      return a.response(name, o.model, false);
    },
    stream(messages, o) {
      // Recorded and dequeued at the call, not at the first read, so the order is the calls'.
      return stream(next(messages, o, "stream"), o);
    },
    scrub: (value) => value,
  };
}
