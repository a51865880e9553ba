import { addCost } from "../cost.js";
import { InvalidOutputError, type OutputIssue } from "../errors.js";
import { addUsage } from "../http/usage.js";
import { checkValue, issuesText, type ResolvedSchema } from "../tools/schema.js";
import type { Cost, FinishReason, Message, ModelResponse, Usage } from "../types.js";
import { Assembler } from "./assemble.js";
import { costFor, toResponse } from "./edge.js";
import type { Next, PipelineRequest } from "./pipeline.js";
import { parseJson } from "./tool-calls.js";

/** A value whose objects may lack any property, as a structured answer is while it streams. */
export type DeepPartial<T> = T extends readonly (infer U)[]
  ? DeepPartial<U>[]
  : T extends object
    ? { [K in keyof T]?: DeepPartial<T[K]> }
    : T;

/** The answer of `generateObject`: the response, and the object parsed and validated. */
export type ObjectResponse<T> = ModelResponse & {
  /** The answer, parsed from `content` and validated against the schema. */
  readonly object: T;
};

/** One item of `streamObject`: the object so far, or, last, the validated object. */
export type ObjectStreamItem<T> =
  | {
      readonly done: false;
      /**
       * The object as parsed so far (strings may be cut mid-word). The same object is updated
       * in place as text arrives, so parsing stays linear in the size of the answer: copy it
       * (`structuredClone`) if you keep a snapshot.
       */
      readonly partial: DeepPartial<T>;
      /** The answer text this item added. */
      readonly textDelta: string;
    }
  | {
      readonly done: true;
      /** The whole object, validated against the schema. */
      readonly object: T;
      /** The whole object (the same value as `object`). */
      readonly partial: DeepPartial<T>;
      /** The answer text. */
      readonly text: string;
      /** Why the model stopped. */
      readonly finishReason?: FinishReason;
      /** Token counts. */
      readonly usage?: Usage;
      /** What the answer cost (see `ModelResponse.cost`). */
      readonly cost?: Cost;
      /** The model that answered. */
      readonly model: string;
      /** The provider that answered. */
      readonly provider: string;
      /** Whether the answer came from the cache. */
      readonly cached: boolean;
    };

/** Strips a Markdown code fence some models wrap JSON in (```json ... ```). */
function unfence(text: string): string {
  const t = text.trim();
  if (!t.startsWith("```")) return t;
  const open = t.indexOf("\n");
  const close = t.lastIndexOf("```");
  return open > 0 && close > open ? t.slice(open + 1, close).trim() : t;
}

type Parsed =
  | { ok: true; value: unknown }
  | { ok: false; message: string; issues?: readonly OutputIssue[] };

async function parseObject(text: string, schema: ResolvedSchema): Promise<Parsed> {
  const json = parseJson(unfence(text));
  if (!json.ok) return { ok: false, message: `the answer is not valid JSON (${json.error})` };
  const checked = await checkValue(schema, json.value);
  if (!checked.ok)
    return {
      ok: false,
      message: `the answer does not match the schema: ${issuesText(checked.issues)}`,
      issues: checked.issues,
    };
  return { ok: true, value: checked.value };
}

function objectError(
  provider: string,
  text: string,
  parsed: Parsed & { ok: false },
): InvalidOutputError {
  return new InvalidOutputError(`${provider}: ${parsed.message}.`, {
    provider,
    reason: "invalid_object",
    data: { text, ...(parsed.issues && { issues: parsed.issues }) },
  });
}

function refusalError(r: { provider: string; refusal?: string }): InvalidOutputError {
  return new InvalidOutputError(`${r.provider}: the model refused to answer: ${r.refusal}`, {
    provider: r.provider,
    reason: "invalid_object",
    data: { text: r.refusal ?? "", refusal: true },
  });
}

/** How `generateObject` runs. */
export interface ObjectContext {
  readonly run: Next;
  readonly schema: ResolvedSchema;
  /** Repair rounds allowed (0 or 1). */
  readonly repair: boolean;
  /** The request for these messages (`repair` asks again with the answer and the problem). */
  readonly request: (messages: readonly Message[]) => PipelineRequest;
  readonly primaryName: string;
}

/**
 * `generateObject`: one call in JSON mode, the answer parsed and validated; with `repair`, one
 * more call that shows the model its answer and what is wrong with it.
 */
