import type { StandardJSONSchemaV1, StandardSchemaV1 } from "@standard-schema/spec";
import { InvalidRequestError, type OutputIssue } from "../errors.js";
import type { JsonSchema } from "../types.js";

/**
 * A JSON Schema with the type it describes attached, made by {@link jsonSchema}. Without a
 * `validate` function the arguments are parsed, not validated.
 */
export interface TypedJsonSchema<T> {
  /** The JSON Schema sent to the provider. */
  readonly jsonSchema: JsonSchema;
  /** Checks a parsed value (any Standard Schema validator). */
  readonly validator?: StandardSchemaV1<unknown, T>;
  /** Phantom: the type described. Never set at run time. */
  readonly __type?: T;
}

/**
 * What describes a tool's arguments or a structured answer:
 * - a plain JSON Schema object (the value is parsed; its type is `unknown` unless you use
 *   {@link jsonSchema} to declare it);
 * - a Standard JSON Schema (zod >= 4.2, ArkType, Valibot through its converter): sent as JSON
 *   Schema, validated when it is also a Standard Schema validator (zod and ArkType are);
 * - {@link jsonSchema}`(schema, validator?)`: a JSON Schema paired with a Standard Schema
 *   validator (or none), with the type declared.
 */
export type SchemaInput<T = unknown> =
  | StandardJSONSchemaV1<unknown, T>
  | TypedJsonSchema<T>
  | JsonSchema;

/** The type a {@link SchemaInput} describes (what `execute` receives, what `object` is). */
export type InferSchema<S> =
  S extends StandardSchemaV1<unknown, infer O>
    ? O
    : S extends StandardJSONSchemaV1<unknown, infer O>
      ? O
      : S extends TypedJsonSchema<infer T>
        ? T
        : unknown;

/**
 * Declares a JSON Schema's type, and optionally pairs it with a Standard Schema validator.
 *
 * @example
 * ```ts
 * const weather = jsonSchema<{ city: string }>({
 *   type: "object", properties: { city: { type: "string" } }, required: ["city"],
 * });
 * ```
 */
export function jsonSchema<T = unknown>(
  schema: JsonSchema,
  validator?: StandardSchemaV1<unknown, T>,
): TypedJsonSchema<T> {
  return validator ? { jsonSchema: schema, validator } : { jsonSchema: schema };
}

/** Where a schema is, for error messages. */
type Where = string;

function bad(message: string): InvalidRequestError {
  return new InvalidRequestError(message, { provider: "client", reason: "invalid_tool" });
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

function standardProps(value: unknown): Record<string, unknown> | undefined {
  if (!isObject(value) && typeof value !== "function") return undefined;
  const props = (value as { "~standard"?: unknown })["~standard"];
  return isObject(props) ? props : undefined;
}

/** A schema resolved once: the JSON Schema to send and the validator to run, if any. */
export interface ResolvedSchema {
  readonly jsonSchema: JsonSchema;
  readonly validator: StandardSchemaV1 | undefined;
}

/**
 * Resolves a {@link SchemaInput}: converts a Standard JSON Schema (draft 2020-12, else draft 07),
 * picks up its validator, checks that the result is an object schema.
 *
 * @throws {InvalidRequestError} (`invalid_tool`) naming `where` and what to fix.
 */
export function resolveSchema(input: unknown, where: Where, rootObject = true): ResolvedSchema {
  let schema: unknown;
  let validator: StandardSchemaV1 | undefined;
  const props = standardProps(input);
  if (props) {
    const converter = props.jsonSchema as StandardJSONSchemaV1.Converter | undefined;
    if (typeof props.validate === "function") validator = input as StandardSchemaV1;
    if (!converter || typeof converter.input !== "function") {
      throw bad(
        `${where}: this schema (${String(props.vendor)}) cannot produce a JSON Schema. Use a library that implements Standard JSON Schema (zod >= 4.2, ArkType), or pass jsonSchema(schema, validator).`,
      );
    }
    try {
      schema = converter.input({ target: "draft-2020-12" });
    } catch {
      try {
        schema = converter.input({ target: "draft-07" });
      } catch (error) {
        throw new InvalidRequestError(
          `${where}: the schema could not be converted to JSON Schema: ${(error as Error)?.message ?? String(error)}`,
          { provider: "client", reason: "invalid_tool", cause: error },
        );
      }
    }
  } else if (isObject(input) && isObject(input.jsonSchema) && !("type" in input)) {
    schema = input.jsonSchema;
    const v = input.validator;
    if (v !== undefined) {
      if (typeof standardProps(v)?.validate !== "function")
        throw bad(
          `${where}: validator must be a Standard Schema validator (it has no ~standard.validate).`,
        );
      validator = v as StandardSchemaV1;
    }
  } else {
    schema = input;
  }
  if (!isObject(schema)) {
    throw bad(
      `${where} must be a JSON Schema object, a Standard JSON Schema (zod >= 4.2, ArkType) or jsonSchema(...); got ${schema === null ? "null" : typeof schema}.`,
    );
  }
  if (rootObject && schema.type !== "object") {
    throw bad(
      `${where} must describe an object ({ type: "object", properties: {...} }): every provider takes arguments as an object; got type ${JSON.stringify(schema.type)}.`,
    );
  }
  // The $schema marker means nothing to providers; some reject unknown keywords at the root.
  if ("$schema" in schema) {
    const { $schema: _ignored, ...rest } = schema;
    schema = rest;
  }
  return { jsonSchema: schema as JsonSchema, validator };
}

/** The result of checking a value against a resolved schema. */
export type CheckResult =
  | { readonly ok: true; readonly value: unknown }
  | { readonly ok: false; readonly issues: readonly OutputIssue[] };

/** Runs the validator of a resolved schema (sync or async); no validator: the value as it is. */
export async function checkValue(schema: ResolvedSchema, value: unknown): Promise<CheckResult> {
  if (!schema.validator) return { ok: true, value };
  let result = schema.validator["~standard"].validate(value);
  if (result instanceof Promise) result = await result;
  if (result.issues) {
    return {
      ok: false,
      issues: result.issues.map((i) => ({
        message: i.message,
        ...(i.path && {
          path: i.path.map((p) =>
            typeof p === "object" && p !== null
              ? (p.key as string | number)
              : (p as string | number),
          ),
        }),
      })),
    };
  }
  return { ok: true, value: result.value };
}

/** Issues as one line: `city: Required; days: Expected number`. */
export function issuesText(issues: readonly OutputIssue[]): string {
  return issues
    .slice(0, 5)
    .map((i) => (i.path?.length ? `${i.path.join(".")}: ${i.message}` : i.message))
    .join("; ");
}
