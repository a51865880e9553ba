import type { PipelinePart, Stage, Trace } from "./pipeline.js";
import { SharedStream } from "./shared-stream.js";

interface Shared {
  readonly stream: SharedStream<PipelinePart>;
  readonly trace: Trace;
}

/**
 * The coalesce stage: identical calls in flight (same cache key, same mode) share one upstream
 * call (callers get objects of their own at the edge, where the public shapes are made). The
 * upstream runs on its own signal, aborted only when every caller has left; each
 * caller's own signal still ends its own wait. Absent when the client has no cache.
 */
export function coalesceStage(): Stage {
  const inflight = new Map<string, Shared>();
  return (next) => (req) => {
    if (req.cacheMode !== "use" || req.key === undefined) return next(req);
    const id = `${req.params.mode}:${req.key}`;
    let shared = inflight.get(id);
    const joined = shared !== undefined && !shared.stream.abandoned;
    if (!shared || shared.stream.abandoned) {
      const trace: Trace = { cached: false, provider: undefined, model: undefined };
      const created: Shared = {
        trace,
        stream: new SharedStream(
          (signal) => next({ ...req, signal, params: { ...req.params, signal }, trace }),
          () => {
            if (inflight.get(id) === created) inflight.delete(id);
          },
        ),
      };
      inflight.set(id, created);
      shared = created;
    }
    const { trace } = shared;
    // What the shared call learned (a cache hit, who answered) is known before its first part.
    // A caller that joined spent nothing itself: its answer's cost is the shared call's.
    return shared.stream.subscribe(req.signal, () => {
      Object.assign(req.trace, trace);
      if (joined) req.trace.shared = true;
    });
  };
}
