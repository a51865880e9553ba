/**
 * Shapes of API keys that providers echo back in error messages ("Incorrect API key provided:
 * sk-..."). Keys are also scrubbed by exact value when the provider knows it.
 */
const KEY_PATTERNS =
  /\b(?:sk-(?:ant-|proj-|svcacct-)?[A-Za-z0-9_-]{8,}|xai-[A-Za-z0-9_-]{8,}|AIza[0-9A-Za-z_-]{20,}|Bearer\s+[A-Za-z0-9._~+/-]{8,}=*)/g;

const REDACTED = "[REDACTED]";

/**
 * Removes API keys from a string: every exact secret given, and anything shaped like a known
 * provider key (`sk-...`, `sk-ant-...`, `xai-...`, `AIza...`, `Bearer ...`).
 *
 * @example
 * ```ts
 * scrubSecrets("Incorrect API key provided: sk-abc123456789", ["sk-abc123456789"]);
 * // "Incorrect API key provided: [REDACTED]"
 * ```
 */
export function scrubSecrets(text: string, secrets: readonly (string | undefined)[] = []): string {
  let out = text;
  for (const secret of secrets) {
    // Very short "keys" (test placeholders) would redact ordinary words; they are not secrets.
    if (secret && secret.length >= 6 && out.includes(secret))
      out = out.split(secret).join(REDACTED);
  }
  KEY_PATTERNS.lastIndex = 0;
  return KEY_PATTERNS.test(out) ? out.replace(KEY_PATTERNS, REDACTED) : out;
}

/**
 * Scrubs secrets from a JSON-like value (strings inside objects and arrays), returning a copy
 * only where something changed.
 */
export function scrubValue<T>(
  value: T,
  secrets: readonly (string | undefined)[] = [],
  depth = 0,
): T {
  if (typeof value === "string") return scrubSecrets(value, secrets) as T;
  if (depth > 8 || value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) {
    let changed = false;
    const out = value.map((v) => {
      const s = scrubValue(v, secrets, depth + 1);
      if (s !== v) changed = true;
      return s;
    });
    return (changed ? out : value) as T;
  }
  if (Object.getPrototypeOf(value) !== Object.prototype) return value;
  let copy: Record<string, unknown> | undefined;
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    const s = scrubValue(v, secrets, depth + 1);
    if (s !== v) {
      copy ??= { ...(value as Record<string, unknown>) };
      copy[k] = s;
    }
  }
  return (copy ?? value) as T;
}

/**
 * Scrubs secrets in place from an error and every error in its `cause` chain: `message`,
 * `stack` and a JSON body kept on `error`/`body` (as the vendor SDKs do). Returns the same error.
 */
export function scrubError<E>(error: E, secrets: readonly (string | undefined)[] = []): E {
  let current: unknown = error;
  for (let depth = 0; depth < 8 && current instanceof Error; depth++) {
    const e = current as Error & { error?: unknown; body?: unknown };
    try {
      e.message = scrubSecrets(e.message, secrets);
      if (e.stack) e.stack = scrubSecrets(e.stack, secrets);
      if (e.error !== undefined) e.error = scrubValue(e.error, secrets);
      if (e.body !== undefined) e.body = scrubValue(e.body, secrets);
    } catch {
      // Frozen or getter-only fields: nothing we can rewrite.
    }
    current = e.cause;
  }
  return error;
}
