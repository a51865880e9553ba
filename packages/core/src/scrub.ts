/**
 * Shapes of API keys that providers echo back in error messages ("Incorrect API key provided:
 * sk-..."). Keys are also scrubbed by exact value when the provider knows it.
 */
const KEY_PATTERNS =
  /\b(?:sk-(?:ant-|proj-|svcacct-)?[A-Za-z0-9_-]{8,}|xai-[A-Za-z0-9_-]{8,}|AIza[0-9A-Za-z_-]{20,}|Bearer\s+[A-Za-z0-9._~+/-]{8,}=*)/g;

/**
 * Credentials inside URLs, whatever their length: the `user:password@` of an authority, and the
 * value of every query parameter of a URL (signed URLs and gateways put tokens under any name),
 * plus token-like parameters (`key=`, `token=`, `sig=`...) wherever they appear.
 */
const URL_PATTERNS =
  /(?<=[a-z][a-z0-9+.-]*:\/\/)[^\s/?#@"'<>]+@|(?<=[a-z][a-z0-9+.-]*:\/\/[^\s?#"'<>]*\?(?:[^\s#"'<>]*&)?[^\s=&#"'<>]+=)[^&\s#;"'<>]+|(?<=[?&](?:key|api[_-]?key|apikey|token|access[_-]?token|auth|authorization|sig|signature|password|pass|secret|x-goog-api-key|code)=)[^&\s#;"'<>]+/gi;

const REDACTED = "[REDACTED]";

/**
 * Removes API keys from a string: every exact secret given, anything shaped like a known
 * provider key (`sk-...`, `sk-ant-...`, `xai-...`, `AIza...`, `Bearer ...`), the userinfo of any
 * URL (`https://user:pass@host`) and token-like query parameters (`?key=...`, `&token=...`).
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
  if (KEY_PATTERNS.test(out)) out = out.replace(KEY_PATTERNS, REDACTED);
  // Cheap pre-check: most messages hold no URL at all.
  if (out.includes("://") || out.includes("=")) {
    URL_PATTERNS.lastIndex = 0;
    out = out.replace(URL_PATTERNS, (m) => (m.endsWith("@") ? `${REDACTED}@` : REDACTED));
  }
  return out;
}

/**
 * The parts of a URL that are credentials (user name, password, query values), for exact-value
 * scrubbing of a provider's base URL. Values shorter than 6 characters are still removed from
 * URLs by {@link scrubSecrets}' URL patterns, but not as free text.
 */
export function urlSecrets(url: string | undefined): string[] {
  if (!url) return [];
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return [];
  }
  const out: string[] = [];
  if (parsed.username) out.push(parsed.username, decodeURIComponentSafe(parsed.username));
  if (parsed.password) out.push(parsed.password, decodeURIComponentSafe(parsed.password));
  for (const value of parsed.searchParams.values()) if (value) out.push(value);
  return out;
}

function decodeURIComponentSafe(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

function isPlainObject(value: object): boolean {
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function scrubInner(
  value: unknown,
  secrets: readonly (string | undefined)[],
  seen: Map<object, unknown>,
): unknown {
  if (typeof value === "string") return scrubSecrets(value, secrets);
  if (value === null || typeof value !== "object") return value;
  // Cycle-safe, and a shared sub-object is scrubbed once.
  if (seen.has(value)) return seen.get(value);
  if (Array.isArray(value)) {
    seen.set(value, value);
    let out: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const s = scrubInner(value[i], secrets, seen);
      if (s !== value[i]) {
        out ??= value.slice();
        out[i] = s;
      }
    }
    if (out) seen.set(value, out);
    return out ?? value;
  }
  if (typeof Headers !== "undefined" && value instanceof Headers) {
    const out = scrubHeaders(value, secrets);
    seen.set(value, out);
    return out;
  }
  if (!isPlainObject(value)) return value;
  seen.set(value, value);
  let copy: Record<string, unknown> | undefined;
  for (const k of Object.keys(value)) {
    const v = (value as Record<string, unknown>)[k];
    const s = scrubInner(v, secrets, seen);
    if (s !== v) {
      if (!copy) {
        copy = Object.create(Object.getPrototypeOf(value)) as Record<string, unknown>;
        // defineProperty keeps an own `__proto__` key (from JSON.parse) as data.
        for (const key of Object.keys(value))
          Object.defineProperty(copy, key, {
            value: (value as Record<string, unknown>)[key],
            enumerable: true,
            writable: true,
            configurable: true,
          });
        seen.set(value, copy);
      }
      Object.defineProperty(copy, k, {
        value: s,
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
  }
  return copy ?? value;
}

/**
 * Scrubs secrets from a JSON-like value (strings inside objects, arrays and `Headers`, at any
 * depth, cycles included), returning a copy only where something changed.
 */
export function scrubValue<T>(value: T, secrets: readonly (string | undefined)[] = []): T {
  return scrubInner(value, secrets, new Map()) as T;
}

/** A copy of `headers` with secrets scrubbed from every value; the same object when clean. */
function scrubHeaders(headers: Headers, secrets: readonly (string | undefined)[]): Headers {
  let out: Headers | undefined;
  for (const [name, value] of headers) {
    const s = scrubSecrets(value, secrets);
    if (s !== value) {
      out ??= new Headers(headers);
      out.set(name, s);
    }
  }
  return out ?? headers;
}

const ERROR_FIELDS = ["error", "body", "headers", "response", "request", "data"] as const;

/**
 * Scrubs secrets in place from an error and every error in its `cause` chain (and `errors` of an
 * `AggregateError`): `message`, `stack`, and what the vendor SDKs keep on an error (`error`,
 * `body`, `headers`, `response`, `request`, `data`), at any depth. Returns the same error.
 */
export function scrubError<E>(error: E, secrets: readonly (string | undefined)[] = []): E {
  const pending: unknown[] = [error];
  const visited = new Set<unknown>();
  const seen = new Map<object, unknown>();
  while (pending.length > 0) {
    const current = pending.pop();
    if (!(current instanceof Error) || visited.has(current)) continue;
    visited.add(current);
    const e = current as Error & Record<string, unknown>;
    try {
      e.message = scrubSecrets(e.message, secrets);
      if (e.stack) e.stack = scrubSecrets(e.stack, secrets);
    } catch {
      // Frozen or getter-only fields: nothing we can rewrite.
    }
    for (const field of ERROR_FIELDS) {
      try {
        const v = e[field];
        if (v === undefined || v === null) continue;
        const s = scrubInner(v, secrets, seen);
        if (s !== v) e[field] = s;
      } catch {
        // A getter that throws, or a read-only field.
      }
    }
    pending.push(e.cause);
    if (Array.isArray(e.errors)) pending.push(...e.errors);
  }
  return error;
}
