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
    code: "response_too_large",
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
  /** Most bytes between two line breaks (streams); unset means no line cap. */
  readonly maxLineBytes?: number;
  /** Name of the setting that raises `maxBytes`, for the message. Default `maxResponseBytes`. */
  readonly setting?: string;
}

const LF = 0x0a;
const CR = 0x0d;

function lastLineBreak(chunk: Uint8Array): number {
  return Math.max(chunk.lastIndexOf(LF), chunk.lastIndexOf(CR));
}

function firstLineBreak(chunk: Uint8Array): number {
  const lf = chunk.indexOf(LF);
  const cr = chunk.indexOf(CR);
  return lf < 0 ? cr : cr < 0 ? lf : Math.min(lf, cr);
}

/**
 * Returns a `Response` whose body errors with {@link responseTooLargeError} as soon as it exceeds
 * `maxBytes` in total or `maxLineBytes` in one line, for transports that read the body themselves
 * (a vendor SDK). A `content-length` above `maxBytes` fails before any byte is read. The check is
 * one pass over each chunk's tail, no copy.
 *
 * @example
 * ```ts
 * const limited = limitResponseBody(await fetch(url), { provider: "my-llm", maxBytes: 1 << 20 });
 * await limited.json(); // throws response_too_large past 1 MiB
 * ```
 */
export function limitResponseBody(response: Response, limits: ResponseBodyLimits): Response {
  const { provider, maxBytes, maxLineBytes } = limits;
  if (!response.body || (maxBytes === undefined && maxLineBytes === undefined)) return response;
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
  let line = 0;
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
        if (maxLineBytes !== undefined) {
          // The line carried over plus this chunk's head, then this chunk's tail. Lines wholly
          // inside one chunk are bounded by the chunk itself.
          const first = firstLineBreak(chunk);
          const head = first < 0 ? chunk.byteLength : first;
          const tooLong = line + head > maxLineBytes;
          line = first < 0 ? line + chunk.byteLength : chunk.byteLength - lastLineBreak(chunk) - 1;
          if (tooLong || line > maxLineBytes) {
            controller.error(
              responseTooLargeError(
                provider,
                `one line of the stream exceeds ${maxLineBytes} bytes`,
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
