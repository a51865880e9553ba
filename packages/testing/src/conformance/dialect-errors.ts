import type { ConformanceDialect } from "./conformance-options.js";

/** The wait every 429 case asks for, in seconds (Retry-After header, and Gemini's RetryInfo). */
export const RETRY_AFTER_SECONDS = 2;

/** The error cases every provider must map, by HTTP status. */
export type ErrorCase = 400 | 401 | 403 | 404 | 429 | 500 | 503;

const GEMINI_STATUS: Record<ErrorCase, string> = {
  400: "INVALID_ARGUMENT",
  401: "UNAUTHENTICATED",
  403: "PERMISSION_DENIED",
  404: "NOT_FOUND",
  429: "RESOURCE_EXHAUSTED",
  500: "INTERNAL",
  503: "UNAVAILABLE",
};

const ANTHROPIC_TYPE: Record<ErrorCase, string> = {
  400: "invalid_request_error",
  401: "authentication_error",
  403: "permission_error",
  404: "not_found_error",
  429: "rate_limit_error",
  500: "api_error",
  503: "overloaded_error",
};

const OPENAI_FIELDS: Record<ErrorCase, { type: string; code: string | null }> = {
  400: { type: "invalid_request_error", code: null },
  401: { type: "invalid_request_error", code: "invalid_api_key" },
  403: { type: "invalid_request_error", code: "unsupported_country_region_territory" },
  404: { type: "invalid_request_error", code: "model_not_found" },
  429: { type: "requests", code: "rate_limit_exceeded" },
  500: { type: "server_error", code: null },
  503: { type: "server_error", code: null },
};

/**
 * A realistic error body for `status` in the dialect's own shape. The message embeds `echo` (the
 * API key) the way some providers echo a bad key, so the kit can check that it is scrubbed.
 */
export function errorBody(dialect: ConformanceDialect, status: ErrorCase, echo: string): unknown {
  const message = `conformance ${status}: request rejected (key ${echo})`;
  if (dialect === "gemini") {
    // Google sends the wait in the body (RetryInfo), not in a Retry-After header.
    const details =
      status === 429
        ? [
            {
              "@type": "type.googleapis.com/google.rpc.RetryInfo",
              retryDelay: `${RETRY_AFTER_SECONDS}s`,
            },
          ]
        : undefined;
    return {
      error: { code: status, message, status: GEMINI_STATUS[status], ...(details && { details }) },
    };
  }
  if (dialect === "anthropic") {
    return {
      type: "error",
      error: { type: ANTHROPIC_TYPE[status], message },
      request_id: "req_conformance",
    };
  }
  return { error: { message, ...OPENAI_FIELDS[status], param: null } };
}
