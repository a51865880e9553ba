/**
 * JSON with object keys sorted at every depth, so that two equal settings objects written in a
 * different key order give the same string (used for cache keys and `BaseProvider.cacheIdentity`). `undefined` values
 * are left out, as `JSON.stringify` leaves them out of a request body; arrays keep their order.
 *
 * @example
 * ```ts
 * stableStringify({ b: 1, a: { d: 2, c: 3 } }); // '{"a":{"c":3,"d":2},"b":1}'
 * ```
 */
export function stableStringify(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (typeof v !== "object" || v === null || Array.isArray(v)) return v;
    // No prototype: an own "__proto__" key (from JSON.parse) stays a key instead of being lost.
    const sorted: Record<string, unknown> = Object.create(null);
    for (const key of Object.keys(v).sort()) sorted[key] = (v as Record<string, unknown>)[key];
    return sorted;
  });
}
