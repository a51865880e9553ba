import { type OutputUnit, type Schema, type SchemaDraft, Validator } from "@cfworker/json-schema";
import { type JsonSchema, jsonSchema, type TypedJsonSchema } from "@rephysco/core";
import { readRegularFile } from "./read-file.js";
import { UsageError } from "./usage-error.js";

/** Largest `--schema` file read, in bytes. A JSON Schema this large is already a mistake. */
export const MAX_SCHEMA_FILE_BYTES = 1024 * 1024;

/** A Standard Schema validator, as `jsonSchema(schema, validator)` takes it. */
type StandardValidator = NonNullable<Parameters<typeof jsonSchema>[1]>;

const HOW =
  "Pass the path of a JSON Schema file, or the schema itself as inline JSON starting with {";

/** Does the `--schema` value hold the schema itself rather than a path? */
export function isInlineSchema(value: string): boolean {
  return value.trimStart().startsWith("{");
}

function describe(value: unknown): string {
  if (value === null) return "null";
  return Array.isArray(value) ? "an array" : `a ${typeof value}`;
}

/** Parses schema text; `where` names it in the error (`--schema` or the file). */
function parseSchemaText(text: string, where: string): JsonSchema {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`${where} is not valid JSON: ${(error as Error).message}. ${HOW}.`);
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new UsageError(`${where} must be a JSON Schema object; got ${describe(value)}. ${HOW}.`);
  }
  const type = (value as { type?: unknown }).type;
  if (type !== "object") {
    throw new UsageError(
      `${where} must describe a JSON object: its root needs "type": "object" (providers answer with an object); got ${type === undefined ? "no type" : `"type": ${JSON.stringify(type)}`}.`,
    );
  }
  return value as JsonSchema;
}

/** The draft cfworker's validator follows: the schema's `$schema`, else 2020-12. */
function draftOf(schema: JsonSchema): SchemaDraft {
  const declared = typeof schema.$schema === "string" ? schema.$schema : "";
  if (declared.includes("draft-04")) return "4";
  if (declared.includes("draft-06") || declared.includes("draft-07")) return "7";
  if (declared.includes("2019-09")) return "2019-09";
  return "2020-12";
}

/** `#/tags/1` as `["tags", 1]`. */
function pointerPath(location: string): (string | number)[] {
  return location
    .replace(/^#\/?/, "")
    .split("/")
    .filter((s) => s !== "")
    .map((segment) => {
      let key = segment.replace(/~1/g, "/").replace(/~0/g, "~");
      try {
        key = decodeURIComponent(key);
      } catch {
        // Not percent-encoded after all: keep it as it is.
      }
      return /^(?:0|[1-9]\d*)$/.test(key) ? Number(key) : key;
    });
}

/**
 * Keywords whose error only says that something below failed ("Property "x" does not match
 * schema"), or repeats the error before it (`false` after `additionalProperties`).
 */
const SUMMARY_KEYWORDS = new Set([
  "properties",
  "items",
  "prefixItems",
  "additionalItems",
  "patternProperties",
  "unevaluatedProperties",
  "unevaluatedItems",
  "$ref",
  "$dynamicRef",
  "$recursiveRef",
  "allOf",
  "false",
]);

function usefulErrors(errors: readonly OutputUnit[]): readonly OutputUnit[] {
  const leaves = errors.filter((e) => !SUMMARY_KEYWORDS.has(e.keyword));
  return leaves.length > 0 ? leaves : errors;
}

/**
 * The schema's validator as a Standard Schema, so that the client checks the answer against
 * the schema itself (a plain JSON Schema is only parsed) and reports every problem found.
 */
function validatorFor(schema: JsonSchema, where: string): StandardValidator {
  const validator = new Validator(schema as Schema, draftOf(schema), false);
  return {
    "~standard": {
      version: 1,
      vendor: "rephysco-cli",
      validate(value: unknown) {
        let result: ReturnType<Validator["validate"]>;
        try {
          result = validator.validate(value);
        } catch (error) {
          // An unresolved $ref or a bad pattern shows only when a value reaches it.
          throw new UsageError(
            `${where} cannot be used to check the answer: ${(error as Error).message}`,
          );
        }
        if (result.valid) return { value };
        return {
          issues: usefulErrors(result.errors).map((e) => ({
            // Issues are joined with "; ": no full stop of their own.
            message: e.error.replace(/\.$/, ""),
            path: pointerPath(e.instanceLocation),
          })),
        };
      },
    },
  };
}

/**
 * Reads the `--schema` value: inline JSON when it starts with `{`, else the path of a JSON file
 * (a regular file of at most {@link MAX_SCHEMA_FILE_BYTES}). The schema is paired with a JSON
 * Schema validator, so the object printed is one that matches it.
 *
 * @throws {UsageError} for an unreadable file, text that is not JSON, or a schema whose root is
 * not an object schema.
 */
export async function readSchema(value: string): Promise<TypedJsonSchema<unknown>> {
  let schema: JsonSchema;
  let where = "--schema";
  if (isInlineSchema(value)) {
    schema = parseSchemaText(value, where);
  } else {
    if (value.trim() === "") throw new UsageError(`--schema is empty. ${HOW}.`);
    const bytes = await readRegularFile(
      value,
      MAX_SCHEMA_FILE_BYTES,
      (why) => new UsageError(`Cannot read schema file "${value}": ${why}. ${HOW}.`),
    );
    where = `Schema file "${value}"`;
    // A byte order mark is not JSON, but editors write one.
    schema = parseSchemaText(bytes.toString("utf8").replace(/^\uFEFF/, ""), where);
  }
  return jsonSchema(schema, validatorFor(schema, where));
}

/**
 * A schema given as a value (a template's `schema`), checked and paired with a validator like
 * {@link readSchema}'s. `where` names it in errors (`Template "city"`).
 *
 * @throws {UsageError} when it is not an object schema.
 */
export function schemaFromValue(value: unknown, where: string): TypedJsonSchema<unknown> {
  const schema = parseSchemaText(JSON.stringify(value) ?? "undefined", where);
  return jsonSchema(schema, validatorFor(schema, where));
}
