import { scrubError, scrubSecrets } from "@rephysco/core";

const REDACTED = "[REDACTED]";

/** A URL anywhere in a text (in a message, a stack, a JSON string). */
const URL_IN_TEXT = /\b[a-z][a-z0-9+.-]*:\/\/[^\s"'<>\\`]+/gi;

function decoded(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/**
 * The credentials a URL carries, for {@link scrubUrlSecrets}: the user name and password (as
 * written and decoded) with their `user:password@` form, and each query value with its
 * `name=value` form. The `name=value` and `…@` forms are removed whatever their length.
 */
export function urlCredentials(url: string | URL | undefined): string[] {
  if (url === undefined) return [];
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return [];
  }
  const out: string[] = [];
  if (u.username || u.password) {
    out.push(u.username, decoded(u.username), u.password, decoded(u.password));
    out.push(`${u.username}${u.password ? `:${u.password}` : ""}@`);
  }
  for (const pair of u.search.slice(1).split("&")) {
    const eq = pair.indexOf("=");
    if (eq < 0 || eq === pair.length - 1) continue;
    const value = pair.slice(eq + 1);
    out.push(pair, value, decoded(value));
  }
  return out.filter((s) => s !== "");
}

/** A URL with its user info and query replaced (fragment kept): the host and path stay readable. */
function redactUrl(url: string): string {
  // Punctuation that ends a sentence is not part of the URL (and a URL scrubbed before ends in
  // `[REDACTED]`, whose bracket is no punctuation).
  const trail = url.endsWith(REDACTED) ? "" : (/[.,;:!)\]}]+$/.exec(url)?.[0] ?? "");
  const core = trail ? url.slice(0, -trail.length) : url;
  return (
    core
      .replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/?#]*@/i, `$1${REDACTED}@`)
      .replace(/\?[^#]*/, `?${REDACTED}`) + trail
  );
}

/**
 * Removes secrets from a text: the exact `secrets` given (the API key, {@link urlCredentials}
 * of the base URL or of an image URL), anything shaped like a known key, and the user info and
 * query of every URL in it (`http://user:pw@host/p?key=v` -> `http://[REDACTED]@host/p?[REDACTED]`).
 * Core's `scrubSecrets` leaves values under 6 characters alone; their `user:pw@` and `key=v`
 * forms are removed here whatever their length.
 */
export function scrubUrlSecrets(text: string, secrets: readonly (string | undefined)[]): string {
  let out = scrubSecrets(text, secrets);
  for (const secret of secrets) {
    if (!secret || !out.includes(secret)) continue;
    if (secret.endsWith("@")) out = out.split(secret).join(`${REDACTED}@`);
    else if (/^[^=]+=./.test(secret)) {
      const name = secret.slice(0, secret.indexOf("=") + 1);
      out = out.split(secret).join(`${name}${REDACTED}`);
    }
  }
  return out.includes("://") ? out.replace(URL_IN_TEXT, redactUrl) : out;
}

/**
 * {@link scrubUrlSecrets} in place over an error: its message and stack, and those of every error
 * in its `cause` chain and `errors` list; then core's `scrubError` for bodies kept on them.
 * Returns the same error.
 */
export function scrubErrorUrls<E>(error: E, secrets: readonly (string | undefined)[]): E {
  const pending: unknown[] = [error];
  const seen = new Set<unknown>();
  while (pending.length > 0) {
    const e = pending.pop();
    if (!(e instanceof Error) || seen.has(e)) continue;
    seen.add(e);
    for (const field of ["message", "stack"] as const) {
      try {
        const text = e[field];
        if (typeof text === "string") {
          const clean = scrubUrlSecrets(text, secrets);
          if (clean !== text) e[field] = clean;
        }
      } catch {
        // A read-only field (a DOMException's message): it holds no URL of ours.
      }
    }
    pending.push(e.cause);
    const errors = (e as { errors?: unknown }).errors;
    if (Array.isArray(errors)) pending.push(...errors);
  }
  return scrubError(error, secrets);
}
