import type { ToolCall, ToolResult } from "../types.js";
import type { InferSchema, SchemaInput } from "./schema.js";

/** What `execute` gets besides the arguments. */
export interface ToolExecuteContext {
  /** The call's id. */
  readonly toolCallId: string;
  /** The call's signal: aborted when the caller aborts; pass it to anything the tool starts. */
  readonly signal: AbortSignal | undefined;
  /** The step this call belongs to (1 for the first model call). */
  readonly stepNumber: number;
}

/**
 * A tool the model may call.
 *
 * @typeParam P - the schema of its arguments.
 * @typeParam R - what `execute` returns.
 */
export interface Tool<P extends SchemaInput = SchemaInput, R = unknown> {
  /** What the tool does, for the model. */
  readonly description?: string;
  /** The arguments' schema (see {@link SchemaInput}); the root must be an object. */
  readonly parameters: P;
  /**
   * Runs the tool in a tool loop (`maxSteps`). Its return value is sent to the model (a string
   * as it is, anything else as JSON). When absent, calls of this tool are returned to you and
   * end the loop.
   */
  readonly execute?: (args: InferSchema<P>, context: ToolExecuteContext) => R | Promise<R>;
  /** Ask for strict schema adherence where the provider supports it (OpenAI). */
  readonly strict?: boolean;
}

/** Tools keyed by the name the model calls them by. */
// biome-ignore lint/suspicious/noExplicitAny: variance: a set holds tools of any schema and result.
export type ToolSet = Readonly<Record<string, Tool<any, any>>>;

/**
 * Defines a tool with its argument type inferred from the schema, for `execute` and for the calls
 * the model makes.
 *
 * @example
 * ```ts
 * const getWeather = tool({
 *   description: "Current weather in a city",
 *   parameters: z.object({ city: z.string() }),
 *   execute: async ({ city }) => ({ city, tempC: 18 }),
 * });
 * ```
 */
export function tool<P extends SchemaInput, R = unknown>(definition: Tool<P, R>): Tool<P, R> {
  return definition;
}

/** A call of one of the tools of `T`, typed by name. */
export type TypedToolCall<T extends ToolSet> = {
  [K in keyof T & string]: ToolCall<K, InferSchema<T[K]["parameters"]>>;
}[keyof T & string];

/** A result of one of the tools of `T`. */
export type TypedToolResult<T extends ToolSet> = {
  [K in keyof T & string]: ToolResult<K>;
}[keyof T & string];

/**
 * What `onToolCall` may decide about a call before it runs: nothing (run it), `{ veto }` (do not
 * run it; the model is told why, as an error result), or `{ arguments }` (run it with these).
 */
export type ToolCallDecision<Args = unknown> =
  | undefined
  | { readonly veto: string }
  | { readonly arguments: Args };
