import type { ErrorClassName } from "@rephysco/core/http";

/**
 * SiliconFlow's numeric error codes (its bodies are `{"code":20012,"message":...,"data":null}`,
 * not OpenAI-shaped). Errors without a code (a bare `"Invalid token"` string on 401, the 429
 * rate-limit message) are mapped by their HTTP status.
 */
export const SILICONFLOW_ERROR_CODES: Readonly<Record<string, ErrorClassName>> = {
  /** Model does not exist. */
  "20012": "invalid_request",
  /** A required field is missing or invalid. */
  "20015": "invalid_request",
  /** Insufficient account balance (HTTP 403): waiting does not help, never retried. */
  "30001": "quota",
  /** Service overloaded (HTTP 503). */
  "50505": "unavailable",
};
