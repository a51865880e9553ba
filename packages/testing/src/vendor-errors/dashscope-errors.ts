import type { MockErrorReply } from "../mock-reply.js";
import { errorReply } from "./error-reply.js";

/** Options shared by DashScope error helpers. */
export interface DashScopeErrorOptions {
  /** Top-level `request_id` (the `id` is `chatcmpl-<request_id>`). */
  requestId?: string;
}

/** Options of {@link dashscopeErrors.arrearage}. */
export interface DashScopeArrearageOptions extends DashScopeErrorOptions {
  /** Send the native API shape `{code, message, request_id}` instead of the compat one. */
  native?: boolean;
}

const DEFAULT_REQUEST_ID = "7ed765de-de61-9a89-87f2-da9f2e39f825";

function compatError(
  status: number,
  error: { code: string; message: string; type: string },
  options: DashScopeErrorOptions,
  withId: boolean,
): MockErrorReply {
  const requestId = options.requestId ?? DEFAULT_REQUEST_ID;
  const body: Record<string, unknown> = {
    error: { code: error.code, param: null, message: error.message, type: error.type },
  };
  if (withId) body.id = `chatcmpl-${requestId}`;
  body.request_id = requestId;
  return errorReply(status, body);
}

/** Error replies of Aliyun DashScope (Model Studio) OpenAI-compatible mode. */
export const dashscopeErrors = {
  /** 400: the model only supports `stream: true` (qwq-plus, Qwen-Omni, ...). */
  streamOnly(options: DashScopeErrorOptions = {}): MockErrorReply {
    return compatError(
      400,
      {
        code: "invalid_parameter_error",
        message:
          "This model only support stream mode, please enable the stream parameter to access the model. ",
        type: "invalid_request_error",
      },
      options,
      true,
    );
  },
  /** 400: `enable_thinking` must be false for non-streaming calls. */
  enableThinkingNonStream(options: DashScopeErrorOptions = {}): MockErrorReply {
    return compatError(
      400,
      {
        code: "invalid_parameter_error",
        message: "parameter.enable_thinking must be set to false for non-streaming calls",
        type: "invalid_request_error",
      },
      options,
      true,
    );
  },
  /** 400 `data_inspection_failed`: content moderation rejected the input or output. */
  dataInspectionFailed(options: DashScopeErrorOptions = {}): MockErrorReply {
    return compatError(
      400,
      {
        code: "data_inspection_failed",
        message: "Input data may contain inappropriate content.",
        type: "data_inspection_failed",
      },
      options,
      true,
    );
  },
  /** 401 `invalid_api_key`. */
  invalidApiKey(options: DashScopeErrorOptions = {}): MockErrorReply {
    return compatError(
      401,
      {
        code: "invalid_api_key",
        message: "Incorrect API key provided. ",
        type: "invalid_request_error",
      },
      options,
      false,
    );
  },
  /** 429 `limit_requests`. */
  limitRequests(options: DashScopeErrorOptions = {}): MockErrorReply {
    return compatError(
      429,
      {
        code: "limit_requests",
        message:
          "You have exceeded your current request limit. For details, see: https://help.aliyun.com/zh/model-studio/error-code#rate-limit",
        type: "limit_requests",
      },
      options,
      false,
    );
  },
  /** 400 `Arrearage`: the account is overdue; never worth retrying. */
  arrearage(options: DashScopeArrearageOptions = {}): MockErrorReply {
    const message = "Access denied, please make sure your account is in good standing.";
    if (options.native) {
      return errorReply(400, {
        code: "Arrearage",
        message,
        request_id: options.requestId ?? DEFAULT_REQUEST_ID,
      });
    }
    return compatError(400, { code: "Arrearage", message, type: "Arrearage" }, options, true);
  },
};
