import type { FinishPart } from "../stream-part.js";
import type { ModelResponse, Usage } from "../types.js";
import { costFor } from "./edge.js";
import type { EventListener, RephyscoEvent } from "./events.js";
import { emit } from "./events.js";
import { type PipelinePart, type PipelineRequest, ResponseParts, type Stage } from "./pipeline.js";
import type { Targets } from "./targets.js";

/**
 * The observe stage: one `finish` event when a call succeeds (cache hits included) and one
 * `error` event when it fails for good. Absent when nobody listens, so that calls without a
 * listener build no events at all.
 */
export function observeStage(listener: EventListener, targets: Targets): Stage {
  return (next) => (req) => {
    const source = next(req);
    const watch = new Watch(req, listener, targets);
    // A generate stays a ResponseParts (no generator); a stream gets one iterator object.
    if (source instanceof ResponseParts)
      return new ResponseParts(() =>
        source.response.then(
          (response) => {
            watch.finished(response, undefined);
            return response;
          },
          (error: unknown) => {
            watch.failed(error);
            throw error;
          },
        ),
      );
    return new ObservedParts(source[Symbol.asyncIterator](), watch);
  };
}

/** What one call's events need: when it started, and how to report its end. */
class Watch {
  readonly #started = performance.now();
  constructor(
    readonly req: PipelineRequest,
    readonly listener: EventListener,
    readonly targets: Targets,
  ) {}

  failed(error: unknown): void {
    const { req } = this;
    emit(this.listener, {
      type: "error",
      provider: this.targets.primary.provider.name,
      model: req.params.model,
      stream: req.params.mode === "stream",
      durationMs: performance.now() - this.#started,
      error,
    });
  }

  finished(response: ModelResponse | undefined, finish: FinishPart | undefined): void {
    const { req } = this;
    const usage: Usage | undefined = response?.usage ?? finish?.usage;
    const reason = response?.finishReason ?? finish?.reason;
    const cost = costFor(req.trace, response ? response.cost : finish?.cost);
    const event: RephyscoEvent = {
      type: "finish",
      provider: response?.provider ?? req.trace.provider ?? this.targets.primary.provider.name,
      model: response?.model ?? finish?.model ?? req.trace.model ?? req.params.model,
      stream: req.params.mode === "stream",
      cached: req.trace.cached,
      durationMs: performance.now() - this.#started,
      ...(usage && { usage }),
      ...(cost && { cost }),
      ...(reason && { finishReason: reason }),
    };
    emit(this.listener, event);
  }
}

/** The parts of a call passed on as they come, its end reported (an iterator object, no generator). */
class ObservedParts implements AsyncIterableIterator<PipelinePart> {
  #response: ModelResponse | undefined;
  #finish: FinishPart | undefined;
  #done = false;

  constructor(
    readonly source: AsyncIterator<PipelinePart>,
    readonly watch: Watch,
  ) {}

  [Symbol.asyncIterator](): AsyncIterableIterator<PipelinePart> {
    return this;
  }

  async next(): Promise<IteratorResult<PipelinePart>> {
    if (this.#done) return { done: true, value: undefined };
    let r: IteratorResult<PipelinePart>;
    try {
      r = await this.source.next();
    } catch (error) {
      this.#done = true;
      this.watch.failed(error);
      throw error;
    }
    if (r.done) {
      this.#done = true;
      this.watch.finished(this.#response, this.#finish);
      return r;
    }
    const part = r.value;
    if (part.type === "response") this.#response = part.response;
    else if (part.type === "finish") this.#finish = part;
    return r;
  }

  async return(): Promise<IteratorResult<PipelinePart>> {
    // Stopped by the consumer: neither a finish nor an error, as before.
    if (!this.#done) {
      this.#done = true;
      await this.source.return?.(undefined);
    }
    return { done: true, value: undefined };
  }
}
