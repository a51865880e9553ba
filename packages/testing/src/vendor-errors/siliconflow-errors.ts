import type { MockErrorReply } from "../mock-reply.js";

/** Options shared by SiliconFlow error helpers. */
export interface SiliconFlowErrorOptions {
  /** Value of the `x-siliconcloud-trace-id` response header. */
  traceId?: string;
}

function siliconflowError(
  status: number,
  body: unknown,
  options: SiliconFlowErrorOptions,
): MockErrorReply {
  return {
    error: {
      status,
      body,
      headers: {
        "content-type": "application/json; charset=utf-8",
        "x-siliconcloud-trace-id": options.traceId ?? "ti_mock0siliconflow0trace",
      },
    },
  };
}

/** Error replies of SiliconFlow; its error bodies are not OpenAI-shaped. */
export const siliconflowErrors = {
  /** 400 code 20012: unknown model id. */
  modelNotExist(options: SiliconFlowErrorOptions = {}): MockErrorReply {
    return siliconflowError(
      400,
      { code: 20012, message: "Model does not exist. Please check it carefully.", data: null },
      options,
    );
  },
  /** 401 with a bare JSON string body `"Invalid token"`. */
  invalidToken(options: SiliconFlowErrorOptions = {}): MockErrorReply {
    return siliconflowError(401, "Invalid token", options);
  },
  /** 429 with a message-only body; `limit` names the limit (TPM, RPM, RPH, TPD, ...). */
  rateLimited(limit = "TPM", options: SiliconFlowErrorOptions = {}): MockErrorReply {
    return siliconflowError(
      429,
      {
        message: `Request was rejected due to rate limiting. Details: ${limit} limit reached.`,
        data: null,
      },
      options,
    );
  },
  /** 403 code 30001: account balance insufficient; never worth retrying. */
  insufficientBalance(options: SiliconFlowErrorOptions = {}): MockErrorReply {
    return siliconflowError(
      403,
      { code: 30001, message: "Sorry, your account balance is insufficient", data: null },
      options,
    );
  },
  /** 503 code 50505: model service overloaded. */
  overloaded(options: SiliconFlowErrorOptions = {}): MockErrorReply {
    return siliconflowError(
      503,
      { code: 50505, message: "Model service overloaded. Please try again later.", data: null },
      options,
    );
  },
};
