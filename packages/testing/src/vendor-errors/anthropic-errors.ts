import type { MockErrorReply } from "../mock-reply.js";

/** Options shared by Anthropic error helpers. */
export interface AnthropicErrorOptions {
  /** Request id sent in the body (`request_id`) and the `request-id` header. */
  requestId?: string;
}

/** Options of {@link anthropicErrors.rateLimitError}. */
export interface AnthropicRateLimitOptions extends AnthropicErrorOptions {
  /** Seconds sent in the `retry-after` header (omitted when undefined). */
  retryAfter?: number;
}

function anthropicError(
  status: number,
  type: string,
  message: string,
  options: AnthropicErrorOptions,
  headers: Record<string, string> = {},
): MockErrorReply {
  const requestId = options.requestId ?? "req_mock_error";
  return {
    error: {
      status,
      body: { type: "error", error: { type, message }, request_id: requestId },
      headers: { "request-id": requestId, ...headers },
    },
  };
}

/** Error replies of the Anthropic Messages API (`{type:"error", error:{type, message}}`). */
export const anthropicErrors = {
  /** 400 `invalid_request_error`. */
  invalidRequestError(
    message = "messages: at least one message is required",
    options: AnthropicErrorOptions = {},
  ): MockErrorReply {
    return anthropicError(400, "invalid_request_error", message, options);
  },
  /** 401 `authentication_error`. */
  authenticationError(options: AnthropicErrorOptions = {}): MockErrorReply {
    return anthropicError(401, "authentication_error", "invalid x-api-key", options);
  },
  /** 403 `permission_error`. */
  permissionError(options: AnthropicErrorOptions = {}): MockErrorReply {
    return anthropicError(
      403,
      "permission_error",
      "Your API key does not have permission to use the specified resource.",
      options,
    );
  },
  /** 404 `not_found_error` for an unknown model. */
  notFoundError(model = "claude-mock", options: AnthropicErrorOptions = {}): MockErrorReply {
    return anthropicError(404, "not_found_error", `model: ${model}`, options);
  },
  /** 429 `rate_limit_error`, with `retry-after` when asked for. */
  rateLimitError(options: AnthropicRateLimitOptions = {}): MockErrorReply {
    const headers: Record<string, string> = {};
    if (options.retryAfter !== undefined) headers["retry-after"] = String(options.retryAfter);
    return anthropicError(
      429,
      "rate_limit_error",
      "Number of request tokens has exceeded your per-minute rate limit (https://docs.anthropic.com/en/api/rate-limits); see the response headers for current usage. Please reduce the prompt length or the maximum tokens requested, or try again later.",
      options,
      headers,
    );
  },
  /** 500 `api_error`. */
  apiError(options: AnthropicErrorOptions = {}): MockErrorReply {
    return anthropicError(500, "api_error", "Internal server error", options);
  },
  /** 529 `overloaded_error`. */
  overloadedError(options: AnthropicErrorOptions = {}): MockErrorReply {
    return anthropicError(529, "overloaded_error", "Overloaded", options);
  },
};
