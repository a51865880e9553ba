import { isRetryableError } from "../policy.js";
import {
  abortReason,
  computeRetryDelay,
  isAbortError,
  type ResolvedRetryOptions,
  sleep,
} from "../retry.js";
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
 * The retry stage: runs the attempt again while the error is retryable, nothing has been passed
 * on yet, and the waits (each the provider's Retry-After when it sent one, else backoff) stay
 * within `maxDelayMs` and `maxTotalDelayMs`. Waits end at once when the caller aborts. Absent
 * when retries are off.
 */
export function retryStage(
  options: ResolvedRetryOptions,
  targets: Targets,
  listener: EventListener | undefined,
): Stage {
  return (next) => (req) => withRetry(req, next, options, targets, listener);
}

async function* withRetry(
  req: PipelineRequest,
  next: Next,
  options: ResolvedRetryOptions,
  targets: Targets,
  listener: EventListener | undefined,
): AsyncGenerator<PipelinePart, void, undefined> {
  let waited = 0;
  for (let attempt = 1; ; attempt++) {
    if (req.signal?.aborted) throw abortReason(req.signal);
    const iterator = next({ ...req, attempt })[Symbol.asyncIterator]();
    let first: IteratorResult<PipelinePart>;
    try {
      first = await iterator.next();
    } catch (error) {
      if (isAbortError(error) || attempt > options.maxRetries || !isRetryableError(error))
        throw error;
      const delay = computeRetryDelay(attempt, error, options);
      if (delay === undefined || waited + delay > options.maxTotalDelayMs) throw error;
      if (listener) {
        const target = req.target ?? targets.primary;
        emit(listener, {
          type: "retry",
          provider: target.provider.name,
          model: req.params.model,
          attempt: attempt + 1,
          delayMs: delay,
          error,
          stream: req.params.mode === "stream",
        });
      }
      await sleep(delay, req.signal);
      waited += delay;
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
