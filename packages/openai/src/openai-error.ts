import { RephyscoError, ServiceUnavailableError, TimeoutError } from "@rephysco/core";
import {
  abortReason,
  classifyTransportError,
  createErrorFromResponse,
  ErrorClasses,
  type ErrorClassName,
  errorClassForStatus,
  readErrorFields,
  scrubError,
  scrubSecrets,
  toTransportError,
} from "@rephysco/core/http";
import type { APIConnectionError, APIError } from "openai";
import type { ErrorBodyCapture } from "./error-body-capture.js";
import type {
  OpenAICompatibleErrorContext,
  OpenAICompatibleErrorMapping,
} from "./openai-compatible-config.js";

/**
 * OpenAI's error codes and types -> error classes. Vendors merge their own table over this one.
 * `insufficient_quota` is both a code and a type; it must never be retried, unlike its 429 status.
 */
export const OPENAI_ERROR_CODES: Readonly<Record<string, ErrorClassName>> = {
  invalid_api_key: "authentication",
  insufficient_quota: "quota",
  rate_limit_exceeded: "rate_limit",
  // Azure OpenAI answers a moderation block with 400 and this code.
  content_filter: "content_filter",
  content_policy_violation: "content_filter",
};

/**
 * Classes for `error.type` of an error event inside a 200 stream: there is no status to fall
 * back on there, and the status table would call everything "unavailable".
 */
const STREAM_ERROR_TYPES: Readonly<Record<string, ErrorClassName>> = {
  invalid_request_error: "invalid_request",
  authentication_error: "authentication",
  server_error: "unavailable",
};

/**
 * The `openai` SDK's error classes that {@link mapOpenAIError} tells apart: pass the module the
 * provider loaded (`await import("openai")`), so that `instanceof` sees the very classes that
 * module throws.
 */
export type OpenAISdkErrors = Pick<
  typeof import("openai"),
  "APIError" | "APIConnectionError" | "APIConnectionTimeoutError" | "APIUserAbortError"
>;

/** Options for {@link mapOpenAIError}. */
export interface MapOpenAIErrorOptions {
  /** Registry id of the provider. */
  readonly provider: string;
  /** The API key and anything else to scrub. */
  readonly secrets: readonly (string | undefined)[];
  /**
   * The loaded `openai` module. Absent when the SDK has not been loaded (it failed to load, or
   * the failure came first): then no SDK error can exist, and only other errors are mapped.
   */
  readonly sdk?: OpenAISdkErrors;
  /** The caller's signal: when it aborted, the abort wins over whatever the SDK reports. */
  readonly signal?: AbortSignal;
  /** Code / type -> class table (already merged with {@link OPENAI_ERROR_CODES}). */
  readonly errorCodes: Readonly<Record<string, ErrorClassName>>;
  /** The vendor hook for shapes a table cannot express. */
  readonly mapError?: (
    context: OpenAICompatibleErrorContext,
  ) => OpenAICompatibleErrorMapping | undefined;
  /** Raw error bodies recorded by the provider's `fetch` wrapper. */
  readonly bodies: ErrorBodyCapture;
  /** Headers tried first for the request id. */
  readonly requestIdHeaders?: readonly string[];
  /** `true` once a stream's body is being read (only changes the wording of a failure). */
  readonly inStream: boolean;
}

