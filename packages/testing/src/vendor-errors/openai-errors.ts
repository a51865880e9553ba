import type { MockErrorReply } from "../mock-reply.js";
import { errorReply } from "./error-reply.js";

/** Options of {@link openaiErrors.rateLimit}. */
export interface OpenAIRateLimitOptions {
  /** Sent as `retry-after-ms` (the precise hint the OpenAI SDK reads first). */
  retryAfterMs?: number;
  /** Sent as `retry-after`: seconds, or an HTTP date string. */
  retryAfter?: number | string;
  /** Which limit was hit (the real API puts it in `error.type`). Default `"tokens"`. */
  limit?: "tokens" | "requests";
}

function openaiError(
  status: number,
  message: string,
  type: string,
  code: string | null,
  param: string | null = null,
  headers?: Record<string, string>,
): MockErrorReply {
  return errorReply(status, { error: { message, type, param, code } }, headers);
}

/** Error replies of the OpenAI Chat Completions API, with the real bodies. */
export const openaiErrors = {
  /**
   * 401 `invalid_api_key`. The real API masks the middle of the key; the mock echoes it whole
   * so that tests prove it is scrubbed from errors.
   */
  invalidApiKey(key = "sk-mock-invalid-key"): MockErrorReply {
    return openaiError(
      401,
      `Incorrect API key provided: ${key}. You can find your API key at https://platform.openai.com/account/api-keys.`,
      "invalid_request_error",
      "invalid_api_key",
    );
  },
  /** 429 `rate_limit_exceeded`, with `retry-after-ms` / `retry-after` when asked for. */
  rateLimit(options: OpenAIRateLimitOptions = {}): MockErrorReply {
    const limit = options.limit ?? "tokens";
    const headers: Record<string, string> = {
      "x-ratelimit-limit-requests": "5000",
      "x-ratelimit-limit-tokens": "30000",
      "x-ratelimit-remaining-requests": limit === "requests" ? "0" : "4999",
      "x-ratelimit-remaining-tokens": limit === "tokens" ? "0" : "29000",
      "x-ratelimit-reset-requests": "12ms",
      "x-ratelimit-reset-tokens": "18.642s",
    };
    if (options.retryAfterMs !== undefined)
      headers["retry-after-ms"] = String(options.retryAfterMs);
    if (options.retryAfter !== undefined) headers["retry-after"] = String(options.retryAfter);
    const unit = limit === "tokens" ? "tokens per min (TPM)" : "requests per min (RPM)";
    return openaiError(
      429,
      `Rate limit reached for gpt-4o in organization org-mock on ${unit}: Limit 30000, Used 14567, Requested 24754. Please try again in 18.642s. Visit https://platform.openai.com/account/rate-limits to learn more.`,
      limit,
      "rate_limit_exceeded",
      null,
      headers,
    );
  },
  /** 429 `insufficient_quota`: billing, never worth retrying. */
  insufficientQuota(): MockErrorReply {
    return openaiError(
      429,
      "You exceeded your current quota, please check your plan and billing details. For more information on this error, read the docs: https://platform.openai.com/docs/guides/error-codes/api-errors.",
      "insufficient_quota",
      "insufficient_quota",
    );
  },
  /** 5xx `server_error` (500 body; 503 uses the documented "overloaded" text). */
  serverError(status = 500): MockErrorReply {
    const message =
      status === 503
        ? "The engine is currently overloaded, please try again later."
        : "The server had an error while processing your request. Sorry about that!";
    return openaiError(status, message, "server_error", null);
  },
  /** 404 `model_not_found`. */
  modelNotFound(model = "gpt-mock"): MockErrorReply {
    return openaiError(
      404,
      `The model \`${model}\` does not exist or you do not have access to it.`,
      "invalid_request_error",
      "model_not_found",
    );
  },
  /** 400 `unsupported_parameter` (e.g. `max_tokens` sent to a reasoning model). */
  unsupportedParameter(
    param = "max_tokens",
    replacement = "max_completion_tokens",
  ): MockErrorReply {
    return openaiError(
      400,
      `Unsupported parameter: '${param}' is not supported with this model. Use '${replacement}' instead.`,
      "invalid_request_error",
      "unsupported_parameter",
      param,
    );
  },
  /** 400 `unsupported_value` (e.g. a temperature a reasoning model does not allow). */
  unsupportedValue(param = "temperature", value: string | number = 0.2): MockErrorReply {
    return openaiError(
      400,
      `Unsupported value: '${param}' does not support ${value} with this model. Only the default (1) value is supported.`,
      "invalid_request_error",
      "unsupported_value",
      param,
    );
  },
};
