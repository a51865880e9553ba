import type { RecordedRequest } from "./recorded-request.js";
import type { RequestText } from "./request-text.js";
import type { ResponsePlan } from "./response-plan.js";
import type { ResolvedTextReply } from "./text-reply.js";

/** What a renderer knows about the request it answers. */
export interface RenderContext {
  request: RecordedRequest;
  /** Per-server response counter, used for deterministic ids. */
  seq: number;
  /** Model named by the request (body `model` or the Gemini path). */
  requestModel: string;
  text: RequestText;
}

/** One wire dialect: how text replies, stream errors and broken frames look. */
export interface DialectRenderer {
  /** Finish reason used when a reply gives none. */
  defaultFinish: string;
  /** Translates a finish reason into the dialect's native value. */
  mapFinish(value: string): string;
  /** Headers every response of the dialect carries (request ids). */
  baseHeaders(ctx: RenderContext): Record<string, string>;
  /** Renders a successful answer (streamed when the request asks for it). */
  renderText(reply: ResolvedTextReply, ctx: RenderContext): ResponsePlan;
  /** One SSE frame carrying a mid-stream error. */
  streamErrorFrame(body: unknown): string;
  /** One SSE frame whose data is `text` (used for malformed streams). */
  rawDataFrame(text: string): string;
}

/** Frames an SSE event: optional `event:` line, one `data:` line, blank line. */
export function sseFrame(data: string, event?: string, eol = "\n"): string {
  return `${event === undefined ? "" : `event: ${event}${eol}`}data: ${data}${eol}${eol}`;
}

/** JSON text of a body: strings are sent verbatim, everything else as JSON. */
export function payloadText(body: unknown): string {
  return typeof body === "string" ? body : JSON.stringify(body);
}
