import type { Candidate, GenerateContentResponsePromptFeedback } from "@google/genai";
import {
  AuthenticationError,
  ContentFilterError,
  isAbortError,
  ProviderError,
  RephyscoError,
  ServiceUnavailableError,
} from "@rephysco/core";
import {
  abortReason,
  classifyTransportError,
  createErrorFromResponse,
  DEFAULT_MAX_ERROR_BODY_BYTES,
  excerpt,
  hasTransportCode,
  parseDurationMs,
  scrubError,
  scrubSecrets,
  toTransportError,
} from "@rephysco/core/http";
import type { RecordedErrorResponse } from "./call-fetch.js";

/** One entry of a Google RPC error's `details` (ErrorInfo, RetryInfo, QuotaFailure, ...). */
interface GoogleErrorDetail {
  readonly "@type"?: string;
  readonly reason?: string;
  readonly retryDelay?: string;
}

/** The body Google APIs send with an HTTP error: `{ error: { code, message, status, details } }`. */
export interface GoogleErrorBody {
  readonly error?: {
    readonly code?: number;
    readonly message?: string;
    readonly status?: string;
    readonly details?: readonly GoogleErrorDetail[];
  };
}

/** What {@link toGeminiError} needs to know about the call that failed. */
export interface GeminiErrorContext {
  /** Registry id put on errors. */
  readonly provider: string;
  /**
   * Secrets scrubbed from messages, bodies and causes: the API key and the credentials of the
   * base URL (`urlCredentials`). User info and query of any URL are scrubbed as well.
   */
  readonly secrets: readonly string[];
  /** The caller's signal: when it fired, the platform abort error is rethrown as is. */
  readonly signal?: AbortSignal | undefined;
  /** The HTTP error response of the call, when it got one (body, Retry-After, request ids). */
  readonly response?: RecordedErrorResponse | undefined;
}

/** Longest provider message put in an error's message; the body keeps the rest (bounded). */
const MAX_MESSAGE_CHARS = 500;

