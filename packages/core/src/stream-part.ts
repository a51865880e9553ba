import type { Cost, FinishReason, ProviderMetadata, StreamChunk, Usage } from "./types.js";

/** A piece of answer text. */
export interface TextPart {
  readonly type: "text";
  /** The new text (never empty). */
  readonly text: string;
}

/** A piece of reasoning ("thinking") text, kept apart from the answer. */
export interface ReasoningPart {
  readonly type: "reasoning";
  /** The new reasoning text (never empty). */
  readonly text: string;
}

/**
 * What the provider reports about the answer before it ends: the model that answers. A provider
 * may send it any time; the client passes it on with the next text.
 */
export interface MetadataPart {
  readonly type: "metadata";
  /** The model that answers, as the provider names it. */
  readonly model?: string;
  /**
   * Provider data that must travel with the turn (merged with earlier metadata parts), such as a
   * Gemini thought signature on a text part.
   */
  readonly providerMetadata?: ProviderMetadata;
}

/** A piece of the model's refusal text (OpenAI `refusal`). */
export interface RefusalPart {
  readonly type: "refusal";
  /** The new refusal text (never empty). */
  readonly text: string;
}

/**
 * A tool call begins. `index` is the call's ordinal among the tool calls of this answer (0, 1,
 * ...), whatever the dialect numbers its blocks by; the provider makes a stable `id` when the
 * wire gives none.
 */
export interface ToolCallStartPart {
  readonly type: "tool-call-start";
  /** Ordinal of the call in this answer. */
  readonly index: number;
  /** The call's id. */
  readonly id: string;
  /** The tool's name. */
  readonly name: string;
  /** Provider data of this call (a Gemini thought signature). */
  readonly providerMetadata?: ProviderMetadata;
}

/** A fragment of a tool call's arguments (JSON text); the fragments of one call concatenate. */
export interface ToolCallDeltaPart {
  readonly type: "tool-call-delta";
  /** Ordinal of the call, as in its start part. */
  readonly index: number;
  /** The new argument text (may be empty). */
  readonly argumentsDelta: string;
}

/** A tool call's arguments are complete. Calls still open at the finish part end there. */
export interface ToolCallEndPart {
  readonly type: "tool-call-end";
  /** Ordinal of the call, as in its start part. */
  readonly index: number;
}

/**
 * The end of the answer: why the model stopped and what it cost. A provider yields it once, last,
 * after it saw its dialect's end marker (`[DONE]`, `message_stop`, a finish reason); a stream
 * without it is an error (`incomplete_stream`), never a short answer.
 */
export interface FinishPart {
  readonly type: "finish";
  /** Why the model stopped. */
  readonly reason: FinishReason;
  /** Token counts for the whole request, when the provider reports them. */
  readonly usage?: Usage;
  /**
   * The cost, when the provider reports it itself (`source: "provider"`); otherwise the client
   * computes it from `usage` and the price table.
   */
  readonly cost?: Cost;
  /** The model that answered, when known. */
  readonly model?: string;
}

/**
 * One typed piece of a streamed answer, as providers yield it and stream middleware sees it.
 * The union may grow with the library; switch on `type` and pass on the parts you do not know.
 * A tool call is a `tool-call-start`, any number of `tool-call-delta`s and a `tool-call-end`
 * (dialects that send whole calls yield all three at once).
 *
 * @example
 * ```ts
 * async *stream(messages, options): AsyncIterable<StreamPart> {
 *   yield { type: "text", text: "Hello" };
 *   yield { type: "finish", reason: "stop", usage };
 * }
 * ```
 */
export type StreamPart =
  | TextPart
  | ReasoningPart
  | RefusalPart
  | MetadataPart
  | ToolCallStartPart
  | ToolCallDeltaPart
  | ToolCallEndPart
  | FinishPart;

/** `true` for a {@link StreamPart}, `false` for a legacy {@link StreamChunk}. */
export function isStreamPart(value: StreamPart | StreamChunk): value is StreamPart {
  return typeof (value as { type?: unknown }).type === "string";
}

/**
 * Turns legacy {@link StreamChunk}s (the shape providers yielded before parts existed, still
 * accepted from third parties) into {@link StreamPart}s, one chunk at a time: model changes
 * become metadata parts, text, reasoning and refusal become their parts, a `toolCallDelta` becomes
 * a tool-call start (its first fragment) and deltas, and `finishReason`, `usage` and `cost`
 * are held and become the one finish part when the source ends (so usage sent after the finish
 * reason is kept). No generator layer: the caller feeds it inline.
 */
export class LegacyChunkAdapter {
  #reason: FinishReason | undefined;
  #usage: Usage | undefined;
  #cost: Cost | undefined;
  #model: string | undefined;
  readonly #started = new Set<number>();

  /** The parts one chunk stands for (often one; an empty array for a usage-only chunk). */
  push(chunk: StreamChunk): StreamPart[] {
    const parts: StreamPart[] = [];
    if (chunk.model !== undefined && chunk.model !== this.#model) {
      this.#model = chunk.model;
      parts.push({ type: "metadata", model: chunk.model });
    }
    if (chunk.reasoning) parts.push({ type: "reasoning", text: chunk.reasoning });
    if (chunk.content) parts.push({ type: "text", text: chunk.content });
    if (chunk.refusal) parts.push({ type: "refusal", text: chunk.refusal });
    const d = chunk.toolCallDelta;
    if (d) {
      if (!this.#started.has(d.index)) {
        this.#started.add(d.index);
        parts.push({ type: "tool-call-start", index: d.index, id: d.id ?? "", name: d.name ?? "" });
      }
      if (d.argumentsDelta)
        parts.push({ type: "tool-call-delta", index: d.index, argumentsDelta: d.argumentsDelta });
    }
    if (chunk.finishReason) this.#reason = chunk.finishReason;
    if (chunk.usage) this.#usage = chunk.usage;
    if (chunk.cost) this.#cost = chunk.cost;
    return parts;
  }

  /** The finish part, once the source has ended; `undefined` when no chunk carried a finish reason. */
  end(): FinishPart | undefined {
    if (this.#reason === undefined) return undefined;
    return {
      type: "finish",
      reason: this.#reason,
      ...(this.#usage && { usage: this.#usage }),
      ...(this.#cost && { cost: this.#cost }),
      ...(this.#model && { model: this.#model }),
    };
  }
}
