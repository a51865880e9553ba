/**
 * Rephysco's policy, in one place: what is retried, what falls back to the next provider, and
 * what a transport failure means. Mechanisms (the retry and fallback stages, the providers'
 * error mappers) ask these predicates and keep no lists of their own.
 */
import {
  AuthenticationError,
  ContentFilterError,
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
  return !(
    error instanceof AuthenticationError ||
    error instanceof InvalidRequestError ||
    error instanceof ContentFilterError
  );
}
