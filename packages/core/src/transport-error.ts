/**
 * The one place that decides what a failure below HTTP means: a caller's abort, a timeout, a
 * local configuration or input problem (never retried), or a connection failure (retried).
 * Every provider and the client use it; there is no other list of errno codes.
 */
import {
  ConfigurationError,
  RephyscoError,
  ServiceUnavailableError,
  TimeoutError,
} from "./errors.js";
import { isAbortError } from "./retry.js";
import { scrubError, scrubSecrets } from "./scrub.js";

/** What a transport failure was. */
export type TransportFailureKind =
  /** The caller's signal (or an `AbortError`). */
  | "abort"
  /** A socket, headers or body timeout. */
  | "timeout"
  /**
   * Rejected before any connection, for a reason in the caller's setup: a header value with a
   * line break, a base URL with credentials or an unsupported scheme, a blocked port, a body
   * that cannot be serialized. The same request would fail the same way forever.
   */
  | "configuration"
  /** The connection failed or was cut (refused, reset, DNS, TLS, a body that stopped). */
  | "connection";

/** Node and undici codes that mean the request was never valid, whatever the network does. */
const CONFIGURATION_CODES = new Set([
  "ERR_INVALID_URL",
  "ERR_INVALID_ARG_TYPE",
  "ERR_INVALID_ARG_VALUE",
  "ERR_INVALID_CHAR",
  "ERR_INVALID_HTTP_TOKEN",
  "ERR_INVALID_PROTOCOL",
  "ERR_UNESCAPED_CHARACTERS",
  "UND_ERR_INVALID_ARG",
  "UND_ERR_NOT_SUPPORTED",
]);

const TIMEOUT_CODES = new Set([
  "ETIMEDOUT",
  "UND_ERR_CONNECT_TIMEOUT",
  "UND_ERR_HEADERS_TIMEOUT",
  "UND_ERR_BODY_TIMEOUT",
]);

/** Most links of a cause chain looked at (chains are short; cycles are possible). */
const MAX_CHAIN = 8;

/** Every string `code` along the cause chain, outermost first. */
function chainCodes(error: unknown): string[] {
  const codes: string[] = [];
  let e: unknown = error;
  for (let depth = 0; e !== null && typeof e === "object" && depth < MAX_CHAIN; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && code !== "") codes.push(code);
    e = (e as { cause?: unknown }).cause;
  }
  return codes;
}

/**
 * `true` when a code (errno, undici, Node `ERR_*`) is somewhere in the cause chain: a failure of
 * the transport, as opposed to an error a library raised on its own.
 */
export function hasTransportCode(error: unknown): boolean {
  return chainCodes(error).length > 0;
}

/**
 * Classifies an error thrown by `fetch`, a vendor SDK's transport, or a body read. Decided by
 * error names and codes (errno, undici, Node `ERR_*`), never by message text: `fetch` rejects
 * local problems with a `TypeError` that carries no network code, and network failures with a
 * `TypeError` whose cause carries one.
 *
 * @example
 * ```ts
 * classifyTransportError(new TypeError("fetch failed", { cause: { code: "ECONNRESET" } })); // "connection"
 * ```
 */
export function classifyTransportError(error: unknown): TransportFailureKind {
  if (isAbortError(error)) return "abort";
  if ((error as { name?: unknown } | null)?.name === "TimeoutError") return "timeout";
  const codes = chainCodes(error);
  if (codes.some((c) => CONFIGURATION_CODES.has(c))) return "configuration";
  if (codes.some((c) => TIMEOUT_CODES.has(c))) return "timeout";
  if (codes.length > 0) return "connection";
  // No code anywhere: fetch's own validation (a bad header value, credentials in the URL, an
  // unknown scheme, a blocked port) or a serialization failure (a BigInt, a cycle).
  for (let e: unknown = error, d = 0; e instanceof Error && d < MAX_CHAIN; d++) {
    // (A SyntaxError is a body that did not parse: a malformed answer, not a setup problem.)
    if (e instanceof TypeError || e instanceof RangeError) {
      // undici's `TypeError: terminated` (a body cut mid-read) always carries a socket cause
      // with a code, so it was classified above.
      return "configuration";
    }
    e = e.cause;
  }
  return "connection";
}

/** Context for turning a transport failure into a Rephysco error. */
export interface TransportErrorContext {
  /** Registry id of the provider. */
  readonly provider: string;
  /** Secrets (the API key) to keep out of the message and cause chain. */
  readonly secrets?: readonly (string | undefined)[];
  /** The caller's signal: when it is aborted, its reason is returned unchanged. */
  readonly signal?: AbortSignal;
  /** What was being done, for the message ("reading the stream", "connecting to https://..."). */
  readonly during?: string;
}

function causeMessage(error: unknown): string {
  const parts: string[] = [];
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 5; depth++) {
    if (e.message && !parts.includes(e.message)) parts.push(e.message);
    e = e.cause;
  }
  return parts.join(": ") || String(error);
}

/**
 * Turns an error thrown by `fetch`, a vendor SDK's transport, or a body read into what Rephysco
 * throws (see {@link classifyTransportError}):
 * - an abort by the caller's signal: the signal's reason, never wrapped;
 * - a timeout: a retryable {@link TimeoutError};
 * - a local configuration problem: a {@link ConfigurationError} (never retried, never a
 *   fallback trigger) that says what to check;
 * - a connection failure: a retryable {@link ServiceUnavailableError}, reason `connection_failed`
 *   (the errno code stays on the cause chain);
 * - a Rephysco error: unchanged.
 *
 * Secrets are scrubbed from the message and the whole cause chain.
 *
 * @example
 * ```ts
 * try { await reader.read(); }
 * catch (e) { throw toTransportError(e, { provider: "my-llm", secrets: [apiKey], signal }); }
 * ```
 */
export function toTransportError(error: unknown, context: TransportErrorContext): unknown {
  const { provider, secrets = [], signal } = context;
  if (signal?.aborted) return signal.reason ?? error;
  if (error instanceof RephyscoError) return error;
  const during = context.during ? ` while ${context.during}` : "";
  switch (classifyTransportError(error)) {
    case "abort":
      return error;
    case "timeout":
      return new TimeoutError(`${provider}: the request timed out${during}.`, {
        provider,
        reason: "timeout",
        cause: scrubError(error, secrets),
      });
    case "configuration":
      return new ConfigurationError(
        scrubSecrets(
          `${provider}: the request could not be sent${during}: ${causeMessage(error)}. Check the base URL, the API key and the headers in the settings (no line breaks, no credentials in the URL, http or https only).`,
          secrets,
        ),
        { provider, reason: "invalid_setup", cause: scrubError(error, secrets) },
      );
    default: {
      // The errno (ECONNRESET, ENOTFOUND, ...) stays where Node put it, on the cause chain.
      return new ServiceUnavailableError(
        scrubSecrets(`${provider}: connection failed${during}: ${causeMessage(error)}`, secrets),
        {
          provider,
          reason: "connection_failed",
          cause: scrubError(error, secrets),
        },
      );
    }
  }
}
