import { DEFAULT_MAX_ERROR_BODY_BYTES, readBoundedText } from "@rephysco/core/http";

/**
 * Keeps the raw body of error responses. openai-node only keeps `body.error`, so bodies that are
 * not OpenAI-shaped (SiliconFlow's `{"code":20012,...}`, a bare `"Invalid token"` string, xAI's
 * gRPC shape with a string `error`) would reach us as "400 status code (no body)". The body is
 * recorded against the response's `Headers` object, which the SDK hands on to its `APIError`.
 */
export class ErrorBodyCapture {
  readonly #bodies = new WeakMap<Headers, string>();
  readonly #urls = new WeakMap<Headers, string>();

  /**
   * Wraps a `fetch` so that every non-2xx response body is recorded before the SDK reads it.
   * 2xx responses pass through untouched: the provider reads and parses those bodies itself.
   */
  wrap(baseFetch: typeof globalThis.fetch): typeof globalThis.fetch {
    return async (input, init) => {
      const response = await baseFetch(input, init);
      if (response.ok) return response;
      // Bounded: a hostile or broken server must not make us hold (or retry) a huge error body.
      const text = await readBoundedText(response, DEFAULT_MAX_ERROR_BODY_BYTES);
      const copy = new Response(text, {
        status: response.status,
        statusText: response.statusText,
        headers: response.headers,
      });
      this.#bodies.set(copy.headers, text);
      if (response.url) this.#urls.set(copy.headers, response.url);
      return copy;
    };
  }

  /** The raw body recorded for an error response's headers, if any. */
  get(headers: Headers | undefined): string | undefined {
    return headers ? this.#bodies.get(headers) : undefined;
  }

  /** The request URL of an error response (scrubbed where it is put on an error), if known. */
  url(headers: Headers | undefined): string | undefined {
    return headers ? this.#urls.get(headers) : undefined;
  }
}
