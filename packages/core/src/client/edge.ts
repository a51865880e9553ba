import { CACHED_COST } from "../cost.js";
import type { StreamPart } from "../stream-part.js";
import type { Cost, ModelResponse, ProviderMetadata, StreamChunk } from "../types.js";
import { mergeMetadata } from "./assemble.js";
import { answerOf, type PipelinePart, type Trace } from "./pipeline.js";

/**
 * The public shapes, made at the edge of the pipeline: the answer of `generate`, and the
 * {@link StreamChunk}s of `stream` (text, reasoning, refusal and tool-call fragments as they
 * come, then one last chunk with the finish reason and usage). Every caller gets objects of its
 * own.
 */
export async function toResponse(
  parts: AsyncIterable<PipelinePart>,
  trace: Trace,
): Promise<ModelResponse> {
  const response = await answerOf(parts);
  const usage = response.usage;
  const cost = costFor(trace, response.cost);
  return {
    ...response,
    ...(usage && { usage: { ...usage } }),
    ...(cost && { cost }),
    cached: trace.cached,
  };
}

/**
 * The cost a caller is told: nothing for a cache hit or a call that joined one in flight (the
 * call it joined carries the cost), else what the attempt stage computed.
 */
export function costFor(trace: Trace, cost: Cost | undefined): Cost | undefined {
  if (trace.cached) return CACHED_COST;
  if (trace.shared) return SHARED_COST;
  return cost;
}

/** The cost of a call that joined an identical call in flight. */
const SHARED_COST: Cost = Object.freeze({ ...CACHED_COST, source: "shared" as const });

/**
 * The chunk of one content part (text, reasoning, refusal, tool-call start or fragment), or
 * `undefined` for parts that have no chunk of their own (metadata, tool-call end, finish).
 */
export function partChunk(
  part: StreamPart,
  model: string | undefined,
  provider: string,
  cached: boolean,
): StreamChunk | undefined {
  switch (part.type) {
    case "text":
      return cached
        ? { content: part.text, ...(model && { model }), provider, cached: true }
        : { content: part.text, ...(model && { model }), provider };
    case "reasoning":
      return {
        content: "",
        reasoning: part.text,
        ...(model && { model }),
        provider,
        ...(cached && { cached: true }),
      };
    case "refusal":
      return {
        content: "",
        refusal: part.text,
        ...(model && { model }),
        provider,
        ...(cached && { cached: true }),
      };
    case "tool-call-start":
      return {
        content: "",
        toolCallDelta: { index: part.index, id: part.id, name: part.name, argumentsDelta: "" },
        ...(model && { model }),
        provider,
        ...(cached && { cached: true }),
      };
    case "tool-call-delta":
      return {
        content: "",
        toolCallDelta: { index: part.index, argumentsDelta: part.argumentsDelta },
        ...(model && { model }),
        provider,
        ...(cached && { cached: true }),
      };
    default:
      return undefined;
  }
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
  let metadata: ProviderMetadata | undefined;
  for await (const part of parts) {
    const provider = trace.provider ?? fallbackProvider;
    switch (part.type) {
      case "metadata":
        if (part.model) model = part.model;
        if (part.providerMetadata) metadata = mergeMetadata(metadata, part.providerMetadata);
        continue;
      case "finish": {
        const m = part.model ?? model;
        const cost = costFor(trace, part.cost);
        yield {
          content: "",
          ...(m && { model: m }),
          provider,
          finishReason: part.reason,
          ...(part.usage && { usage: { ...part.usage } }),
          ...(cost && { cost }),
          ...(metadata && { providerMetadata: metadata }),
          ...(trace.cached && { cached: true }),
        };
        continue;
      }
      case "response":
        continue;
      default: {
        // Parts of kinds this version does not know have no chunk form.
        const chunk = partChunk(part, model, provider, trace.cached);
        if (chunk) yield chunk;
      }
    }
  }
}
