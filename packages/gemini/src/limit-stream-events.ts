import { responseTooLargeError } from "@rephysco/core/http";

const LF = 0x0a;
const CR = 0x0d;

/**
 * A streamed response whose body errors with `response_too_large` as soon as one event exceeds
 * `maxEventBytes`. An event is what the SDK splits on: the bytes up to `\n\n`, `\r\r` or
 * `\r\n\r\n`. The SDK keeps the whole pending event in one string (and searches it again for
 * every chunk), so without this cap a body of short lines that never leaves a blank line grows
 * that string without limit, just as one endless line does. A line cap alone misses the first.
 *
 * @example
 * ```ts
 * const limited = limitStreamEvents(response, "gemini", DEFAULT_MAX_EVENT_BYTES);
 * ```
 */
export function limitStreamEvents(
  response: Response,
  provider: string,
  maxEventBytes: number,
): Response {
  if (!response.body) return response;
  // Bytes since the last event boundary, and the last three bytes seen (only CR and LF matter).
  let pending = 0;
  let b1 = -1;
  let b2 = -1;
  let b3 = -1;
  const tooLarge = () =>
    responseTooLargeError(
      provider,
      `one event of the stream exceeds ${maxEventBytes} bytes`,
      response.status,
    );
  const body = response.body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        if (chunk.indexOf(LF) < 0 && chunk.indexOf(CR) < 0) {
          // No line break at all (the common case inside a long event): no byte-by-byte scan.
          pending += chunk.byteLength;
          b1 = b2 = b3 = -1;
        } else {
          for (const b of chunk) {
            const boundary =
              (b === LF && (b1 === LF || (b1 === CR && b2 === LF && b3 === CR))) ||
              (b === CR && b1 === CR);
            pending = boundary ? 0 : pending + 1;
            b3 = b2;
            b2 = b1;
            b1 = b;
            if (pending > maxEventBytes) break;
          }
        }
        if (pending > maxEventBytes) {
          controller.error(tooLarge());
          return;
        }
        controller.enqueue(chunk);
      },
    }),
  );
  return new Response(body, {
    status: response.status,
    statusText: response.statusText,
    headers: response.headers,
  });
}
