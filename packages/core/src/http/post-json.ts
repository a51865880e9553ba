import { type ErrorMapper, errorFromResponse } from "./error-from-response.js";
import { toTransportError } from "./network-error.js";

/** Options of {@link postJson}. */
export interface PostJsonOptions {
  /** The full URL to POST to. */
  readonly url: string;
  /** Request headers (auth, versions). `content-type: application/json` is added when absent. */
  readonly headers?: Readonly<Record<string, string>>;
  /** The request body; serialized with `JSON.stringify` once. */
  readonly body: unknown;
  /** Aborts the request and the body read; an abort rejects with the signal's reason, unwrapped. */
  readonly signal?: AbortSignal;
  /**
   * Bound on the whole exchange (headers and body), in ms; expiry raises a retryable
   * `TimeoutError`. Leave it unset for streams: the client's first-chunk and idle timeouts fit them better.
   */
  readonly timeoutMs?: number;
  /** A `fetch` to use instead of the global one (from the provider's settings). */
  readonly fetch?: typeof globalThis.fetch;
  /** Registry id of the provider, for errors. */
  readonly provider: string;
  /** Secrets (the API key) kept out of every error. */
  readonly secrets?: readonly (string | undefined)[];
  /** Provider-specific mapping of error bodies to classes, for non-2xx responses. */
  readonly mapError?: ErrorMapper;
}

function hasHeader(headers: Readonly<Record<string, string>>, name: string): boolean {
  return Object.keys(headers).some((k) => k.toLowerCase() === name);
}

/**
 * POSTs JSON with `fetch` and returns the 2xx `Response` with its body unread (read it with
 * `readJsonBody` or `readSseEvents`).
 *
 * - non-2xx: rejects with the class {@link errorFromResponse} builds (status table, Retry-After,
 *   request id, `mapError` for provider codes);
 * - network failure (`TypeError: fetch failed`, `ECONNRESET`, refused): rejects with a retryable
 *   `ServiceUnavailableError` whose `cause` is the original error;
 * - `timeoutMs` expired: rejects with a `TimeoutError`;
 * - `signal` aborted: rejects with the signal's reason (an `AbortError`), never wrapped.
 *
 * Never retries: the client owns the retry policy.
 *
 * @example
 * ```ts
 * const response = await postJson({
 *   url: `${this.baseURL}/messages`,
 *   headers: { "x-api-key": this.apiKey },
 *   body: { model, messages, stream: true },
 *   signal: options.signal,
 *   provider: this.name,
 *   secrets: [this.apiKey],
 * });
 * ```
 */
export async function postJson(options: PostJsonOptions): Promise<Response> {
  const { provider, secrets = [] } = options;
  const headers: Record<string, string> = { ...options.headers };
  if (!hasHeader(headers, "content-type")) headers["content-type"] = "application/json";
  const signals: AbortSignal[] = [];
  if (options.signal) signals.push(options.signal);
  if (options.timeoutMs !== undefined) signals.push(AbortSignal.timeout(options.timeoutMs));
  const signal = signals.length > 1 ? AbortSignal.any(signals) : signals[0];
  const doFetch = options.fetch ?? globalThis.fetch;
  let response: Response;
  try {
    response = await doFetch(options.url, {
      method: "POST",
      headers,
      body: JSON.stringify(options.body),
      ...(signal && { signal }),
    });
  } catch (error) {
    throw toTransportError(error, {
      provider,
      secrets,
      ...(options.signal && { signal: options.signal }),
      during: `connecting to ${new URL(options.url).origin}`,
    });
  }
  if (!response.ok) {
    throw await errorFromResponse(response, {
      provider,
      secrets,
      ...(options.mapError && { mapError: options.mapError }),
    });
  }
  return response;
}
