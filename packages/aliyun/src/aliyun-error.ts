import type { ErrorClassName } from "@rephysco/core/http";
import type {
  OpenAICompatibleErrorContext,
  OpenAICompatibleErrorMapping,
} from "@rephysco/openai/compatible";

/**
 * DashScope error codes, in both the compatible-mode spelling (`data_inspection_failed`) and the
 * native one (`DataInspectionFailed`), since either can come back from the compatible endpoint.
 */
export const DASHSCOPE_ERROR_CODES: Readonly<Record<string, ErrorClassName>> = {
  // Content moderation arrives as HTTP 400; without this it would look like a bad request.
  data_inspection_failed: "content_filter",
  DataInspectionFailed: "content_filter",
  invalid_api_key: "authentication",
  InvalidApiKey: "authentication",
  limit_requests: "rate_limit",
  Throttling: "rate_limit",
  // An overdue account: waiting does not help, so it must not be retried like a 429.
  Arrearage: "quota",
  invalid_parameter_error: "invalid_request",
};

/**
 * Catches the code families the table cannot list: every `Throttling.*` code (`Throttling.RateQuota`,
 * `Throttling.AllocationQuota`, ...) and prefixed moderation codes such as
 * `InternalError.Algo.DataInspectionFailed`.
 */
export function mapDashScopeError(
  context: OpenAICompatibleErrorContext,
): OpenAICompatibleErrorMapping | undefined {
  const code = context.code;
  if (code === undefined) return undefined;
  if (code.startsWith("Throttling")) return { errorClass: "rate_limit" };
  if (code.endsWith("DataInspectionFailed")) return { errorClass: "content_filter" };
  return undefined;
}
