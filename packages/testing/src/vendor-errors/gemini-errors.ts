import type { MockErrorReply } from "../mock-reply.js";

/** Options of {@link geminiErrors.resourceExhausted}. */
export interface GeminiResourceExhaustedOptions {
  /** `RetryInfo.retryDelay`, e.g. `"2s"` or `"34.4s"`; without it no RetryInfo is sent. */
  retryDelay?: string;
}

function googleError(
  code: number,
  status: string,
  message: string,
  details?: unknown[],
): MockErrorReply {
  const error: Record<string, unknown> = { code, message, status };
  if (details) error.details = details;
  return {
    error: {
      status: code,
      body: { error },
      headers: { "content-type": "application/json; charset=UTF-8" },
    },
  };
}

/** Error replies of the Gemini Developer API (`google.rpc.Status` bodies). */
export const geminiErrors = {
  /** 400 INVALID_ARGUMENT with ErrorInfo reason `API_KEY_INVALID` (a bad key is 400, not 401). */
  apiKeyInvalid(): MockErrorReply {
    const message = "API key not valid. Please pass a valid API key.";
    return googleError(400, "INVALID_ARGUMENT", message, [
      {
        "@type": "type.googleapis.com/google.rpc.ErrorInfo",
        reason: "API_KEY_INVALID",
        domain: "googleapis.com",
        metadata: { service: "generativelanguage.googleapis.com" },
      },
      { "@type": "type.googleapis.com/google.rpc.LocalizedMessage", locale: "en-US", message },
    ]);
  },
  /** 400 INVALID_ARGUMENT with a custom message. */
  invalidArgument(message = "Request contains an invalid argument."): MockErrorReply {
    return googleError(400, "INVALID_ARGUMENT", message);
  },
  /** 403 PERMISSION_DENIED (no key / unregistered caller). */
  permissionDenied(): MockErrorReply {
    return googleError(
      403,
      "PERMISSION_DENIED",
      "Method doesn't allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API.",
    );
  },
  /** 404 NOT_FOUND for an unknown model. */
  notFound(model = "gemini-mock"): MockErrorReply {
    return googleError(
      404,
      "NOT_FOUND",
      `models/${model} is not found for API version v1beta, or is not supported for generateContent. Call ListModels to see the list of available models and their supported methods.`,
    );
  },
  /** 429 RESOURCE_EXHAUSTED with QuotaFailure and, when given, RetryInfo. */
  resourceExhausted(options: GeminiResourceExhaustedOptions = {}): MockErrorReply {
    const details: unknown[] = [
      {
        "@type": "type.googleapis.com/google.rpc.QuotaFailure",
        violations: [{ quotaId: "GenerateRequestsPerMinutePerProjectPerModel-FreeTier" }],
      },
    ];
    if (options.retryDelay !== undefined) {
      details.push({
        "@type": "type.googleapis.com/google.rpc.RetryInfo",
        retryDelay: options.retryDelay,
      });
    }
    return googleError(
      429,
      "RESOURCE_EXHAUSTED",
      "You exceeded your current quota, please check your plan.",
      details,
    );
  },
  /** 500 INTERNAL. */
  internal(): MockErrorReply {
    return googleError(
      500,
      "INTERNAL",
      "An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting",
    );
  },
  /** 503 UNAVAILABLE (model overloaded). */
  unavailable(): MockErrorReply {
    return googleError(503, "UNAVAILABLE", "The model is overloaded. Please try again later.");
  },
  /** 504 DEADLINE_EXCEEDED. */
  deadlineExceeded(): MockErrorReply {
    return googleError(
      504,
      "DEADLINE_EXCEEDED",
      "Deadline expired before operation could complete.",
    );
  },
};
