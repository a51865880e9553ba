import { isAbortError } from "../retry.js";
import type { EventListener } from "./events.js";
import { emit } from "./events.js";
import {
  type Next,
  type PipelinePart,
  type PipelineRequest,
  rest,
  type Stage,
} from "./pipeline.js";
import type { Targets } from "./targets.js";

/**
 * The fallback stage: tries the targets in order. A target's failure moves on to the next one
 * when `shouldFallback` says so and nothing has been passed on yet; once the first part went up,
 * the call belongs to that target and its errors reach the caller. Absent without fallbacks.
 */
export function fallbackStage(
  targets: Targets,
  shouldFallback: (error: unknown) => boolean,
  listener: EventListener | undefined,
): Stage {
  return (next) => (req) => withFallback(req, next, targets, shouldFallback, listener);
}

async function* withFallback(
  req: PipelineRequest,
  next: Next,
  targets: Targets,
  shouldFallback: (error: unknown) => boolean,
  listener: EventListener | undefined,
): AsyncGenerator<PipelinePart, void, undefined> {
  for (let i = 0; ; i++) {
    const target = targets.resolve(i);
    // The primary keeps the call's model (a per-call `model` wins); a fallback asks its own.
    const params = i === 0 ? req.params : { ...req.params, model: target.model };
    const iterator = next({ ...req, target, targetIndex: i, params })[Symbol.asyncIterator]();
    let first: IteratorResult<PipelinePart>;
    try {
      first = await iterator.next();
    } catch (error) {
      const last = i + 1 >= targets.length;
      if (last || isAbortError(error) || !shouldFallback(error)) throw error;
      let to: { provider: string; model: string };
      try {
        const t = targets.resolve(i + 1);
        to = { provider: t.provider.name, model: t.model };
      } catch {
        // It cannot be created (no key): the next turn of the loop throws that error.
        to = { provider: "(unavailable)", model: "" };
      }
      if (listener)
        emit(listener, {
          type: "fallback",
          from: { provider: target.provider.name, model: params.model },
          to,
          error,
          stream: req.params.mode === "stream",
        });
      continue;
    }
    if (first.done) return;
    // A consumer that stops at the first part must still close what is below (the attempt, its
    // timers and its socket): `yield*` forwards the stop, a bare `yield` does not.
    let handedOn = false;
    try {
      yield first.value;
      handedOn = true;
      yield* rest(iterator);
    } finally {
      if (!handedOn) await iterator.return?.(undefined);
    }
    return;
  }
}
