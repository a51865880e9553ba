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
  /** `true` once a non-empty argument fragment was seen. */
  sawArguments: boolean;
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
 * - xAI (and other servers that send whole calls): the whole call in one fragment. When the
 *   first argument fragment of a call is already a complete JSON object, the call ends at once
 *   (start, delta and end together); every other call ends when the finish reason arrives.
 * - a fragment without `index` (a few servers) continues the last call unless it names a new id.
 *
 * The output array is reused from one `push` to the next (read it before pushing again): a chunk
 * costs no allocation beyond its parts. Each fragment is looked at once; the only parse is of a
 * call's first non-empty fragment, and only when it looks like a whole object.
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
      if (!call.sawArguments) {
        call.sawArguments = true;
        if (!call.ended && isWholeObject(text)) this.#end(call);
      }
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
      if (!call) {
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
      sawArguments: false,
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
    call.sawArguments = true;
  }

  #end(call: OpenCall): void {
    call.ended = true;
    this.#out.push({ type: "tool-call-end", index: call.ordinal });
  }
}

/** `true` for text that is one complete JSON object (checked only when it looks like one). */
function isWholeObject(text: string): boolean {
  const start = text.trimStart();
  if (start[0] !== "{" || text.trimEnd().at(-1) !== "}") return false;
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === "object" && value !== null && !Array.isArray(value);
  } catch {
    return false;
  }
}
