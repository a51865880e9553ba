import {
  AuthenticationError,
  ContentFilterError,
  InvalidRequestError,
  type ProviderError,
  QuotaExceededError,
  RateLimitError,
  type RephyscoError,
  ServiceUnavailableError,
} from "@rephysco/core";
import {
  createErrorFromResponse,
  type ErrorResponseInfo,
  type MappedError,
} from "@rephysco/core/http";
import type { AnthropicErrorBody } from "./anthropic-api-types.js";

/** Anthropic `error.type` values and the class each becomes. */
const CLASS_BY_TYPE: Readonly<Record<string, typeof ProviderError>> = {
  authentication_error: AuthenticationError,
  permission_error: AuthenticationError,
  invalid_request_error: InvalidRequestError,
  not_found_error: InvalidRequestError,
  request_too_large: InvalidRequestError,
  rate_limit_error: RateLimitError,
  billing_error: QuotaExceededError,
  overloaded_error: ServiceUnavailableError,
  api_error: ServiceUnavailableError,
  timeout_error: ServiceUnavailableError,
};

/** The HTTP status Anthropic uses for each `error.type`, for errors that arrive inside a 200 stream. */
const STATUS_BY_TYPE: Readonly<Record<string, number>> = {
  invalid_request_error: 400,
  authentication_error: 401,
  billing_error: 402,
  permission_error: 403,
  not_found_error: 404,
  request_too_large: 413,
  rate_limit_error: 429,
  api_error: 500,
  timeout_error: 504,
  overloaded_error: 529,
};

/**
 * Reads an Anthropic error body (`{type:"error", error:{type, message}, request_id}`) into the
 * error class, code, message and request id. Classes follow `error.type`, not the status, so a
 * proxy that rewrites 529 still yields `ServiceUnavailableError`.
 */
export function mapAnthropicError(info: Pick<ErrorResponseInfo, "body">): MappedError | undefined {
  const body = info.body as AnthropicErrorBody | undefined;
  const err = body && typeof body === "object" ? body.error : undefined;
  if (!err || typeof err !== "object") return undefined;
  const type = typeof err.type === "string" ? err.type : undefined;
  let errorClass = type ? CLASS_BY_TYPE[type] : undefined;
  // A spending limit arrives as a 429 rate_limit_error with this code; waiting a minute does not help.
  if (type === "rate_limit_error" && err.details?.error_code === "enforced_spend_limit_reached") {
    errorClass = QuotaExceededError;
  }
  // An exhausted prepaid balance is a 400 invalid_request_error whose only marker is the English
  // message (Anthropic gives no code for it), so this one case is matched on text.
  if (type === "invalid_request_error" && /credit balance is too low/i.test(err.message ?? "")) {
    errorClass = QuotaExceededError;
  }
  return {
    ...(errorClass !== undefined && { errorClass }),
    ...(typeof err.message === "string" && { message: err.message }),
    ...(type !== undefined && { code: err.details?.error_code ?? type }),
    ...(typeof body?.request_id === "string" && { requestId: body.request_id }),
  };
}

/**
 * Builds the error for an `error` event received in the middle of a stream (HTTP status was 200):
 * the class and status follow `error.type` (`overloaded_error` is a retryable 529).
 */
export function anthropicStreamError(
  body: AnthropicErrorBody,
  context: {
    provider: string;
    secrets: readonly string[];
    headers?: Headers;
    partialContent?: string;
    partialReasoning?: string;
  },
): RephyscoError {
  const type = body.error?.type;
  const mapped = mapAnthropicError({ body }) ?? {};
  const status = type ? STATUS_BY_TYPE[type] : undefined;
  return createErrorFromResponse({
    provider: context.provider,
    ...(status !== undefined && { status }),
    ...(context.headers && { headers: context.headers }),
    body,
    message: `${context.provider} stream error${type ? ` (${type})` : ""}: ${mapped.message ?? "no message"}`,
    ...(mapped.code !== undefined && { code: mapped.code }),
    ...(mapped.requestId !== undefined && { requestId: mapped.requestId }),
    // Without a known type the event still means the answer failed upstream: retryable unavailability.
    errorClass: mapped.errorClass ?? ServiceUnavailableError,
    secrets: context.secrets,
    ...(context.partialContent !== undefined && { partialContent: context.partialContent }),
    ...(context.partialReasoning !== undefined && { partialReasoning: context.partialReasoning }),
  });
}

/**
 * The error for `stop_reason: "refusal"`: Claude declined to answer on safety grounds. In a
 * stream it carries the text and thinking delivered before the refusal.
 */
export function anthropicRefusalError(
  provider: string,
  details: {
    partialContent?: string;
    partialReasoning?: string;
    requestId?: string;
    body?: unknown;
  },
): ContentFilterError {
  return new ContentFilterError(
    `${provider}: the model refused to answer (stop_reason "refusal").`,
    {
      provider,
      reason: "refusal",
      ...(details.requestId !== undefined && { requestId: details.requestId }),
      ...(details.partialContent !== undefined &&
        details.partialContent !== "" && { partialContent: details.partialContent }),
      ...(details.partialReasoning !== undefined &&
        details.partialReasoning !== "" && { partialReasoning: details.partialReasoning }),
      ...(details.body !== undefined && { body: details.body }),
    },
  );
}
