import type { StreamPart } from "../stream-part.js";
import type {
  Cost,
  FinishReason,
  ModelResponse,
  ProviderMetadata,
  ToolCall,
  Usage,
} from "../types.js";

interface OpenCall {
  id: string;
  name: string;
  /** Argument fragments, joined once at the end: linear in the size of the arguments. */
  fragments: string[];
  providerMetadata: ProviderMetadata | undefined;
}

/** Merges provider metadata: later keys of the same provider win. */
export function mergeMetadata(
  a: ProviderMetadata | undefined,
  b: ProviderMetadata | undefined,
): ProviderMetadata | undefined {
  if (!b) return a;
  if (!a) return b;
  const out: Record<string, Record<string, unknown>> = { ...a };
  for (const [k, v] of Object.entries(b)) out[k] = { ...out[k], ...v };
  return out as ProviderMetadata;
}

/**
 * Builds one answer from stream parts: text, reasoning, refusal, tool calls (fragments kept in
 * arrays and joined once), provider metadata and the finish. Used wherever parts become an
 * answer: cache replays for `generate`, the tool loop, the last chunk of a stream; and by
 * providers that answer `generate` by streaming.
 *
 * @example
 * ```ts
 * const a = new Assembler();
 * for await (const part of this.stream(messages, options)) a.push(part);
 * if (a.reason === undefined) throw incompleteStreamError(...);
 * return a.response(this.name, options.model, false);
 * ```
 */
export class Assembler {
  /** The answer text so far. */
  content = "";
  /** The reasoning text so far. */
  reasoning = "";
  /** The refusal text so far. */
  refusal = "";
  /** The model, from the last metadata or finish part that named one. */
  model: string | undefined;
  /** Provider metadata of the turn, merged. */
  providerMetadata: ProviderMetadata | undefined;
  /** The finish reason, once the finish part came. */
  reason: FinishReason | undefined;
  /** Token counts, from the finish part. */
  usage: Usage | undefined;
  /** The cost on the finish part, when any. */
  cost: Cost | undefined;
  #calls: OpenCall[] | undefined;

  /** Takes one part. */
  push(part: StreamPart): void {
    switch (part.type) {
      case "text":
        this.content += part.text;
        return;
      case "reasoning":
        this.reasoning += part.text;
        return;
      case "refusal":
        this.refusal += part.text;
        return;
      case "metadata":
        if (part.model) this.model = part.model;
        if (part.providerMetadata)
          this.providerMetadata = mergeMetadata(this.providerMetadata, part.providerMetadata);
        return;
      case "tool-call-start": {
        this.#calls ??= [];
        const known = this.#calls[part.index];
        if (known) {
          // A repeated start (some dialects) never overwrites a known id or name with an empty one.
          if (part.id) known.id = part.id;
          if (part.name) known.name = part.name;
          if (part.providerMetadata)
            known.providerMetadata = mergeMetadata(known.providerMetadata, part.providerMetadata);
        } else {
          this.#calls[part.index] = {
            id: part.id,
            name: part.name,
            fragments: [],
            providerMetadata: part.providerMetadata,
          };
        }
        return;
      }
      case "tool-call-delta": {
        this.#calls ??= [];
        let call = this.#calls[part.index];
        if (!call) {
          call = { id: "", name: "", fragments: [], providerMetadata: undefined };
          this.#calls[part.index] = call;
        }
        if (part.argumentsDelta) call.fragments.push(part.argumentsDelta);
        return;
      }
      case "tool-call-end":
        return;
      case "finish":
        this.reason = part.reason;
        if (part.usage) this.usage = part.usage;
        if (part.cost) this.cost = part.cost;
        if (part.model) this.model = part.model;
        return;
      default:
        return;
    }
  }

  /** Whether a tool call was seen. */
  get hasToolCalls(): boolean {
    return this.#calls !== undefined && this.#calls.length > 0;
  }

  /**
   * The tool calls, in index order, with `rawArguments` joined and `arguments` left for the
   * client to parse (`undefined` here).
   */
  toolCalls(): ToolCall[] {
    const out: ToolCall[] = [];
    if (!this.#calls) return out;
    for (const c of this.#calls) {
      if (!c) continue;
      out.push({
        id: c.id,
        name: c.name,
        arguments: undefined,
        rawArguments: c.fragments.length === 1 ? c.fragments[0]! : c.fragments.join(""),
        ...(c.providerMetadata && { providerMetadata: c.providerMetadata }),
      });
    }
    return out;
  }

  /** The answer so far, as a response (`fallbackModel` when no part named the model). */
  response(provider: string, fallbackModel: string, cached: boolean): ModelResponse {
    const calls = this.toolCalls();
    return {
      content: this.content,
      ...(this.reasoning && { reasoning: this.reasoning }),
      ...(this.refusal && { refusal: this.refusal }),
      model: this.model ?? fallbackModel,
      provider,
      ...(this.usage && { usage: { ...this.usage } }),
      ...(this.cost && { cost: this.cost }),
      ...(this.reason && { finishReason: this.reason }),
      ...(calls.length > 0 && { toolCalls: calls }),
      ...(this.providerMetadata && { providerMetadata: this.providerMetadata }),
      cached,
    };
  }
}

/**
 * A whole answer as stream parts (a cached answer replayed as a stream): metadata, reasoning,
 * text, refusal, each tool call as start, one delta and end, then the finish.
 */
export function* responseParts(r: ModelResponse): Generator<StreamPart, void, undefined> {
  yield {
    type: "metadata",
    model: r.model,
    ...(r.providerMetadata && { providerMetadata: r.providerMetadata }),
  };
  if (r.reasoning) yield { type: "reasoning", text: r.reasoning };
  if (r.content) yield { type: "text", text: r.content };
  if (r.refusal) yield { type: "refusal", text: r.refusal };
  const calls = r.toolCalls ?? [];
  for (let i = 0; i < calls.length; i++) {
    const c = calls[i]!;
    yield {
      type: "tool-call-start",
      index: i,
      id: c.id,
      name: c.name,
      ...(c.providerMetadata && { providerMetadata: c.providerMetadata }),
    };
    if (c.rawArguments) yield { type: "tool-call-delta", index: i, argumentsDelta: c.rawArguments };
    yield { type: "tool-call-end", index: i };
  }
  yield {
    type: "finish",
    reason: r.finishReason ?? "stop",
    ...(r.usage && { usage: { ...r.usage } }),
    ...(r.cost && { cost: r.cost }),
    model: r.model,
  };
}
