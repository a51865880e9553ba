/** A complete body sent at once. */
export interface BodyPlan {
  kind: "body";
  status: number;
  headers: Record<string, string>;
  body: string;
}

/**
 * A streamed body. `groups[i]` holds the frames of content chunk `i` together with the
 * structural events that precede it; `trailer` holds what follows the last content chunk
 * (finish, usage, end marker). Faults count content chunks, i.e. groups.
 */
export interface StreamPlan {
  kind: "stream";
  status: number;
  headers: Record<string, string>;
  groups: string[][];
  trailer: string[];
}

/** How a reply becomes bytes on the wire. */
export type ResponsePlan = BodyPlan | StreamPlan;

/** Faults and timing applied while a stream plan is sent. */
export interface StreamControl {
  firstChunkDelayMs?: number;
  chunkDelayMs?: number;
  resetAfterChunks?: number;
  stallAfterChunks?: number;
  /** Error frame sent after `afterChunks` content chunks, after which the stream ends. */
  midStreamError?: { afterChunks: number; frame: string };
}
