import { ServiceUnavailableError } from "../errors.js";

export {
  classifyTransportError,
  type TransportErrorContext,
  type TransportFailureKind,
  toTransportError,
} from "../transport-error.js";

/**
 * The error for a stream that stopped before its terminal event (`message_stop`, `[DONE]`, a
 * finish reason): a retryable {@link ServiceUnavailableError}, so that a cut stream is never taken
 * for a complete short answer.
 *
 * @example
 * ```ts
 * if (!sawMessageStop) throw incompleteStreamError("anthropic", "no message_stop event");
 * ```
 */
export function incompleteStreamError(provider: string, detail?: string): ServiceUnavailableError {
  return new ServiceUnavailableError(
    `${provider}: the stream ended before it was complete${detail ? ` (${detail})` : ""}.`,
    { provider, reason: "incomplete_stream" },
  );
}
