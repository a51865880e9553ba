import {
  AuthenticationError,
  ContentFilterError,
  type ErrorReason,
  InvalidRequestError,
  ProviderError,
  QuotaExceededError,
  RateLimitError,
  type RephyscoError,
  ServiceUnavailableError,
} from "./errors.js";
import { REQUEST_ID_HEADERS } from "./policy.js";
import { scrubError, scrubSecrets, scrubValue } from "./scrub.js";

/** Any header container: a `Headers`, a plain record, or nothing. */
export type HeaderSource =
  | Headers
  | Readonly<Record<string, string | string[] | undefined>>
  | undefined
  | null;

/** Reads one header, case-insensitively, from any header container. */
export function getHeader(headers: HeaderSource, name: string): string | undefined {
  if (!headers) return undefined;
  if (typeof (headers as Headers).get === "function")
    return (headers as Headers).get(name) ?? undefined;
  const rec = headers as Record<string, string | string[] | undefined>;
  const lower = name.toLowerCase();
  const v =
    rec[name] ?? rec[lower] ?? Object.entries(rec).find(([k]) => k.toLowerCase() === lower)?.[1];
  return Array.isArray(v) ? v[0] : v;
}

/**
 * The wait a response asks for, in milliseconds: `retry-after-ms` (more precise) first, then
 * `Retry-After` as seconds or as an HTTP date. Returns `undefined` when absent or unparsable.
 */
export function parseRetryAfter(
  headers: HeaderSource,
  now: number = Date.now(),
): number | undefined {
  const ms = getHeader(headers, "retry-after-ms");
  if (ms !== undefined) {
    const n = Number.parseFloat(ms);
    if (Number.isFinite(n) && n >= 0) return n;
  }
  const ra = getHeader(headers, "retry-after");
  if (ra === undefined || ra.trim() === "") return undefined;
  if (/^\s*\d+(\.\d+)?\s*$/.test(ra)) return Number.parseFloat(ra) * 1000;
  const date = Date.parse(ra);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}

/** Parses a Google-style duration such as `"34.4s"` into milliseconds. */
export function parseDurationMs(value: unknown): number | undefined {
  if (typeof value !== "string") return undefined;
  const m = /^(\d+(?:\.\d+)?)s$/.exec(value.trim());
  return m ? Number.parseFloat(m[1]!) * 1000 : undefined;
}

/** The error class the HTTP status alone implies. */
export function errorClassForStatus(status: number | undefined): typeof ProviderError {
  if (status === undefined) return ServiceUnavailableError;
  if (status === 401 || status === 403) return AuthenticationError;
  if (status === 429) return RateLimitError;
  if (status === 408 || status === 409 || status >= 500) return ServiceUnavailableError;
  if (status >= 400) return InvalidRequestError;
  return ProviderError;
}

/** Everything needed to build an error from a provider's HTTP response. */
export interface ResponseErrorInput {
  /** Registry id of the provider. */
  readonly provider: string;
  /** HTTP status. */
  readonly status?: number;
  /** Response headers. */
  readonly headers?: HeaderSource;
  /** The error body: parsed JSON or raw text. */
  readonly body?: unknown;
  /** The provider's message (falls back to a message built from status and body). */
  readonly message?: string;
  /** The provider's error code. */
  readonly code?: string;
  /** Request id; when absent, read from common request-id headers. */
  readonly requestId?: string;
  /** Wait asked for; when absent, read from `retry-after-ms` / `Retry-After`. */
  readonly retryAfterMs?: number;
  /** The original error. */
  readonly cause?: unknown;
  /** Secrets (the API key) to scrub from the message, body and cause. */
  readonly secrets?: readonly (string | undefined)[];
  /** Forces a class instead of the status-based one. */
  readonly errorClass?: typeof ProviderError;
  /** Extra data for the error. */
  readonly data?: Readonly<Record<string, unknown>>;
  /** Text a stream had already delivered when this error arrived. */
  readonly partialContent?: string;
  /** The request URL (scrubbed before it is kept). */
  readonly url?: string;
  /** Rephysco's own reason, when it classified the error itself. */
  readonly reason?: ErrorReason;
  /** Reasoning a stream had already delivered when this error arrived. */
  readonly partialReasoning?: string;
}

/** Trims a body to a short excerpt for error messages. */
export function excerpt(body: unknown, max = 200): string {
  const text = typeof body === "string" ? body : (JSON.stringify(body) ?? String(body));
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

/**
 * Builds the right {@link ProviderError} subclass from an HTTP error response: class from the
 * status (or `errorClass`), Retry-After parsed, request id read from the usual headers, and
 * secrets scrubbed from the message, body and cause.
 */
export function createErrorFromResponse(input: ResponseErrorInput): RephyscoError {
  const secrets = input.secrets ?? [];
  const Cls = input.errorClass ?? errorClassForStatus(input.status);
  let requestId = input.requestId;
  if (requestId === undefined) {
    for (const h of REQUEST_ID_HEADERS) {
      requestId = getHeader(input.headers, h);
      if (requestId) break;
    }
  }
  const retryAfterMs = input.retryAfterMs ?? parseRetryAfter(input.headers);
  const headers = headerRecord(input.headers, secrets);
  const message =
    input.message ??
    `${input.provider} request failed${input.status ? ` with HTTP ${input.status}` : ""}${
      input.body !== undefined && input.body !== "" ? `: ${excerpt(input.body)}` : ""
    }`;
  return new Cls(scrubSecrets(message, secrets), {
    provider: input.provider,
    ...(input.status !== undefined && { status: input.status }),
    ...(input.code !== undefined && { code: input.code }),
    ...(requestId !== undefined && { requestId }),
    ...(retryAfterMs !== undefined && { retryAfterMs }),
    ...(input.body !== undefined && { body: scrubValue(input.body, secrets) }),
    ...(input.cause !== undefined && { cause: scrubError(input.cause, secrets) }),
    ...(input.data !== undefined && { data: input.data }),
    ...(input.partialContent !== undefined && { partialContent: input.partialContent }),
    ...(input.url !== undefined && { url: scrubSecrets(input.url, secrets) }),
    ...(input.reason !== undefined && { reason: input.reason }),
    ...(headers !== undefined && { headers }),
    ...(input.partialReasoning !== undefined && { partialReasoning: input.partialReasoning }),
  });
}

/** The classes provider error tables may map codes to. */
export const ErrorClasses = {
  authentication: AuthenticationError,
  rate_limit: RateLimitError,
  quota: QuotaExceededError,
  content_filter: ContentFilterError,
  invalid_request: InvalidRequestError,
  unavailable: ServiceUnavailableError,
  provider: ProviderError,
} as const;

/** A name in {@link ErrorClasses}, for code -> class tables. */
export type ErrorClassName = keyof typeof ErrorClasses;

/** Response headers as a plain record (lower-case names), every value scrubbed. */
function headerRecord(
  source: HeaderSource,
  secrets: readonly (string | undefined)[],
): Record<string, string> | undefined {
  if (!source) return undefined;
  const out: Record<string, string> = {};
  const entries: Iterable<[string, unknown]> =
    typeof (source as Headers).entries === "function" &&
    typeof (source as Headers).get === "function"
      ? (source as Headers).entries()
      : Object.entries(source);
  for (const [name, value] of entries) {
    if (value === undefined) continue;
    const v = Array.isArray(value) ? value.join(", ") : String(value);
    Object.defineProperty(out, name.toLowerCase(), {
      value: scrubSecrets(v, secrets),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return out;
}
