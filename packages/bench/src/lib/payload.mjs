// The 20 KB JSON object of the `tools` scenario, shared by the server (which streams it as a tool
// call's arguments or as a JSON answer) and the client (which checks what it parsed). ASCII only,
// so a fragment boundary never splits a character; deterministic, so every run sends the same
// bytes.

/** Bytes of JSON text to reach (the object is at least this long, by less than one item). */
export const PAYLOAD_BYTES = 20 * 1024;
/** Deltas the text is streamed in. */
export const PAYLOAD_DELTAS = 2000;
export const TOOL_NAME = "record_inventory";

const WORDS = [
  "amber",
  "basalt",
  "cedar",
  "delta",
  "ember",
  "fjord",
  "granite",
  "harbor",
  "indigo",
  "juniper",
  "kelp",
  "lagoon",
  "meadow",
  "nickel",
  "orchid",
  "prairie",
];

function item(i) {
  const w = (k) => WORDS[(i * 7 + k * 3) % WORDS.length];
  return {
    id: i + 1,
    sku: `SKU-${String(10_000 + i * 37).padStart(6, "0")}`,
    name: `${w(0)} ${w(1)} ${i + 1}`,
    description: `A ${w(2)} ${w(3)} item from the ${w(4)} line, ${w(5)} finish.`,
    tags: [w(6), w(7)],
    price: Math.round((5 + ((i * 137) % 9500) / 100) * 100) / 100,
    inStock: i % 3 !== 0,
  };
}

function build() {
  const object = { warehouse: "Bench Central", currency: "EUR", items: [] };
  let text = JSON.stringify(object);
  while (text.length < PAYLOAD_BYTES) {
    object.items.push(item(object.items.length));
    text = JSON.stringify(object);
  }
  return { object, text };
}

const built = build();
/** The object. */
export const PAYLOAD_OBJECT = built.object;
/** Its JSON text (compact, as models write it). */
export const PAYLOAD_TEXT = built.text;

/** `text` cut into `n` fragments of near-equal length (cuts anywhere, as tokens do). */
export function fragments(text, n) {
  const out = [];
  for (let i = 0; i < n; i++)
    out.push(
      text.slice(Math.floor((i * text.length) / n), Math.floor(((i + 1) * text.length) / n)),
    );
  return out;
}

/** The JSON Schema of the object (strict-compatible: every key required, nothing extra). */
export const PAYLOAD_SCHEMA = {
  type: "object",
  properties: {
    warehouse: { type: "string" },
    currency: { type: "string" },
    items: {
      type: "array",
      items: {
        type: "object",
        properties: {
          id: { type: "integer" },
          sku: { type: "string" },
          name: { type: "string" },
          description: { type: "string" },
          tags: { type: "array", items: { type: "string" } },
          price: { type: "number" },
          inStock: { type: "boolean" },
        },
        required: ["id", "sku", "name", "description", "tags", "price", "inStock"],
        additionalProperties: false,
      },
    },
  },
  required: ["warehouse", "currency", "items"],
  additionalProperties: false,
};

/** A cheap check that `value` is the whole object (every item arrived, the last one whole). */
export function looksWhole(value) {
  const items = value?.items;
  const last = PAYLOAD_OBJECT.items.at(-1);
  return (
    Array.isArray(items) &&
    items.length === PAYLOAD_OBJECT.items.length &&
    items.at(-1)?.sku === last.sku &&
    items.at(-1)?.inStock === last.inStock &&
    value.currency === PAYLOAD_OBJECT.currency
  );
}
