import { EventSourceParserStream } from "eventsource-parser/stream";
import { DEFAULT_MAX_EVENT_BYTES, responseTooLargeError } from "./limits.js";
import { incompleteStreamError, toTransportError } from "./network-error.js";
import { SseTailTracker } from "./sse-tail-tracker.js";

/** One server-sent event. */
export interface SseEvent {
  /** The `event:` field; `undefined` when the server sent none (not `"message"`). */
  readonly event?: string;
  /** The `data:` lines, joined with `\n`. `[DONE]` is not special here: check it yourself. */
  readonly data: string;
  /** The `id:` field, when present. */
  readonly id?: string;
}

/** Options of {@link readSseEvents}. */
export interface ReadSseEventsOptions {
  /** Registry id of the provider, for errors. */
  readonly provider?: string;
  /** Secrets kept out of errors. */
  readonly secrets?: readonly (string | undefined)[];
  /** Stops reading (and closes the body) when aborted; the iteration rejects with the abort reason. */
  readonly signal?: AbortSignal;
  /**
   * Most characters one event (or one unterminated line) may take before the stream fails with
   * code `response_too_large`. Default 1 MiB. The whole stream is bounded by the timeouts.
   */
  readonly maxEventBytes?: number;
}

/**
 * Reads a `text/event-stream` body as events: `body -> UTF-8 decoding -> EventSourceParserStream`
 * (eventsource-parser), so line endings, multi-line data, comments and BOMs follow the spec.
 *
 * - an event (or a line) longer than `maxEventBytes` rejects with a `ProviderError` of code
 *   `response_too_large`;
 * - a body that ends in the middle of an event (data with no closing blank line), or a read that
 *   fails (`ECONNRESET`, `terminated`), rejects with a retryable `ServiceUnavailableError`;
 * - an abort of `signal` rejects with the abort reason;
 * - leaving the loop early (`break`, `return`, a throw) cancels the body, which closes the socket.
 *
 * Whether the stream reached its terminal event (`[DONE]`, `message_stop`) is the provider's call:
 * see `incompleteStreamError`.
 *
 * @example
 * ```ts
 * for await (const { event, data } of readSseEvents(response, { provider: "my-llm", signal })) {
 *   if (event === "ping") continue;
 *   const payload = parseJsonEvent<MyEvent>(data, "my-llm");
 * }
 * ```
 */
export async function* readSseEvents(
  response: Response,
  options: ReadSseEventsOptions = {},
): AsyncGenerator<SseEvent, void, undefined> {
  const provider = options.provider ?? "unknown";
  const { signal, secrets = [] } = options;
  if (signal?.aborted) throw signal.reason;
  if (!response.body) throw incompleteStreamError(provider, "the response has no body");

  // One stage decodes and watches for a cut mid-event (two stages, TextDecoderStream plus a
  // tracker, cost a stream's worth of buffers and promises each).
  const tail = new SseTailTracker();
  const decoder = new TextDecoder();
  const maxEvent = options.maxEventBytes ?? DEFAULT_MAX_EVENT_BYTES;
  const decode = new TransformStream<Uint8Array, string>({
    transform(chunk, controller) {
      const text = decoder.decode(chunk, { stream: true });
      if (text) {
        tail.feed(text);
        // The parser buffers the current event whole: an event (or a line) without end must
        // not grow it without limit.
        if (tail.eventLength > maxEvent) {
          controller.error(
            responseTooLargeError(
              provider,
              `one stream event exceeds ${maxEvent} characters (no event end received)`,
            ),
          );
          return;
        }
        controller.enqueue(text);
      }
    },
    flush(controller) {
      const text = decoder.decode();
      if (text) {
        tail.feed(text);
        controller.enqueue(text);
      }
    },
  });
  const reader = response.body
    .pipeThrough(decode)
    .pipeThrough(new EventSourceParserStream())
    .getReader();

  const onAbort = () => {
    reader.cancel(signal?.reason).catch(() => {});
  };
  signal?.addEventListener("abort", onAbort, { once: true });
  let done = false;
  try {
    for (;;) {
      let result: ReadableStreamReadResult<{
        event?: string | undefined;
        data: string;
        id?: string | undefined;
      }>;
      try {
        result = await reader.read();
      } catch (error) {
        done = true;
        throw toTransportError(error, {
          provider,
          secrets,
          ...(signal && { signal }),
          during: "reading the stream",
        });
      }
      if (signal?.aborted) {
        done = true;
        throw signal.reason;
      }
      if (result.done) {
        done = true;
        break;
      }
      // The parser's own object, as it is: no copy per event.
      yield result.value;
    }
    if (tail.inEvent) {
      throw incompleteStreamError(provider, "the body ended in the middle of an event");
    }
  } finally {
    signal?.removeEventListener("abort", onAbort);
    // The consumer stopped early: cancel so that the connection is closed, not left to drain.
    if (!done) await reader.cancel().catch(() => {});
  }
}
