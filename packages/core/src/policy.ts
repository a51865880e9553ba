/**
 * Rephysco's policy, in one place: what is retried, what falls back to the next provider, and
 * what a transport failure means. Mechanisms (the retry and fallback stages, the providers'
 * error mappers) ask these predicates and keep no lists of their own.
 */
import {
  AuthenticationError,
  ContentFilterError,
  InvalidOutputError,
  InvalidRequestError,
  ProviderError,
  QuotaExceededError,
  RephyscoError,
} from "./errors.js";
import { isAbortError } from "./retry.js";

export { classifyTransportError, type TransportFailureKind } from "./transport-error.js";

/**
 * May this error be retried? Rate limits (not quota), timeouts, 408/409/5xx and connection
 * failures yes; authentication, invalid request, content filter, quota, configuration errors and
 * aborts never; anything else as the error's own `retryable` says.
 */
export function isRetryableError(error: unknown): boolean {
  if (!(error instanceof RephyscoError)) return false;
  if (
    error instanceof AuthenticationError ||
    error instanceof InvalidRequestError ||
    error instanceof ContentFilterError ||
    error instanceof QuotaExceededError
  ) {
    return false;
  }
  return error.retryable;
}

/**
 * Should this error move on to the next provider? By default every provider error does (rate
 * limits, quota, timeouts, 5xx, connection failures, malformed or oversized answers) except
 * authentication, invalid request and content filter errors, which another provider would
 * answer the same way or which the caller must see; configuration errors and aborts never do.
 */
export function shouldFallbackByDefault(error: unknown): boolean {
  if (isAbortError(error) || !(error instanceof ProviderError)) return false;
  // The shared limit store is down and the caller chose to refuse: every target would wait for
  // the same store, so moving on only adds another timeout.
  if (error.reason === "limits_unavailable") return false;
  return !(
    error instanceof AuthenticationError ||
    error instanceof InvalidRequestError ||
    error instanceof ContentFilterError ||
    error instanceof InvalidOutputError
  );
}

/**
 * Headers that carry a provider's request id, in the order they are tried: generic names first,
 * then vendor ones (SiliconFlow's trace id, Google's and DashScope's request ids).
 */
export const REQUEST_ID_HEADERS: readonly string[] = [
  "x-request-id",
  "request-id",
  "x-siliconcloud-trace-id",
  "x-goog-request-id",
  "x-dashscope-request-id",
];

/** The message, code, type and request id an error body carries. */
export interface ErrorBodyFields {
  /** The provider's message. */
  readonly message?: string;
  /** The provider's code (a string; numeric codes as decimal text). */
  readonly code?: string;
  /** The provider's error type, when it has one apart from the code. */
  readonly type?: string;
  /** A request id in the body (DashScope's `request_id`). */
  readonly requestId?: string;
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);
const text = (v: unknown): string | undefined =>
  typeof v === "string" && v !== "" ? v : undefined;
const codeOf = (v: unknown): string | undefined =>
  typeof v === "number" && Number.isFinite(v) ? String(v) : text(v);

/**
 * Reads an error body the way every provider shapes it: OpenAI's `{error:{message,type,code}}`
 * (DashScope adds a top-level `request_id`), Anthropic's `{type:"error",error:{type,message}}`,
 * Google's `{error:{code,message,status}}` (the status name is the code), xAI's gRPC
 * `{code:"<description>", error:"<message>"}`, SiliconFlow's `{code:20012, message}`, and a
 * bare string. Provider mappers start from these fields.
 */
export function readErrorFields(body: unknown): ErrorBodyFields {
  if (typeof body === "string") {
    const t = body.trim();
    return t !== "" ? { message: t } : {};
  }
  if (!isRecord(body)) return {};
  const requestId = text(body.request_id);
  const inner = body.error;
  let message: string | undefined;
  let code: string | undefined;
  let type: string | undefined;
  if (isRecord(inner)) {
    message = text(inner.message) ?? text(body.message);
    type = text(inner.type);
    // Google puts the RPC status name (RESOURCE_EXHAUSTED) in `status` and the HTTP status in `code`.
    code =
      typeof inner.code === "number" && text(inner.status)
        ? text(inner.status)
        : (codeOf(inner.code) ?? codeOf(body.code));
  } else {
    message = text(inner) ?? text(body.message);
    code = codeOf(body.code);
    type = text(body.type) !== "error" ? text(body.type) : undefined;
  }
  return {
    ...(message !== undefined && { message }),
    ...(code !== undefined && { code }),
    ...(type !== undefined && { type }),
    ...(requestId !== undefined && { requestId }),
  };
}