function parseBody(text: string): unknown {
  if (text.trim() === "") return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/**
 * Turns anything the `openai` SDK (or the stream underneath it) throws into a Rephysco error:
 * HTTP errors by code table, vendor hook, then status; error events inside a stream by code and
 * type; connection failures as {@link ServiceUnavailableError}; anything else through core's one
 * transport classifier. A user abort is returned as the platform's abort error (the signal's
 * reason, or a DOMException `AbortError`) rather than wrapped. Secrets are scrubbed from the
 * message, body and cause.
 *
 * Returns the error to throw.
 */
export function mapOpenAIError(error: unknown, options: MapOpenAIErrorOptions): unknown {
  if (error instanceof RephyscoError) return error;
  const { provider, secrets, sdk } = options;
  if (options.signal?.aborted || (sdk && error instanceof sdk.APIUserAbortError))
    return abortReason(options.signal);
  if (sdk && error instanceof sdk.APIConnectionTimeoutError) {
    // Not the SDK's own timeout (one day, out of the way), but what the SDK makes of a connect
    // timeout (undici's ConnectTimeoutError, ETIMEDOUT) or of a custom fetch that timed out: it
    // matches /timed? ?out/ on the fetch error and drops that error. Core classes those as
    // timeouts too.
    return new TimeoutError(`${provider}: the connection timed out.`, {
      provider,
      reason: "timeout",
      cause: scrubError(error, secrets),
    });
  }
  if (sdk && error instanceof sdk.APIConnectionError) {
    // The SDK wraps whatever fetch threw: a local setup problem (a line break in the key, a
    // bad base URL) must not be retried as an outage, so the fetch error decides.
    const cause = (error as { cause?: unknown }).cause ?? error;
    if (classifyTransportError(cause) === "configuration")
      return toTransportError(cause, { provider, secrets, during: "sending the request" });
    return new ServiceUnavailableError(
      `${provider}: connection failed (${scrubSecrets(connectionReason(error), secrets)}).`,
      { provider, reason: "connection_failed", cause: scrubError(error, secrets) },
    );
  }
  if (sdk && error instanceof sdk.APIError) return mapApiError(error, options);
  // What is left: fetch's own TypeError for a header the SDK validates before fetch (unwrapped),
  // a body read that failed in `generate` (stream bodies fail inside core's SSE reader, already
  // mapped), an error thrown by a subclass hook. Core's classifier decides, like everywhere.
  return toTransportError(error, {
    provider,
    secrets,
    during: options.inStream ? "reading the stream" : "sending the request",
  });
}

function connectionReason(error: APIConnectionError): string {
  const cause = (error as { cause?: unknown }).cause;
  const inner =
    cause instanceof Error ? ((cause as { cause?: unknown }).cause ?? cause) : undefined;
  const code = inner && typeof inner === "object" ? (inner as { code?: unknown }).code : undefined;
  return typeof code === "string" ? code : error.message;
}

function mapApiError(error: APIError, options: MapOpenAIErrorOptions): RephyscoError {
  const { provider, secrets } = options;
  const status = typeof error.status === "number" ? error.status : undefined;
  const headers = error.headers instanceof Headers ? error.headers : undefined;
  const raw = status !== undefined ? options.bodies.get(headers) : undefined;
  const url = options.bodies.url(headers);
  const body =
    raw !== undefined
      ? parseBody(raw)
      : error.error !== undefined
        ? { error: error.error }
        : undefined;
  const fields = readErrorFields(body);
  const context: OpenAICompatibleErrorContext = {
    provider,
    ...(status !== undefined && { status }),
    ...(headers && { headers }),
    body,
    ...fields,
    inStream: status === undefined,
  };
  const override = options.mapError?.(context) ?? {};
  const table = options.errorCodes;
  const className: ErrorClassName | undefined =
    override.errorClass ??
    (fields.code !== undefined ? table[fields.code] : undefined) ??
    (fields.type !== undefined ? table[fields.type] : undefined) ??
    (status === undefined && fields.type !== undefined
      ? STREAM_ERROR_TYPES[fields.type]
      : undefined);
  const errorClass = className ? ErrorClasses[className] : errorClassForStatus(status);
  const text = override.message ?? fields.message;
  const where = status !== undefined ? `HTTP ${status}` : "error event in stream";
  const code = override.code ?? fields.code ?? fields.type;
  const requestId =
    override.requestId ??
    fields.requestId ??
    options.requestIdHeaders?.map((name) => headers?.get(name) ?? undefined).find((v) => v);
  return createErrorFromResponse({
    provider,
    ...(status !== undefined && { status }),
    headers,
    body,
    message: `${provider} ${where}: ${text ?? (status !== undefined ? "no error message in the body" : "unknown error")}`,
    ...(code !== undefined && { code }),
    ...(requestId !== undefined && { requestId }),
    ...(override.retryAfterMs !== undefined && { retryAfterMs: override.retryAfterMs }),
    ...(url !== undefined && { url }),
    cause: error,
    secrets,
    errorClass,
  });
}
