/**
 * DashScope model families that take `response_format: { type: "json_schema" }`, with the first
 * dated snapshot that does (`""`: every snapshot). Every other model gets the `json_object` mode
 * with the schema in a system instruction (which also carries the word "JSON" the mode needs).
 *
 * Sources: Alibaba Cloud Model Studio, "Structured output"
 * (https://www.alibabacloud.com/help/en/model-studio/qwen-structured-output, Dec 2025: JSON
 * Schema mode on "some qwen-plus models", thinking mode excluded), its model lists as quoted by
 * Prism's Qwen provider (qwen3-max series, qwen-plus and qwen-flash from their 2025-07-28
 * snapshots), and the later list in vercel/ai `supports-json-schema-output.ts` (qwen3.7 plus,
 * flash and max; qwen3.8 max and flash). `qwen-max`, `qwen-turbo` and the open-source models
 * take only `json_object`. Pass `providerOptions: { response_format }` to override per call.
 */
const JSON_SCHEMA_FAMILIES: Readonly<Record<string, string>> = {
  "qwen-plus": "2025-07-28",
  "qwen-flash": "2025-07-28",
  "qwen3-max": "",
  "qwen3.7-plus": "",
  "qwen3.7-flash": "",
  "qwen3.7-max": "",
  "qwen3.8-max": "",
  "qwen3.8-flash": "",
};

const MODEL_ID = /^(.+?)(?:-(latest|\d{4}-\d{2}-\d{2}))?$/;

/**
 * `true` when a DashScope model takes a JSON Schema response format: a listed family, its
 * `-latest` alias, or a dated snapshot (`qwen-plus-2025-09-11`) no older than the family's first.
 *
 * @example
 * supportsDashScopeJsonSchema("qwen-plus"); // true
 * supportsDashScopeJsonSchema("qwen-plus-2025-04-28"); // false
 * supportsDashScopeJsonSchema("qwen-turbo"); // false
 */
export function supportsDashScopeJsonSchema(model: string): boolean {
  const match = MODEL_ID.exec(model);
  if (!match) return false;
  const first = JSON_SCHEMA_FAMILIES[match[1]!];
  if (first === undefined) return false;
  const suffix = match[2];
  return suffix === undefined || suffix === "latest" || suffix >= first;
}
