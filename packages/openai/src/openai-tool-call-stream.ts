import type { StreamPart } from "@rephysco/core";
import type { OpenAIToolCallDelta } from "./openai-chat-types.js";
import { argumentsText, fallbackToolCallId } from "./parse-openai-tool-calls.js";

interface OpenCall {
  /** Ordinal among this answer's calls: the `index` of its parts. */
  readonly ordinal: number;
  id: string;
  name: string;
  started: boolean;
  ended: boolean;
  /** Fragments that came before the name (held until the start part can be sent). */
  pending: string[] | undefined;
}

/**
 * Turns streamed `delta.tool_calls` into tool-call parts, in every form the OpenAI dialect takes:
 * - OpenAI: fragments keyed by `index`; the first carries `id`, `type`, `function.name` and
 *   `arguments: ""`, later ones only argument text;
 * - DashScope: later fragments repeat `"id": ""` and `"type": "function"` (an empty id or name
 *   never replaces a known one), a trailing fragment has empty arguments (empty fragments yield
 *   nothing), and the first may already hold arguments;
 * - xAI (and other servers that send whole calls): the whole call in one fragment;
 * - a fragment whose non-empty id differs from its call's (parallel calls sent under one index
 *   by some servers), or without `index` and with a new id, starts a new call.
 * Every call ends when the finish reason arrives (whether a call is complete cannot be told from
 * its fragments: text after a whole object may follow).
 *
 * The output array is reused from one `push` to the next (read it before pushing again): a chunk
 * costs no allocation beyond its parts. Each fragment is looked at once and never parsed.
 */
export class OpenAIToolCallStream {
  readonly #byIndex = new Map<number, OpenCall>();
  readonly #calls: OpenCall[] = [];
  readonly #out: StreamPart[] = [];
  #last: OpenCall | undefined;

  /** How many calls this answer has made so far. */
  get count(): number {
    return this.#calls.length;
  }

  /** The parts for one delta's `tool_calls` (or its legacy `function_call`, as index 0). */
  push(deltas: readonly OpenAIToolCallDelta[]): readonly StreamPart[] {
    const out = this.#out;
    out.length = 0;
    for (const delta of deltas) {
      if (!delta || typeof delta !== "object") continue;
      const call = this.#callOf(delta);
      const fn = delta.function;
      if (!call.id && typeof delta.id === "string" && delta.id !== "") call.id = delta.id;
      const name = fn?.name;
      if (!call.name && typeof name === "string" && name !== "") call.name = name;
      const text = argumentsText(fn?.arguments);
      if (!call.started) {
        if (!call.name) {
          if (text) {
            call.pending ??= [];
            call.pending.push(text);
          }
          continue;
        }
        this.#start(call);
      }
      if (!text) continue;
      out.push({ type: "tool-call-delta", index: call.ordinal, argumentsDelta: text });
    }
    return out;
  }

  /** Parts that close every call still open (a call whose name never came starts nameless). */
  finish(): readonly StreamPart[] {
    const out = this.#out;
    out.length = 0;
    for (const call of this.#calls) {
      if (!call.started) this.#start(call);
      if (!call.ended) this.#end(call);
    }
    return out;
  }

  #callOf(delta: OpenAIToolCallDelta): OpenCall {
    const index = delta.index;
    if (typeof index === "number") {
      let call = this.#byIndex.get(index);
      const id = delta.id;
      // Some servers (Ollama, vLLM builds, Grok behind proxies) send parallel calls under one
      // index: a new non-empty id is a new call. DashScope's repeated "" never is.
      if (!call || (typeof id === "string" && id !== "" && call.id !== "" && id !== call.id)) {
        call = this.#open();
        this.#byIndex.set(index, call);
      }
      this.#last = call;
      return call;
    }
    const last = this.#last;
    const id = delta.id;
    const newId = typeof id === "string" && id !== "" && last?.id !== "" && id !== last?.id;
    if (last && !newId) return last;
    this.#last = this.#open();
    return this.#last;
  }

  #open(): OpenCall {
    const call: OpenCall = {
      ordinal: this.#calls.length,
      id: "",
      name: "",
      started: false,
      ended: false,
      pending: undefined,
    };
    this.#calls.push(call);
    return call;
  }

  #start(call: OpenCall): void {
    call.started = true;
    call.id ||= fallbackToolCallId(call.ordinal);
    this.#out.push({ type: "tool-call-start", index: call.ordinal, id: call.id, name: call.name });
    const pending = call.pending;
    if (!pending) return;
    call.pending = undefined;
    for (const text of pending) {
      this.#out.push({ type: "tool-call-delta", index: call.ordinal, argumentsDelta: text });
    }
  }

  #end(call: OpenCall): void {
    call.ended = true;
    this.#out.push({ type: "tool-call-end", index: call.ordinal });
  }
}
