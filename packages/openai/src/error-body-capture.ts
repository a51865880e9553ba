import { excerpt, ProviderError } from "@rephysco/core";

/**
 * Keeps the raw body of error responses. openai-node only keeps `body.error`, so bodies that are
 * not OpenAI-shaped (SiliconFlow's `{"code":20012,...}`, a bare `"Invalid token"` string, xAI's
 * gRPC shape with a string `error`) would reach us as "400 status code (no body)". The body is
 * recorded against the response's `Headers` object, which the SDK hands on to its `APIError`.
 */
export class ErrorBodyCapture {
  readonly #bodies = new WeakMap<Headers, string>();

  /**
   * Wraps a `fetch` so that every non-2xx response body is recorded before the SDK reads it, and
   * a 2xx JSON body that does not parse fails with an excerpt of what came back (the SDK's own
   * `SyntaxError` says only where parsing stopped). `provider` names the error's source.
   */
  wrap(baseFetch: typeof globalThis.fetch, provider: string): typeof globalThis.fetch {
    return async (input, init) => {
      const response = await baseFetch(input, init);
      if (response.ok) {
        if (response.headers.get("content-type")?.includes("json")) {
          // Same work as Response#json (read text, parse once); only the failure path differs.
          Object.defineProperty(response, "json", {
            value: async () => {
              const text = await response.text();
              try {
                return JSON.parse(text) as unknown;
              } catch (cause) {
                throw new ProviderError(
                  `${provider}: the response was not valid JSON: ${excerpt(text)}`,
                  {
                    provider,
                    status: response.status,
                    code: "malformed_response",
                    cause,
                  },
                );
              }
            },
          });
        }
        return response;
      }
      const text = await response.text();
      const copy = new Response(text, {
        status: response.status,
        statusText: response.statusText,
        headers: response.headers,
      });
      this.#bodies.set(copy.headers, text);
      return copy;
    };
  }

  /** The raw body recorded for an error response's headers, if any. */
  get(headers: Headers | undefined): string | undefined {
    return headers ? this.#bodies.get(headers) : undefined;
  }
}
