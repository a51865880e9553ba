import type { ModelResponse, StreamChunk } from "../types.js";
import type { PipelinePart, Trace } from "./pipeline.js";

/**
 * The public shapes, made at the edge of the pipeline: the answer of `generate`, and the
 * {@link StreamChunk}s of `stream` (text and reasoning as they come, then one last chunk with
 * the finish reason and usage). Every caller gets objects of its own.
 */
export async function toResponse(
  parts: AsyncIterable<PipelinePart>,
  trace: Trace,
): Promise<ModelResponse> {
  let response: ModelResponse | undefined;
  for await (const part of parts) if (part.type === "response") response = part.response;
  if (!response) throw new TypeError("rephysco: the pipeline ended without an answer");
  const usage = response.usage;
  return {
    ...response,
    ...(usage && { usage: { ...usage } }),
    cached: trace.cached,
  };
}

/**
 * Stream parts as public chunks. `start` runs when iteration starts (input errors surface there,
 * as for any async generator); `fallbackProvider` names who answers when nothing else does.
 */
export async function* toChunks(
  start: () => { parts: AsyncIterable<PipelinePart>; trace: Trace },
  fallbackProvider: string,
): AsyncGenerator<StreamChunk, void, undefined> {
  const { parts, trace } = start();
  let model: string | undefined;
  for await (const part of parts) {
    const provider = trace.provider ?? fallbackProvider;
    switch (part.type) {
      case "metadata":
        if (part.model) model = part.model;
        continue;
      case "text":
        yield trace.cached
          ? { content: part.text, ...(model && { model }), provider, cached: true }
          : { content: part.text, ...(model && { model }), provider };
        continue;
      case "reasoning":
        yield {
          content: "",
          reasoning: part.text,
          ...(model && { model }),
          provider,
          ...(trace.cached && { cached: true }),
        };
        continue;
      case "finish": {
        const m = part.model ?? model;
        yield {
          content: "",
          ...(m && { model: m }),
          provider,
          finishReason: part.reason,
          ...(part.usage && { usage: { ...part.usage } }),
          ...(trace.cached && { cached: true }),
        };
        continue;
      }
      default:
        // Parts of kinds this version does not know, and `response`, have no chunk form.
        continue;
    }
  }
}
