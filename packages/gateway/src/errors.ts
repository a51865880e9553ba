import {
  AuthenticationError,
  BudgetExceededError,
  ConfigurationError,
  ContentFilterError,
  InvalidOutputError,
  InvalidRequestError,
  ProviderError,
  QuotaExceededError,
  RateLimitError,
  ServiceUnavailableError,
  TimeoutError,
} from "@rephysco/core";

/** An error the gateway answers itself, already in OpenAI's terms. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly type: string = "invalid_request_error",
    readonly param: string | null = null,
    readonly code: string | null = null,
    readonly headers?: Readonly<Record<string, string>>,
  ) {
    super(message);
    this.name = "HttpError";
  }
}

/** A 400 for a request the gateway refuses, naming the parameter. */
export function badRequest(message: string, param: string | null, code: string | null = null) {
  return new HttpError(400, message, "invalid_request_error", param, code);
}

/** A 400 for a parameter the gateway cannot honour for the target provider. */
export function unsupported(param: string, detail = ""): HttpError {
  return badRequest(
    `Unsupported parameter: '${param}' is not supported by this gateway${detail ? `: ${detail}` : "."}`,
    param,
    "unsupported_parameter",
  );
}

/** An OpenAI-shaped error answer: status, the JSON body, and headers. */
export interface ErrorAnswer {
  readonly status: number;
  readonly body: string;
  readonly headers: Record<string, string>;
}

function answer(
  status: number,
  message: string,
  type: string,
  param: string | null,
  code: string | null,
  headers: Record<string, string> = {},
): ErrorAnswer {
  return {
    status,
    body: JSON.stringify({ error: { message, type, param, code } }),
    // Every error is final: upstream errors went through the gateway's retries already, and the
    // gateway's own 4xx would fail the same way again.
    // (The shutdown 503 says `true`: another instance can take the request.)
    headers: { "x-should-retry": "false", ...headers },
  };
}

/** The `param` an OpenAI-dialect upstream named in its error body, if any. */
function upstreamParam(error: ProviderError): string | null {
  const body = error.body as { error?: { param?: unknown } } | undefined;
  const p = body && typeof body === "object" ? body.error?.param : undefined;
  return typeof p === "string" ? p : null;
}

/**
 * Maps any error to an OpenAI-shaped answer. Choices (documented in the README):
 * - upstream authentication failures are the gateway's problem, not the client's: 502
 *   `upstream_error` / `upstream_authentication` (a 401 would tell clients their key is bad);
 * - 429 keeps its Retry-After (seconds, and `retry-after-ms`); quota is 429 `insufficient_quota`;
 * - timeouts 504, other unavailability 503 (upstream 503/529) or 502;
 * - invalid output (not JSON, unknown tool) 502; content filter 400 `content_filter`.
 */
export function toErrorAnswer(error: unknown): ErrorAnswer {
  if (error instanceof HttpError)
    return answer(error.status, error.message, error.type, error.param, error.code, {
      ...error.headers,
    });
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof RateLimitError) {
    const headers: Record<string, string> = {};
    if (error.retryAfterMs !== undefined) {
      headers["retry-after"] = String(Math.max(0, Math.ceil(error.retryAfterMs / 1000)));
      headers["retry-after-ms"] = String(Math.max(0, Math.round(error.retryAfterMs)));
    }
    return answer(
      429,
      message,
      "rate_limit_error",
      null,
      error.code ?? error.reason ?? "rate_limit_exceeded",
      headers,
    );
  }
  if (error instanceof QuotaExceededError)
    return answer(429, message, "insufficient_quota", null, "insufficient_quota");
  if (error instanceof BudgetExceededError)
    return answer(429, message, "insufficient_quota", null, "budget_exceeded");
  if (error instanceof AuthenticationError)
    return answer(502, message, "upstream_error", null, "upstream_authentication");
  if (error instanceof ContentFilterError)
    return answer(400, message, "invalid_request_error", null, "content_filter");
  if (error instanceof InvalidOutputError)
    return answer(502, message, "upstream_error", null, error.reason ?? "invalid_output");
  if (error instanceof InvalidRequestError) {
    const status = error.status === 404 || error.status === 422 ? error.status : 400;
    return answer(
      status,
      message,
      "invalid_request_error",
      upstreamParam(error),
      error.code ?? error.reason ?? null,
    );
  }
  if (error instanceof TimeoutError)
    return answer(504, message, "timeout_error", null, error.reason ?? "timeout");
  if (error instanceof ServiceUnavailableError) {
    const status = error.status === 503 || error.status === 529 ? 503 : 502;
    return answer(status, message, "upstream_error", null, error.code ?? error.reason ?? null);
  }
  if (error instanceof ProviderError)
    return answer(502, message, "upstream_error", null, error.code ?? error.reason ?? null);
  if (error instanceof ConfigurationError)
    return answer(500, message, "server_error", null, error.reason ?? "configuration_error");
  return answer(500, "The gateway failed to handle the request.", "server_error", null, null);
}

/** The body of an error as an SSE event (mid-stream failures): `data: {"error":{...}}`. */
export function errorEvent(error: unknown): string {
  return `data: ${toErrorAnswer(error).body}\n\n`;
}
