import { ProviderError } from "../errors.js";
import { excerpt } from "../http-errors.js";
import { scrubError, scrubSecrets } from "../scrub.js";

/**
 * Parses the `data` of one server-sent event as JSON. Data that is not JSON raises a
 * non-retryable `ProviderError` (code `malformed_response`) whose message and body hold a short,
 * scrubbed excerpt of what arrived.
 *
 * @example
 * ```ts
 * for await (const ev of readSseEvents(response, { provider, signal })) {
 *   if (ev.data === "[DONE]") break;
 *   const chunk = parseJsonEvent<MyChunk>(ev.data, provider);
 * }
 * ```
 */
export function parseJsonEvent<T>(
  data: string,
  provider: string,
  secrets: readonly (string | undefined)[] = [],
): T {
  try {
    return JSON.parse(data) as T;
  } catch (error) {
    const shown = scrubSecrets(excerpt(data), secrets);
    throw new ProviderError(`${provider}: a stream event is not valid JSON: ${shown}`, {
      provider,
      reason: "malformed_response",
      body: shown,
      cause: scrubError(error, secrets),
    });
  }
}
