import { RephyscoError, ServiceUnavailableError, TimeoutError } from "../errors.js";
import { isAbortError } from "../retry.js";
import { scrubError, scrubSecrets } from "../scrub.js";

/** Context for turning a transport failure into a Rephysco error. */
export interface TransportErrorContext {
  /** Registry id of the provider. */
  readonly provider: string;
  /** Secrets (the API key) to keep out of the message and cause chain. */
  readonly secrets?: readonly (string | undefined)[];
  /** The caller's signal: when it is aborted, its reason is returned unchanged. */
  readonly signal?: AbortSignal;
  /** What was being done, for the message ("reading the stream", "connecting to https://..."). */
  readonly during?: string;
}

function causeCode(error: unknown): string | undefined {
  for (let e: unknown = error, depth = 0; e && typeof e === "object" && depth < 5; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && code !== "") return code;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

function causeMessage(error: unknown): string {
  const parts: string[] = [];
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 5; depth++) {
    if (e.message && !parts.includes(e.message)) parts.push(e.message);
    e = e.cause;
  }
  return parts.join(": ") || String(error);
}

/**
 * Classifies an error thrown by `fetch` or by reading a response body:
 * - an abort by the caller's signal is returned as the signal's reason (an `AbortError`), never wrapped,
 *   so that the client can tell a cancellation from a failure;
 * - a `TimeoutError` from `AbortSignal.timeout` becomes a Rephysco {@link TimeoutError};
 * - a Rephysco error is returned unchanged;
 * - anything else (`TypeError: fetch failed`, `ECONNRESET`, `terminated`, ...) becomes a retryable
 *   {@link ServiceUnavailableError} with the original error as `cause` and its errno code as `code`.
 *
 * Secrets are scrubbed from the message and the whole cause chain.
 *
 * @example
 * ```ts
 * try { await reader.read(); }
 * catch (e) { throw toTransportError(e, { provider: "my-llm", secrets: [apiKey], signal }); }
 * ```
 */
export function toTransportError(error: unknown, context: TransportErrorContext): unknown {
  const { provider, secrets = [], signal } = context;
  if (signal?.aborted) return signal.reason ?? error;
  if (error instanceof RephyscoError) return error;
  const name = (error as { name?: unknown } | null)?.name;
  if (name === "TimeoutError") {
    return new TimeoutError(
      `${provider}: the request timed out${context.during ? ` while ${context.during}` : ""}.`,
      {
        provider,
        code: "timeout",
        cause: scrubError(error, secrets),
      },
    );
  }
  if (isAbortError(error)) return error;
  const code = causeCode(error);
  const message = `${provider}: connection failed${context.during ? ` while ${context.during}` : ""}: ${causeMessage(error)}`;
  return new ServiceUnavailableError(scrubSecrets(message, secrets), {
    provider,
    ...(code !== undefined && { code }),
    cause: scrubError(error, secrets),
  });
}

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
    { provider, code: "incomplete_stream" },
  );
}
