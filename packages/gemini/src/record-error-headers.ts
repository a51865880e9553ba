/**
 * A `fetch` for one call that remembers the headers of an HTTP error response. The SDK's
 * `ApiError` keeps only the status and body, but `Retry-After` / `retry-after-ms` (sent by
 * proxies and gateways in front of Gemini) and request-id headers live in the headers.
 */
export interface ErrorHeaderRecorder {
  /** Pass as `httpOptions.fetch` for the call. */
  readonly fetch: typeof globalThis.fetch;
  /** Headers of the last error response, if there was one. */
  readonly headers: Headers | undefined;
}

/** Wraps `base` (read when each request is sent) so that error-response headers are kept. */
export function recordErrorHeaders(base: () => typeof globalThis.fetch): ErrorHeaderRecorder {
  let headers: Headers | undefined;
  const fetch: typeof globalThis.fetch = async (input, init) => {
    const response = await base()(input, init);
    if (!response.ok) headers = response.headers;
    return response;
  };
  return {
    fetch,
    get headers() {
      return headers;
    },
  };
}
