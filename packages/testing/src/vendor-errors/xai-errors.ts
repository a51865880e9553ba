import type { MockErrorReply } from "../mock-reply.js";
import { errorReply } from "./error-reply.js";

/** Error replies of xAI, including its gRPC-style `{code, error: string}` bodies. */
export const xaiErrors = {
  /**
   * 400 in gRPC shape: xAI answers an incorrect key with 400, not 401. The real API masks the
   * key; the mock echoes it whole so that tests prove it is scrubbed.
   */
  invalidKeyGrpc(key = "xai-mock-invalid-key"): MockErrorReply {
    return errorReply(400, {
      code: "Client specified an invalid argument",
      error: `Incorrect API key provided: ${key}. You can obtain an API key from https://console.x.ai.`,
    });
  },
  /** 429 whose `error` is a string: credits used up or monthly spending limit reached. */
  creditsExhausted(teamId = "00000000-0000-4000-8000-000000000000"): MockErrorReply {
    return errorReply(429, {
      // The gRPC description for RESOURCE_EXHAUSTED; the real `code` string is unverified.
      code: "Some resource has been exhausted",
      error: `Your team ${teamId} has either used all available credits or reached its monthly spending limit. To continue making API requests, please purchase more credits or raise your spending limit.`,
    });
  },
};
