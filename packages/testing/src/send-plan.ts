import type { ServerResponse } from "node:http";
import type { ResponseLife } from "./response-life.js";
import type { BodyPlan, StreamControl, StreamPlan } from "./response-plan.js";

/** Writes `data` and resolves once it has been handed to the socket (or the socket closed). */
function write(response: ServerResponse, data: string): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      response.off("close", done);
      resolve();
    };
    response.once("close", done);
    response.write(data, done);
  });
}

/** Sends a whole body at once. */
export function sendBody(response: ServerResponse, plan: BodyPlan): void {
  response.writeHead(plan.status, plan.headers);
  response.end(plan.body);
}

/**
 * Streams a plan group by group, applying delays and faults. Fault counters are in content
 * chunks: with `n`, the first `n` groups are sent in full, then the fault happens.
 */
export async function sendStream(
  response: ServerResponse,
  plan: StreamPlan,
  control: StreamControl,
  life: ResponseLife,
): Promise<void> {
  response.writeHead(plan.status, plan.headers);
  // Headers go out now so that clients can tell time-to-headers from time-to-first-chunk.
  response.flushHeaders();
  const last = plan.groups.length;
  const at = (n: number | undefined) =>
    n === undefined ? undefined : Math.min(Math.max(0, n), last);
  const resetAt = at(control.resetAfterChunks);
  const stallAt = at(control.stallAfterChunks);
  const errorAt = at(control.midStreamError?.afterChunks);

  for (let i = 0; i <= last; i++) {
    if (resetAt === i) {
      life.destroy(response);
      return;
    }
    if (stallAt === i) return; // the socket stays open until the client or the server closes it
    if (errorAt === i && control.midStreamError) {
      if (!(await life.wait(i === 0 ? control.firstChunkDelayMs : control.chunkDelayMs))) return;
      response.end(control.midStreamError.frame);
      return;
    }
    const frames = i < last ? plan.groups[i]! : plan.trailer;
    if (!(await life.wait(i === 0 ? control.firstChunkDelayMs : control.chunkDelayMs))) return;
    if (i === last) {
      response.end(frames.join(""));
      return;
    }
    await write(response, frames.join(""));
    if (life.closed) return;
  }
}
