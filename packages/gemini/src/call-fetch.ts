import {
  DEFAULT_MAX_ERROR_BODY_BYTES,
  DEFAULT_MAX_EVENT_BYTES,
  DEFAULT_MAX_RESPONSE_BYTES,
  limitResponseBody,
  readBoundedText,
  readLimitedText,
} from "@rephysco/core/http";

/** The error response of a call, as far as it was read. */
export interface RecordedErrorResponse {
  /** HTTP status. */
  readonly status: number;
  /** Response headers (Retry-After, request ids). */
  readonly headers: Headers;
  /** At most 64 KiB of the body, with `…` appended when there was more. */
  readonly text: string;
  /** The request URL (scrubbed where it is put on an error). */
  readonly url: string;
}

/**
 * The `fetch` the SDK uses for one call (`httpOptions.fetch`). It keeps what the SDK's `ApiError`
 * drops, and bounds what the SDK reads, since the SDK reads every body in full:
 * - an error response: at most 64 KiB of the body is read, the rest discarded unread; the SDK
 *   gets that text, and {@link CallFetch.error} keeps it with the status and headers
 *   (`Retry-After` / `retry-after-ms` from proxies and gateways, request ids);
 * - a non-streamed answer: fails with `response_too_large` past `maxResponseBytes`;
 * - a stream: fails with `response_too_large` on an event (one line, or lines without a blank
 *   line between them) longer than 1 MiB.
 */
export interface CallFetch {
  /** Pass as `httpOptions.fetch` for the call. */
  readonly fetch: typeof globalThis.fetch;
  /** The last error response, if there was one. */
  readonly error: RecordedErrorResponse | undefined;
}

/** What {@link createCallFetch} bounds. */
export interface CallFetchOptions {
  /** Registry id put on errors. */
  readonly provider: string;
  /** Whether the call streams (a line cap) or not (a total cap). */
  readonly stream: boolean;
  /** Most bytes of a non-streamed answer. Default 64 MiB. */
  readonly maxResponseBytes?: number | undefined;
}

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/**
 * The bounded error body as a response for the SDK. The SDK parses a JSON content type with
 * `response.json()` and would throw a bare `SyntaxError` (losing the status) on a cut-off body,
 * so text that is not whole JSON is labelled `text/plain`, which the SDK wraps in an `ApiError`.
 */
function errorResponseForSdk(response: Response, text: string): Response {
  const headers = new Headers(response.headers);
  for (const name of ["content-length", "content-encoding", "transfer-encoding"]) {
    headers.delete(name);
  }
  headers.set("content-type", isJson(text) ? "application/json" : "text/plain; charset=utf-8");
  return new Response(text, { status: response.status, statusText: response.statusText, headers });
}

/** Wraps `base` (read when each request is sent) for one call; see {@link CallFetch}. */
export function createCallFetch(
  base: () => typeof globalThis.fetch,
  options: CallFetchOptions,
): CallFetch {
  let error: RecordedErrorResponse | undefined;
  const { provider } = options;
  const fetch: typeof globalThis.fetch = async (input, init) => {
    const response = await base()(input, init);
    if (response.ok) {
      // A stream is bounded per event (the SDK buffers events, not lines), not in total: its
      // length is the timeouts' business.
      if (options.stream)
        return limitResponseBody(response, { provider, maxEventBytes: DEFAULT_MAX_EVENT_BYTES });
      // A whole answer is read here, within its cap, by a plain reader loop, and handed to the
      // SDK as text: cheaper than a stream stage between the socket and the SDK's reader.
      const text = await readLimitedText(
        response,
        provider,
        options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES,
      );
      return new Response(text, {
        status: response.status,
        statusText: response.statusText,
        headers: response.headers,
      });
    }
    // Only 4xx and 5xx become an `ApiError` in the SDK; anything else goes through as it is.
    if (response.status < 400 || response.status > 599) return response;
    let text = "";
    try {
      text = await readBoundedText(response, DEFAULT_MAX_ERROR_BODY_BYTES);
    } catch (e) {
      if (init?.signal?.aborted) throw e;
      // The status alone still says what went wrong; a body cut off mid-read adds nothing.
    }
    error = { status: response.status, headers: response.headers, text, url: response.url };
    return errorResponseForSdk(response, text);
  };
  return {
    fetch,
    get error() {
      return error;
    },
  };
}