function parseJsonOrText(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/**
 * The SDK's `ApiError` carries the HTTP status and, as its message, the JSON error body
 * (`JSON.stringify(body)`, or `got status: X. {json}` for an error event inside a stream).
 * Reads the body back; returns the raw text when it is not JSON.
 */
export function parseGeminiErrorBody(message: string): unknown {
  const start = message.indexOf("{");
  if (start === -1) return message;
  try {
    return JSON.parse(message.slice(start));
  } catch {
    return message;
  }
}

function isApiError(e: unknown): e is Error & { status: number } {
  return (
    e instanceof Error &&
    e.name === "ApiError" &&
    typeof (e as { status?: unknown }).status === "number"
  );
}

/** The fields of a Google error that decide the Rephysco error. */
interface GoogleErrorFields {
  readonly message?: string | undefined;
  readonly status?: string | undefined;
  readonly reason?: string | undefined;
  readonly retryDelay?: string | undefined;
}

function fieldsOf(body: GoogleErrorBody): GoogleErrorFields {
  const err = body.error;
  const details = Array.isArray(err?.details) ? err.details : [];
  return {
    message: typeof err?.message === "string" ? err.message : undefined,
    status: typeof err?.status === "string" ? err.status : undefined,
    reason: details.find((d) => d?.["@type"]?.endsWith("google.rpc.ErrorInfo"))?.reason,
    retryDelay: details.find((d) => d?.["@type"]?.endsWith("google.rpc.RetryInfo"))?.retryDelay,
  };
}

/**
 * The same fields read from the first 64 KiB of a body too large to read whole: Google puts
 * `code` and `status` before `details`, so a cut-off body usually still says what went wrong.
 */
function salvageFields(text: string): GoogleErrorFields {
  const grab = (name: string, value: string) =>
    new RegExp(`"${name}"\\s*:\\s*"(${value})`).exec(text)?.[1];
  const rawMessage = grab("message", `(?:[^"\\\\]|\\\\.){0,${MAX_MESSAGE_CHARS}}`);
  let message = rawMessage;
  try {
    if (rawMessage !== undefined) message = JSON.parse(`"${rawMessage}"`) as string;
  } catch {
    // Cut inside an escape: the raw text is close enough for a message.
  }
  return {
    message,
    status: grab("status", "[A-Z_]+"),
    reason: grab("reason", "[A-Z_]+"),
    retryDelay: grab("retryDelay", "\\d+(?:\\.\\d+)?s"),
  };
}

function fromApiError(e: Error & { status: number }, ctx: GeminiErrorContext): RephyscoError {
  // The body as the server sent it (read by our fetch wrapper, at most 64 KiB), or for an
  // error event inside a stream, as the SDK put it in its message.
  const recorded = ctx.response?.status === e.status ? ctx.response : undefined;
  let text = scrubSecrets(recorded?.text ?? e.message, ctx.secrets);
  if (text.length > DEFAULT_MAX_ERROR_BODY_BYTES) {
    text = `${text.slice(0, DEFAULT_MAX_ERROR_BODY_BYTES)}…`;
  }
  const body = recorded ? parseJsonOrText(text) : parseGeminiErrorBody(text);
  const fields =
    typeof body === "object" && body !== null
      ? fieldsOf(body as GoogleErrorBody)
      : salvageFields(text);
  const { reason } = fields;
  // A body that is not Google's JSON (an HTML page from a proxy, plain text) is its own message.
  const message =
    fields.message || (typeof body === "string" && body.trim() !== "" ? body.trim() : undefined);
  // Only an RPC code name (UPPER_SNAKE) is a Google status worth keeping: the SDK, and some
  // proxies, put the HTTP status text ("Bad Gateway") there.
  const code =
    fields.status !== undefined && /^[A-Z_]+$/.test(fields.status) ? fields.status : undefined;
  const retryAfterMs = parseDurationMs(fields.retryDelay);
  return createErrorFromResponse({
    provider: ctx.provider,
    status: e.status,
    headers: recorded?.headers,
    ...(recorded?.url && { url: recorded.url }),
    ...(body !== "" && { body }),
    ...(message !== undefined && { message: `Gemini: ${excerpt(message, MAX_MESSAGE_CHARS)}` }),
    ...(code !== undefined && { code }),
    ...(retryAfterMs !== undefined && { retryAfterMs }),
    cause: scrubError(e, ctx.secrets),
    secrets: ctx.secrets,
    // Gemini reports a bad key as 400 INVALID_ARGUMENT, told apart only by the ErrorInfo reason.
    ...(e.status === 400 && reason === "API_KEY_INVALID" && { errorClass: AuthenticationError }),
    ...(reason !== undefined && { data: { reason } }),
  });
}

/**
 * Converts anything the Gemini SDK throws into what Rephysco throws:
 * - the caller's abort: the signal's reason (the platform `AbortError` for a plain `abort()`);
 * - `ApiError` (HTTP error or error event in a stream): the class its status implies, except
 *   400 with reason `API_KEY_INVALID` -> `AuthenticationError`; 429 carries `retryAfterMs` from
 *   `RetryInfo.retryDelay`, else from `retry-after-ms` / `Retry-After` headers (sent by proxies);
 *   `code` is the Google status (`RESOURCE_EXHAUSTED`, ...), read from the body our fetch
 *   wrapper kept (at most 64 KiB), even when it was cut off; the message carries at most 500
 *   characters of Google's message;
 * - a Rephysco error (`response_too_large` from the size caps, an image download error): as is,
 *   so that the SDK passing it through cannot turn it into a retryable failure;
 * - connection failures, before or during a stream: `ServiceUnavailableError`;
 * - a stream cut inside an event, or an unparsable body: see the inline notes.
 *
 * Returns the error to throw; the secrets in `ctx`, and the user info and query of any URL,
 * never appear in it or in its cause chain.
 */
export function toGeminiError(error: unknown, ctx: GeminiErrorContext): unknown {
  if (error instanceof RephyscoError) return error;
  // As fetch does: a caller's abort rejects with the signal's reason (an `AbortError` unless
  // the caller gave another reason).
  if (ctx.signal?.aborted) return abortReason(ctx.signal);
  if (isAbortError(error)) return error;
  if (isApiError(error)) return fromApiError(error, ctx);
  const cause = scrubError(error, ctx.secrets);
  const detail =
    cause instanceof Error
      ? scrubSecrets(cause.message, ctx.secrets)
      : scrubSecrets(String(cause), ctx.secrets);
  // Below HTTP, the one classification every provider uses (a bad header value is a
  // ConfigurationError, never retried; a reset or refused connection is retried).
  const kind = classifyTransportError(error);
  if (kind !== "connection" || hasTransportCode(error))
    return toTransportError(cause, { provider: ctx.provider, secrets: ctx.secrets });
  if (error instanceof Error) {
    // The SDK gives these two failures no type or code, only its own wording, so the text is
    // the only thing to go by: a body that ends inside an event is a cut stream, a chunk that
    // does not parse is a malformed answer.
    if (error.message.startsWith("Incomplete JSON segment at the end")) {
      return new ServiceUnavailableError("Gemini: the stream ended in the middle of an event.", {
        provider: ctx.provider,
        reason: "incomplete_stream",
        cause,
      });
    }
    if (
      error.message.startsWith("exception parsing stream chunk") ||
      error instanceof SyntaxError
    ) {
      return new ProviderError(`Gemini: the response is not valid JSON: ${excerpt(detail)}`, {
        provider: ctx.provider,
        reason: "malformed_response",
        cause,
      });
    }
  }
  return new ProviderError(`Gemini: the request failed: ${excerpt(detail)}`, {
    provider: ctx.provider,
    cause,
  });
}

/**
 * The prompt itself was blocked (`promptFeedback.blockReason`, HTTP 200 with no candidates).
 * `code` is the block reason; `data` holds it with the safety ratings.
 */
export function promptBlockedError(
  feedback: GenerateContentResponsePromptFeedback,
  provider: string,
): ContentFilterError {
  const blockReason = String(feedback.blockReason);
  return new ContentFilterError(`Gemini blocked the prompt (${blockReason}).`, {
    provider,
    code: blockReason,
    data: { blockReason, safetyRatings: feedback.safetyRatings ?? [] },
  });
}

/**
 * The answer was stopped on content grounds (`finishReason` SAFETY, RECITATION, ...).
 * `code` is the finish reason; `data` holds it with the candidate's safety ratings; text received
 * before the stop is kept as `partialContent` / `partialReasoning`.
 */
export function answerFilteredError(
  candidate: Candidate,
  provider: string,
  partial: { readonly content: string; readonly reasoning: string },
): ContentFilterError {
  const finishReason = String(candidate.finishReason);
  return new ContentFilterError(`Gemini stopped the answer on content grounds (${finishReason}).`, {
    provider,
    code: finishReason,
    data: { finishReason, safetyRatings: candidate.safetyRatings ?? [] },
    ...(partial.content !== "" && { partialContent: partial.content }),
    ...(partial.reasoning !== "" && { partialReasoning: partial.reasoning }),
  });
}

/** A 200 answer with neither candidates nor prompt feedback: nothing we can use. */
export function malformedResponseError(raw: unknown, provider: string): ProviderError {
  return new ProviderError(
    `Gemini returned a response with no candidates and no prompt feedback: ${excerpt(raw)}`,
    { provider, reason: "malformed_response", body: raw },
  );
}
