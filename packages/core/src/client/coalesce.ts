import type { PipelinePart, Stage, Trace } from "./pipeline.js";
import { SharedStream } from "./shared-stream.js";

/** A part with its own `usage` object, so that callers sharing one upstream never share objects. */
function ownPart(part: PipelinePart): PipelinePart {
  if (part.type === "response") {
    const u = part.response.usage;
    return u ? { type: "response", response: { ...part.response, usage: { ...u } } } : part;
  }
  if (part.type === "finish" && part.usage) return { ...part, usage: { ...part.usage } };
  return part;
}

interface Shared {
  readonly stream: SharedStream<PipelinePart>;
  readonly trace: Trace;
}

/**
 * The coalesce stage: identical calls in flight (same cache key, same mode) share one upstream
 * call. The upstream runs on its own signal, aborted only when every caller has left; each
 * caller's own signal still ends its own wait. Absent when the client has no cache.
 */
export function coalesceStage(): Stage {
  const inflight = new Map<string, Shared>();
  return (next) => (req) => {
    if (req.cacheMode !== "use" || req.key === undefined) return next(req);
    const id = `${req.params.mode}:${req.key}`;
    let shared = inflight.get(id);
    if (!shared || shared.stream.abandoned) {
      const trace: Trace = { cached: false, provider: undefined, model: undefined };
      const created: Shared = {
        trace,
        stream: new SharedStream(
          (signal) => next({ ...req, signal, params: { ...req.params, signal }, trace }),
          () => {
            if (inflight.get(id) === created) inflight.delete(id);
          },
          ownPart,
        ),
      };
      inflight.set(id, created);
      shared = created;
    }
    const { trace } = shared;
    // What the shared call learned (a cache hit, who answered) is known before its first part.
    return shared.stream.subscribe(req.signal, () => Object.assign(req.trace, trace));
  };
}
