import type { ProviderError, RephyscoError } from "../errors.js";
import { createErrorFromResponse } from "../http-errors.js";
import { readErrorFields } from "../policy.js";
import { DEFAULT_MAX_ERROR_BODY_BYTES as DEFAULT_MAX_BODY } from "./limits.js";
import { toTransportError } from "./network-error.js";

/** What a provider's error mapper learns about a failed response. */
export interface ErrorResponseInfo {
  /** HTTP status. */
  readonly status: number;
  /** Response headers. */
  readonly headers: Headers;
  /** The body: parsed JSON when it was JSON, else the (bounded) text. */
  readonly body: unknown;
}

/**
 * What a provider's error mapper may decide; every field is optional and anything left out falls
 * back to the defaults (class from the status, message and code read from the usual body fields).
 */
export interface MappedError {
  /** The class to build instead of the status-based one. */
  readonly errorClass?: typeof ProviderError;
  /** The provider's message. */
  readonly message?: string;
  /** The provider's error code or type. */
  readonly code?: string;
  /** Request id, when the body carries one. */
  readonly requestId?: string;
  /** Requested wait, when the body carries one (Gemini `RetryInfo`, for example). */
  readonly retryAfterMs?: number;
  /** Extra data for the error. */
  readonly data?: Readonly<Record<string, unknown>>;
}

/** Maps a provider's error body to {@link MappedError} fields; return `undefined` to keep the defaults. */
export type ErrorMapper = (info: ErrorResponseInfo) => MappedError | undefined;

/** Options of {@link errorFromResponse}. */
export interface ErrorFromResponseOptions {
  /** Registry id of the provider. */
  readonly provider: string;
  /** Secrets (the API key) scrubbed from the message, body and cause. */
  readonly secrets?: readonly (string | undefined)[];
  /** Provider-specific mapping of error codes to classes. */
  readonly mapError?: ErrorMapper;
  /** Most bytes of the body read; the rest is discarded. Default 64 KiB. */
  readonly maxBodyBytes?: number;
}

/** Reads at most `max` bytes of a body as text, then cancels the rest so the socket is released. */
export async function readBoundedText(
  response: Response,
  max: number = DEFAULT_MAX_BODY,
): Promise<string> {
  if (!response.body) return "";
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let text = "";
  let bytes = 0;
  try {
    while (bytes < max) {
      const { done, value } = await reader.read();
      if (done) return text + decoder.decode();
      const room = max - bytes;
      const part = value.byteLength > room ? value.subarray(0, room) : value;
      bytes += part.byteLength;
      text += decoder.decode(part, { stream: true });
    }
    await reader.cancel().catch(() => {});
    return `${text + decoder.decode()}…`;
  } finally {
    reader.releaseLock();
  }
}

function parseMaybeJson(text: string): unknown {
  const t = text.trim();
  if (t.startsWith("{") || t.startsWith("[")) {
    try {
      return JSON.parse(t);
    } catch {
      // Not JSON after all (truncated or HTML); keep the text.
    }
  }
  return text;
}

/**
 * Builds the right error class from a non-2xx `Response`: reads the body (JSON or text, at most
 * `maxBodyBytes`), picks the class from the status (401/403 auth, 429 rate limit, 408/409/5xx
 * unavailable, other 4xx invalid request) unless `mapError` says otherwise, parses `retry-after-ms`
 * / `Retry-After`, reads the request id headers, and scrubs secrets. A body that cannot be read
 * still yields the status-based error, with the read failure as `cause`.
 *
 * @example
 * ```ts
 * if (!response.ok) {
 *   throw await errorFromResponse(response, {
 *     provider: "my-llm",
 *     secrets: [apiKey],
 *     mapError: ({ body }) =>
 *       (body as { error?: { type?: string } }).error?.type === "billing_error"
 *         ? { errorClass: QuotaExceededError }
 *         : undefined,
 *   });
 * }
 * ```
 */
export async function errorFromResponse(
  response: Response,
  options: ErrorFromResponseOptions,
): Promise<RephyscoError> {
  const { provider, secrets = [] } = options;
  let body: unknown;
  let readError: unknown;
  try {
    body = parseMaybeJson(
      await readBoundedText(response, options.maxBodyBytes ?? DEFAULT_MAX_BODY),
    );
  } catch (error) {
    readError = toTransportError(error, { provider, secrets, during: "reading the error body" });
  }
  const info: ErrorResponseInfo = { status: response.status, headers: response.headers, body };
  const mapped = options.mapError?.(info) ?? {};
  const fields = typeof body === "string" ? {} : readErrorFields(body);
  const providerMessage = mapped.message ?? fields.message;
  const code = mapped.code ?? fields.code ?? fields.type;
  return createErrorFromResponse({
    provider,
    status: response.status,
    headers: response.headers,
    ...(body !== undefined && body !== "" && { body }),
    ...(providerMessage !== undefined && {
      message: `${provider} HTTP ${response.status}: ${providerMessage}`,
    }),
    ...(code !== undefined && { code }),
    ...((mapped.requestId ?? fields.requestId) !== undefined && {
      requestId: mapped.requestId ?? fields.requestId,
    }),
    ...(response.url && { url: response.url }),
    ...(mapped.retryAfterMs !== undefined && { retryAfterMs: mapped.retryAfterMs }),
    ...(mapped.errorClass !== undefined && { errorClass: mapped.errorClass }),
    ...(mapped.data !== undefined && { data: mapped.data }),
    ...(readError !== undefined && { cause: readError }),
    secrets,
  });
}
