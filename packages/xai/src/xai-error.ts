import type { ErrorClassName } from "@rephysco/core/http";
import type {
  OpenAICompatibleErrorContext,
  OpenAICompatibleErrorMapping,
} from "@rephysco/openai/compatible";

/** gRPC status description xAI puts in `code` for INVALID_ARGUMENT. */
const GRPC_INVALID_ARGUMENT = "Client specified an invalid argument";

/**
 * xAI's gRPC-shaped errors (`{"code":"<grpc description>","error":"<message>"}`) carry the gRPC
 * status description as their code; these are the canonical descriptions.
 */
export const XAI_ERROR_CODES: Readonly<Record<string, ErrorClassName>> = {
  "The request does not have valid authentication credentials": "authentication",
  "The caller does not have permission to execute the specified operation": "authentication",
  "Some resource has been exhausted": "rate_limit",
  "Some requested entity was not found": "invalid_request",
  "The service is currently unavailable": "unavailable",
  "Deadline expired before operation could complete": "unavailable",
  "Internal error": "unavailable",
};

/**
 * The two xAI errors a status and code cannot identify:
 * - an invalid key is HTTP 400 with the gRPC code INVALID_ARGUMENT, the same code as any bad
 *   field. xAI sends no machine-readable code that says "key", so the message is checked for
 *   "API key" (xAI's text: "Incorrect API key provided: xa***...").
 * - exhausted credits / spending limit is a 429 like a rate limit, but retrying cannot help. Its
 *   body has no code of its own either, so the message is checked for "credits" / "spending limit".
 */
export function mapXAIError(
  context: OpenAICompatibleErrorContext,
): OpenAICompatibleErrorMapping | undefined {
  const message = context.message ?? "";
  if (
    context.status === 400 &&
    context.code === GRPC_INVALID_ARGUMENT &&
    /api key/i.test(message)
  ) {
    return { errorClass: "authentication" };
  }
  if (context.status === 429 && /credits|spending limit/i.test(message)) {
    return { errorClass: "quota" };
  }
  return undefined;
}
