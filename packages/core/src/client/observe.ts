import type { FinishPart } from "../stream-part.js";
import type { ModelResponse, Usage } from "../types.js";
import { costFor } from "./edge.js";
import type { EventListener, RephyscoEvent } from "./events.js";
import { emit } from "./events.js";
import type { PipelinePart, PipelineRequest, Stage } from "./pipeline.js";
import type { Targets } from "./targets.js";

/**
 * The observe stage: one `finish` event when a call succeeds (cache hits included) and one
 * `error` event when it fails for good. Absent when nobody listens, so that calls without a
 * listener build no events at all.
 */
export function observeStage(listener: EventListener, targets: Targets): Stage {
  return (next) => (req) => observe(next(req), req, listener, targets);
}

async function* observe(
  source: AsyncIterable<PipelinePart>,
  req: PipelineRequest,
  listener: EventListener,
  targets: Targets,
): AsyncGenerator<PipelinePart, void, undefined> {
  const started = performance.now();
  const stream = req.params.mode === "stream";
  let response: ModelResponse | undefined;
  let finish: FinishPart | undefined;
  try {
    for await (const part of source) {
      if (part.type === "response") response = part.response;
      else if (part.type === "finish") finish = part;
      yield part;
    }
  } catch (error) {
    emit(listener, {
      type: "error",
      provider: targets.primary.provider.name,
      model: req.params.model,
      stream,
      durationMs: performance.now() - started,
      error,
    });
    throw error;
  }
  const usage: Usage | undefined = response?.usage ?? finish?.usage;
  const reason = response?.finishReason ?? finish?.reason;
  const cost = costFor(req.trace, response ? response.cost : finish?.cost);
  const event: RephyscoEvent = {
    type: "finish",
    provider: response?.provider ?? req.trace.provider ?? targets.primary.provider.name,
    model: response?.model ?? finish?.model ?? req.trace.model ?? req.params.model,
    stream,
    cached: req.trace.cached,
    durationMs: performance.now() - started,
    ...(usage && { usage }),
    ...(cost && { cost }),
    ...(reason && { finishReason: reason }),
  };
  emit(listener, event);
}
