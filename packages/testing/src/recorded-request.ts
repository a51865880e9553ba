/** Wire dialect of a request, chosen by its path. `"unknown"` paths get a 404. */
export type MockDialect = "openai" | "gemini" | "anthropic" | "unknown";

/** A request as the mock server received it. */
export interface RecordedRequest {
  /** HTTP method, e.g. `"POST"`. */
  method: string;
  /** Path without the query string, e.g. `"/v1/chat/completions"`. */
  path: string;
  /** Query parameters (last value wins), e.g. `{ alt: "sse" }`. */
  query: Record<string, string>;
  /** Headers with lower-case names; repeated headers joined with `", "`. */
  headers: Record<string, string>;
  /** Parsed JSON body, the raw text when it is not JSON, or `undefined` when empty. */
  body: unknown;
  /** Dialect that answered (`"unknown"` for paths no dialect serves). */
  dialect: MockDialect;
  /** True when the request asked for a streamed answer. */
  stream: boolean;
  /** Set to true when the client closed the connection before the response was complete. */
  aborted: boolean;
}
