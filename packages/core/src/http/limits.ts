import { ProviderError } from "../errors.js";

/**
 * Default cap on a non-streamed response body (`maxResponseBytes`): 64 MiB. Far above any real
 * answer, far below what would hurt a process.
 */
export const DEFAULT_MAX_RESPONSE_BYTES = 64 * 1024 * 1024;

/**
 * Default cap on one server-sent event, or one line of a streamed body: 1 MiB. A whole stream is
 * bounded by the timeouts, not by size; this only stops one endless line from growing a buffer.
 */
export const DEFAULT_MAX_EVENT_BYTES = 1024 * 1024;

/** Most bytes of an error body read: 64 KiB. The rest is discarded unread. */
export const DEFAULT_MAX_ERROR_BODY_BYTES = 64 * 1024;

/** Largest timer Node can arm: a longer `setTimeout` fires after about 1 ms instead. */
export const MAX_TIMEOUT_MS = 2 ** 31 - 1;

/**
 * The error for a response that exceeds a size cap: a `ProviderError` with code
 * `response_too_large`. Not retried (the next attempt would download the same bytes again);
 * allowed to fall back to another provider.
 *
 * @example
 * ```ts
 * if (received > max) throw responseTooLargeError("my-llm", `the body exceeds ${max} bytes`);
 * ```
 */
export function responseTooLargeError(
  provider: string,
  detail: string,
  status?: number,
): ProviderError {
  return new ProviderError(`${provider}: the response is too large: ${detail}.`, {
    provider,
    reason: "response_too_large",
    retryable: false,
    ...(status !== undefined && { status }),
  });
}

/** Caps of {@link limitResponseBody}. */
export interface ResponseBodyLimits {
  /** Registry id of the provider, for errors. */
  readonly provider: string;
  /** Most bytes of the whole body (non-streamed answers); unset means no total cap. */
  readonly maxBytes?: number;
  /**
   * Most bytes of one server-sent event, up to its blank line (`\n\n`, `\r\r`, `\r\n\r\n`),
   * for streams read by a vendor SDK (which holds a whole pending event in one string): caps an
   * endless line and an endless run of short lines alike. Unset means no event cap.
   */
  readonly maxEventBytes?: number;
  /** Name of the setting that raises `maxBytes`, for the message. Default `maxResponseBytes`. */
  readonly setting?: string;
}

const LF = 0x0a;
const CR = 0x0d;

/**
 * Returns a `Response` whose body errors with {@link responseTooLargeError} as soon as it exceeds
 * `maxBytes` in total or `maxEventBytes` in one event, for transports that read the body
 * themselves (a vendor SDK). A `content-length` above `maxBytes` fails before any byte is read.
 * Chunks without a line break (most of a long event) are counted, not scanned; no copy.
 *
 * @example
 * ```ts
 * const limited = limitResponseBody(await fetch(url), { provider: "my-llm", maxBytes: 1 << 20 });
 * await limited.json(); // throws response_too_large past 1 MiB
 * ```
 */
export function limitResponseBody(response: Response, limits: ResponseBodyLimits): Response {
  const { provider, maxBytes, maxEventBytes } = limits;
  if (!response.body || (maxBytes === undefined && maxEventBytes === undefined)) return response;
  const setting = limits.setting ?? "maxResponseBytes";
  const declared = Number(response.headers.get("content-length"));
  if (maxBytes !== undefined && Number.isFinite(declared) && declared > maxBytes) {
    response.body.cancel().catch(() => {});
    throw responseTooLargeError(
      provider,
      `content-length ${declared} is above the limit of ${maxBytes} bytes (setting ${setting})`,
      response.status,
    );
  }
  let total = 0;
  // Bytes since the last event boundary, and the last three bytes seen (only CR and LF matter).
  let pending = 0;
  let b1 = -1;
  let b2 = -1;
  let b3 = -1;
  const body = response.body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        total += chunk.byteLength;
        if (maxBytes !== undefined && total > maxBytes) {
          controller.error(
            responseTooLargeError(
              provider,
              `the body exceeds the limit of ${maxBytes} bytes (setting ${setting})`,
              response.status,
            ),
          );
          return;
        }
        if (maxEventBytes !== undefined) {
          if (chunk.indexOf(LF) < 0 && chunk.indexOf(CR) < 0) {
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
            controller.error(
              responseTooLargeError(
                provider,
                `one event of the stream exceeds ${maxEventBytes} bytes`,
                response.status,
              ),
            );
            return;
          }
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

/**
 * Reads a whole body as text, failing with {@link responseTooLargeError} past `maxBytes`
 * (checked against `content-length` first, then while reading). A plain reader loop (no extra
 * stream stage on the hot path); the text is decoded once, at the end.
 */
export async function readLimitedText(
  response: Response,
  provider: string,
  maxBytes: number = DEFAULT_MAX_RESPONSE_BYTES,
): Promise<string> {
  const body = response.body;
  if (!body) return "";
  const declared = Number(response.headers.get("content-length"));
  if (Number.isFinite(declared) && declared > maxBytes) {
    body.cancel().catch(() => {});
    throw responseTooLargeError(
      provider,
      `content-length ${declared} is above the limit of ${maxBytes} bytes (setting maxResponseBytes)`,
      response.status,
    );
  }
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      if (total > maxBytes) {
        await reader.cancel().catch(() => {});
        throw responseTooLargeError(
          provider,
          `the body exceeds the limit of ${maxBytes} bytes (setting maxResponseBytes)`,
          response.status,
        );
      }
      chunks.push(value);
    }
  } finally {
    reader.releaseLock();
  }
  // TextDecoder, like Response.text(): invalid bytes become U+FFFD and a BOM is dropped.
  return new TextDecoder().decode(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, total));
}
