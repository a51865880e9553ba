import type { JsonSchema } from "@rephysco/core";

/**
 * Keywords Anthropic's structured outputs reject (numeric, string and array bounds) or do not
 * list as supported (`oneOf`, conditionals, tuple and pattern keywords): a schema using one goes
 * through the forced tool rather than risk a 400.
 */
const UNSUPPORTED = [
  "minimum",
  "maximum",
  "exclusiveMinimum",
  "exclusiveMaximum",
  "multipleOf",
  "minLength",
  "maxLength",
  "maxItems",
  "uniqueItems",
  "contains",
  "prefixItems",
  "oneOf",
  "not",
  "if",
  "then",
  "else",
  "patternProperties",
  "propertyNames",
  "dependentSchemas",
  "unevaluatedProperties",
] as const;

/** Keywords whose value is a list of subschemas. */
const LIST = ["anyOf", "allOf"] as const;
/** Keywords whose value maps names to subschemas. */
const MAP = ["properties", "$defs", "definitions"] as const;

/**
 * `true` when `output_config.format` accepts `schema` as it is: every object closed with
 * `additionalProperties: false`, no numeric or string bounds, `minItems` 0 or 1, and only local
 * `$ref`s (Anthropic, "Structured outputs", JSON Schema limitations). Any other schema still
 * works through the forced tool, whose `input_schema` takes JSON Schema without these limits.
 * One walk over the schema, nothing copied.
 */
export function fitsNativeOutputFormat(schema: JsonSchema): boolean {
  return fits(schema, 0);
}

function fits(node: unknown, depth: number): boolean {
  if (node === true || node === false) return true;
  if (node === null || typeof node !== "object" || Array.isArray(node)) return false;
  // A schema this deep is a generated or recursive one; let the forced tool take it.
  if (depth > 64) return false;
  const schema = node as Record<string, unknown>;
  const type = schema.type;
  const isObject =
    type === "object" ||
    (Array.isArray(type) && type.includes("object")) ||
    (type === undefined && schema.properties !== undefined);
  if (isObject && schema.additionalProperties !== false) return false;
  for (const key of UNSUPPORTED) if (schema[key] !== undefined) return false;
  if (typeof schema.minItems === "number" && schema.minItems > 1) return false;
  if (typeof schema.$ref === "string" && !schema.$ref.startsWith("#")) return false;
  const items = schema.items;
  if (Array.isArray(items)) return false; // draft-7 tuple form
  if (items !== undefined && !fits(items, depth + 1)) return false;
  for (const key of LIST) {
    const subs = schema[key];
    if (subs === undefined) continue;
    if (!Array.isArray(subs)) return false;
    for (const sub of subs) if (!fits(sub, depth + 1)) return false;
  }
  for (const key of MAP) {
    const subs = schema[key];
    if (subs === undefined) continue;
    if (subs === null || typeof subs !== "object") return false;
    for (const sub of Object.values(subs)) if (!fits(sub, depth + 1)) return false;
  }
  return true;
}
