import type { CachedResponse } from "../cache/cache-store.js";
import type { FinishReason, StreamChunk, Usage } from "../types.js";

/** Joins stream chunks into one answer (used for stream-to-generate cache hits). */
export function assembleChunks(
  chunks: readonly StreamChunk[],
  provider: string,
  model: string,
): CachedResponse {
  let content = "";
  let reasoning = "";
  let usage: Usage | undefined;
  let finishReason: FinishReason | undefined;
  let m = model;
  for (const c of chunks) {
    content += c.content;
    if (c.reasoning) reasoning += c.reasoning;
    if (c.usage) usage = c.usage;
    if (c.finishReason) finishReason = c.finishReason;
    if (c.model) m = c.model;
  }
  return {
    content,
    ...(reasoning && { reasoning }),
    model: m,
    provider: chunks.find((c) => c.provider)?.provider ?? provider,
    ...(usage && { usage }),
    ...(finishReason && { finishReason }),
  };
}

/** Replays a whole answer as stream chunks (used for generate-to-stream cache hits). */
export function responseToChunks(r: CachedResponse): StreamChunk[] {
  return [
    {
      content: r.content,
      ...(r.reasoning && { reasoning: r.reasoning }),
      model: r.model,
      provider: r.provider,
      ...(r.finishReason && { finishReason: r.finishReason }),
      ...(r.usage && { usage: r.usage }),
    },
  ];
}
