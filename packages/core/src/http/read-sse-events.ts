import { createParser, type EventSourceMessage } from "eventsource-parser";
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
 * Reads a `text/event-stream` body as events: a plain reader loop over the body, one UTF-8
 * `TextDecoder`, and eventsource-parser's `createParser`, so line endings (CR, LF, CRLF, also
 * split across reads), multi-line data, comments and a leading BOM follow the spec.
 *
 * - an event (or a line) longer than `maxEventBytes` rejects with a `ProviderError` of code
 *   `response_too_large`;
 * - a body that ends in the middle of an event (data with no closing blank line), or a read that
 *   fails (`ECONNRESET`, `terminated`), rejects with a retryable `ServiceUnavailableError`;
 * - an abort of `signal` rejects with the abort reason (events already read are not yielded);
 * - leaving the loop early (`break`, `return`, a throw) cancels the body, which closes the socket.
 *
 * Events are the parser's own objects, yielded as they are (no copy per event).
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

  // No stream stages (TextDecoderStream, EventSourceParserStream): each is a readable/writable
  // pair with its controllers, queues and pipe promises, held for the whole life of a stream
  // that may stay open for minutes. A reader loop holds one reader, one decoder and the parser.
  const tail = new SseTailTracker();
  const decoder = new TextDecoder();
  const maxEvent = options.maxEventBytes ?? DEFAULT_MAX_EVENT_BYTES;
  // The events of one read, yielded before the next read; one array for the whole stream.
  const ready: EventSourceMessage[] = [];
  const parser = createParser({ onEvent: (event) => ready.push(event) });
  const reader = response.body.getReader();

  const onAbort = () => {
    reader.cancel(signal?.reason).catch(() => {});
  };
  signal?.addEventListener("abort", onAbort, { once: true });
  let done = false;
  try {
    for (;;) {
      let result: ReadableStreamReadResult<Uint8Array>;
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
      const text = result.done ? decoder.decode() : decoder.decode(result.value, { stream: true });
      if (text !== "") {
        tail.feed(text);
        // The parser buffers the current event whole: an event (or a line) without end must
        // not grow it without limit.
        if (tail.eventLength > maxEvent) {
          throw responseTooLargeError(
            provider,
            `one stream event exceeds ${maxEvent} characters (no event end received)`,
          );
        }
        parser.feed(text);
      }
      for (let i = 0; i < ready.length; i++) {
        // The consumer may have aborted while it handled the previous event.
        if (signal?.aborted) throw signal.reason;
        yield ready[i] as EventSourceMessage;
      }
      ready.length = 0;
      if (result.done) {
        done = true;
        break;
      }
    }
    // eventsource-parser has no flush: a last event without its blank line would vanish.
    if (tail.inEvent) {
      throw incompleteStreamError(provider, "the body ended in the middle of an event");
    }
  } finally {
    signal?.removeEventListener("abort", onAbort);
    // The consumer stopped early, or the stream failed: cancel so that the connection is
    // closed, not left to drain.
    if (!done) await reader.cancel().catch(() => {});
  }
}
