import { ProviderError } from "../errors.js";
import { excerpt } from "../http-errors.js";
import { scrubError, scrubSecrets } from "../scrub.js";
import { readLimitedText } from "./limits.js";
import { toTransportError } from "./network-error.js";

/** Options of {@link readJsonBody}. */
export interface ReadJsonBodyOptions {
  /** Registry id of the provider, for errors. */
  readonly provider: string;
  /** Secrets kept out of errors. */
  readonly secrets?: readonly (string | undefined)[];
  /** The caller's signal, so that an abort during the read surfaces as an abort. */
  readonly signal?: AbortSignal;
  /** Most bytes of the body; more fails with code `response_too_large`. Default 64 MiB. */
  readonly maxBytes?: number;
}

/**
 * Reads a successful response's body as JSON. A body that is not JSON raises a non-retryable
 * `ProviderError` (code `malformed_response`) carrying an excerpt; a body above `maxBytes` raises
 * code `response_too_large`; a connection lost while reading raises
 * a retryable `ServiceUnavailableError`; an abort rejects with the abort reason.
 *
 * @example
 * ```ts
 * const raw = await readJsonBody<MyResponse>(response, { provider: "my-llm", signal });
 * ```
 */
export async function readJsonBody<T>(
  response: Response,
  options: ReadJsonBodyOptions,
): Promise<T> {
  const { provider, secrets = [] } = options;
  let text: string;
  try {
    text = await readLimitedText(response, provider, options.maxBytes);
  } catch (error) {
    if (error instanceof ProviderError) throw error;
    throw toTransportError(error, {
      provider,
      secrets,
      ...(options.signal && { signal: options.signal }),
      during: "reading the response body",
    });
  }
  try {
    return JSON.parse(text) as T;
  } catch (error) {
    const shown = scrubSecrets(excerpt(text), secrets);
    throw new ProviderError(`${provider}: the response body is not valid JSON: ${shown}`, {
      provider,
      status: response.status,
      reason: "malformed_response",
      body: shown,
      cause: scrubError(error, secrets),
    });
  }
}