export async function generateObject<T>(
  ctx: ObjectContext,
  first: PipelineRequest,
): Promise<ObjectResponse<T>> {
  const r = await toResponse(ctx.run(first), first.trace);
  if (r.refusal) throw refusalError(r);
  const parsed = await parseObject(r.content, ctx.schema);
  if (parsed.ok) return { ...r, object: parsed.value as T };
  if (!ctx.repair) throw objectError(r.provider, r.content, parsed);
  const again = ctx.request([
    ...first.params.messages,
    { role: "assistant", content: r.content },
    {
      role: "user",
      content: `That answer cannot be used: ${parsed.message}. Reply with only the corrected JSON, nothing else.`,
    },
  ]);
  const r2 = await toResponse(ctx.run(again), again.trace);
  if (r2.refusal) throw refusalError(r2);
  const parsed2 = await parseObject(r2.content, ctx.schema);
  if (!parsed2.ok) throw objectError(r2.provider, r2.content, parsed2);
  // Both calls were spent: usage and cost are their sums.
  const usage = addUsage(r.usage, r2.usage);
  const cost = addCost(r.cost, r2.cost);
  const { usage: _u, cost: _c, ...rest } = r2;
  return {
    ...rest,
    ...(usage && { usage }),
    ...(cost && { cost }),
    object: parsed2.value as T,
  };
}

interface StreamParserLike {
  write(text: string): void;
  onValue: (info: {
    value?: unknown;
    key?: string | number;
    parent?: unknown;
    stack: readonly { key?: string | number; value?: unknown }[];
    partial?: boolean;
  }) => void;
  onError: (error: Error) => void;
}

type ParserModule = {
  JSONParser: new (options: Record<string, unknown>) => StreamParserLike;
};

let parserModule: Promise<ParserModule> | undefined;

/** @streamparser/json, loaded on the first `streamObject` (most programs never need it). */
function loadParser(): Promise<ParserModule> {
  parserModule ??= import("@streamparser/json") as unknown as Promise<ParserModule>;
  return parserModule;
}

/**
 * An incremental view of a JSON object being streamed: each text delta is fed to an incremental
 * parser (each byte is read once), and the object under construction is kept whole: the parser
 * attaches containers as they open, and values in progress (a string being written) are set on
 * their parents as they grow.
 */
class PartialObject {
  root: unknown;
  #failed = false;
  readonly #parser: StreamParserLike;

  constructor(mod: ParserModule) {
    const parser = new mod.JSONParser({
      emitPartialTokens: true,
      emitPartialValues: true,
      keepStack: true,
    });
    parser.onValue = ({ value, key, parent, stack, partial }) => {
      // The parser attaches containers to their parents as they open; `stack[i].value` is the
      // container of level i - 1, so the root is `stack[1].value`, or `parent` at the top level.
      if (stack.length === 0) this.root = value;
      else if (this.root === undefined) this.root = stack.length === 1 ? parent : stack[1]!.value;
      // A string or number still being written is not in its parent yet: show it there.
      if (partial && value !== undefined && key !== undefined && parent)
        (parent as Record<string | number, unknown>)[key] = value;
    };
    parser.onError = () => {
      // Not JSON (prose, a code fence): partial objects stop; the end still reports what is wrong.
      this.#failed = true;
    };
    this.#parser = parser;
  }

  /** Feeds text; `true` when the object may have changed. */
  write(text: string): boolean {
    if (this.#failed) return false;
    try {
      this.#parser.write(text);
    } catch {
      this.#failed = true;
      return false;
    }
    return this.root !== undefined;
  }
}

/** `streamObject`: items with the object so far, then the validated object. */
export async function* streamObject<T>(
  start: () => { ctx: ObjectContext; first: PipelineRequest },
): AsyncGenerator<ObjectStreamItem<T>, void, undefined> {
  // Input is checked when iteration starts, as for any async generator.
  const { ctx, first: req } = start();
  const mod = await loadParser();
  const view = new PartialObject(mod);
  const a = new Assembler();
  for await (const part of ctx.run(req)) {
    if (part.type === "response") continue;
    a.push(part);
    if (part.type === "text" && view.write(part.text))
      yield { done: false, partial: view.root as DeepPartial<T>, textDelta: part.text };
  }
  const provider = req.trace.provider ?? ctx.primaryName;
  const r = a.response(provider, req.trace.model ?? req.params.model, req.trace.cached);
  const cost = costFor(req.trace, r.cost);
  if (r.refusal) throw refusalError(r);
  const parsed = await parseObject(r.content, ctx.schema);
  if (!parsed.ok) throw objectError(provider, r.content, parsed);
  yield {
    done: true,
    object: parsed.value as T,
    partial: parsed.value as DeepPartial<T>,
    text: r.content,
    ...(r.finishReason && { finishReason: r.finishReason }),
    ...(r.usage && { usage: r.usage }),
    ...(cost && { cost }),
    model: r.model,
    provider,
    cached: r.cached,
  };
}
