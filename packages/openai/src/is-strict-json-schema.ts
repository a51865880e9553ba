/** Keywords whose value is one subschema. */
const SCHEMA_KEYWORDS = ["items", "additionalProperties", "not", "if", "then", "else", "contains"];
/** Keywords whose value is a list of subschemas (`items` too, in its old tuple form). */
const LIST_KEYWORDS = ["anyOf", "allOf", "oneOf", "prefixItems", "items"];
/** Keywords whose value maps names to subschemas. */
const MAP_KEYWORDS = ["properties", "$defs", "definitions", "patternProperties"];

function isObjectSchema(schema: Record<string, unknown>): boolean {
  const type = schema.type;
  if (type === "object") return true;
  if (Array.isArray(type)) return type.includes("object");
  return type === undefined && typeof schema.properties === "object";
}

/**
 * `true` when a JSON Schema may be sent with `strict: true` (OpenAI Structured Outputs): the root
 * is an object schema, and every object schema in it, nested ones and `$defs` included, closes
 * its properties with `additionalProperties: false` and lists every property in `required`
 * (strict mode rejects anything else with a 400). One pass over the schema; each node is seen
 * once, so shared or cyclic objects cost nothing extra.
 *
 * Only schema positions are walked (`properties`, `items`, `anyOf`, ...), never values such as
 * `enum`, `const` or `default`, which may hold objects that are not schemas.
 *
 * @example
 * isStrictJsonSchema({ type: "object", properties: { a: { type: "string" } },
 *   required: ["a"], additionalProperties: false }); // true
 */
export function isStrictJsonSchema(schema: unknown): boolean {
  if (!isRecord(schema) || !isObjectSchema(schema)) return false;
  const seen = new Set<object>();
  const stack: Record<string, unknown>[] = [schema];
  while (stack.length > 0) {
    const node = stack.pop()!;
    if (seen.has(node)) continue;
    seen.add(node);
    if (isObjectSchema(node)) {
      if (node.additionalProperties !== false) return false;
      const properties = node.properties;
      if (properties !== undefined) {
        if (!isRecord(properties)) return false;
        const required = new Set(Array.isArray(node.required) ? node.required : []);
        for (const key of Object.keys(properties)) if (!required.has(key)) return false;
      }
    }
    for (const keyword of SCHEMA_KEYWORDS) {
      const value = node[keyword];
      if (isRecord(value)) stack.push(value);
    }
    for (const keyword of LIST_KEYWORDS) {
      const value = node[keyword];
      if (Array.isArray(value)) for (const item of value) if (isRecord(item)) stack.push(item);
    }
    for (const keyword of MAP_KEYWORDS) {
      const value = node[keyword];
      if (isRecord(value))
        for (const key in value) {
          const item = value[key];
          if (isRecord(item)) stack.push(item);
        }
    }
  }
  return true;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
