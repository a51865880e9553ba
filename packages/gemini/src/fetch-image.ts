import { abortReason, InvalidRequestError, sniffImageType } from "@rephysco/core";

/** Default cap on a fetched image: Gemini rejects inline data above 20 MB per request anyway. */
export const DEFAULT_MAX_IMAGE_BYTES = 20 * 1024 * 1024;

/** Default time allowed to fetch one image, headers and body together. */
export const DEFAULT_IMAGE_FETCH_TIMEOUT_MS = 15_000;

/** How {@link fetchImage} fetches. */
export interface FetchImageOptions {
  /** Registry id put on errors. */
  readonly provider: string;
  /** Largest body accepted, in bytes. */
  readonly maxBytes: number;
  /** Time allowed for the whole fetch, in milliseconds. */
  readonly timeoutMs: number;
  /** The caller's signal: aborting it aborts the fetch with the platform `AbortError`. */
  readonly signal?: AbortSignal;
  /** `fetch` to use; defaults to the global one. */
  readonly fetch?: typeof globalThis.fetch;
  /** When set, every URL (the first and each redirect) must pass it. */
  readonly allowUrl?: (url: URL) => boolean;
}

const MAX_REDIRECTS = 5;

/** A fetched image, ready for a Gemini `inlineData` part. */
export interface FetchedImage {
  readonly mediaType: string;
  readonly base64: string;
}

/** The URL without query, fragment or credentials: signed URLs carry tokens we must not log. */
function describe(url: string): string {
  try {
    const u = new URL(url);
    return `${u.origin}${u.pathname}`;
  } catch {
    return "(invalid URL)";
  }
}

/** Fetches `url`; with an `allowUrl` check, redirects are followed by hand so each hop is checked. */
async function fetchFollowing(
  url: string,
  opts: FetchImageOptions,
  signal: AbortSignal,
  fail: (why: string) => InvalidRequestError,
): Promise<Response> {
  const doFetch = opts.fetch ?? globalThis.fetch;
  if (!opts.allowUrl) return doFetch(url, { signal, redirect: "follow" });
  let current = new URL(url);
  for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
    if (!opts.allowUrl(current))
      throw fail(
        `the URL ${current.origin}${current.pathname} is not allowed (setting allowImageUrl).`,
      );
    const res = await doFetch(current, { signal, redirect: "manual" });
    const location = res.status >= 300 && res.status < 400 ? res.headers.get("location") : null;
    if (!location) return res;
    await res.body?.cancel().catch(() => {});
    current = new URL(location, current);
  }
  throw fail(`more than ${MAX_REDIRECTS} redirects.`);
}

/**
 * Downloads an `http(s)` image so that it can be sent inline, since the Gemini Developer API
 * does not fetch arbitrary URLs itself. Bounded in size and time; honours the caller's signal.
 *
 * @throws {InvalidRequestError} (code `image_fetch_failed`) when the image cannot be fetched,
 * is too large, times out, or is not an image.
 * @throws the caller's abort reason (an `AbortError`) when the caller aborts.
 */
export async function fetchImage(url: string, opts: FetchImageOptions): Promise<FetchedImage> {
  const where = describe(url);
  const fail = (why: string, cause?: unknown) =>
    new InvalidRequestError(`Could not use the image at ${where}: ${why}`, {
      provider: opts.provider,
      code: "image_fetch_failed",
      ...(cause !== undefined && { cause }),
    });
  const timeout = AbortSignal.timeout(opts.timeoutMs);
  const signal = opts.signal ? AbortSignal.any([opts.signal, timeout]) : timeout;
  const fromError = (e: unknown): unknown => {
    if (opts.signal?.aborted) return abortReason(opts.signal);
    if (timeout.aborted) return fail(`no complete answer within ${opts.timeoutMs} ms.`, e);
    return fail(`the request failed (${e instanceof Error ? e.message : String(e)}).`, e);
  };

  let res: Response;
  try {
    res = await fetchFollowing(url, opts, signal, fail);
  } catch (e) {
    if (e instanceof InvalidRequestError) throw e;
    throw fromError(e);
  }
  if (!res.ok) {
    await res.body?.cancel().catch(() => {});
    throw fail(`the server answered HTTP ${res.status}.`);
  }
  const declared = res.headers.get("content-type")?.split(";")[0]?.trim().toLowerCase();
  // Servers often label images as octet-stream (or send no type): then the bytes decide.
  const generic =
    !declared || declared === "application/octet-stream" || declared === "binary/octet-stream";
  if (!generic && !declared.startsWith("image/")) {
    await res.body?.cancel().catch(() => {});
    throw fail(`the content type is "${declared}", not an image.`);
  }
  const length = Number(res.headers.get("content-length"));
  if (Number.isFinite(length) && length > opts.maxBytes) {
    await res.body?.cancel().catch(() => {});
    throw fail(
      `it is ${length} bytes, above the limit of ${opts.maxBytes} (setting maxImageBytes).`,
    );
  }

  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    if (res.body) {
      const reader = res.body.getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        total += value.byteLength;
        if (total > opts.maxBytes) {
          await reader.cancel().catch(() => {});
          throw fail(
            `it is larger than the limit of ${opts.maxBytes} bytes (setting maxImageBytes).`,
          );
        }
        chunks.push(value);
      }
    }
  } catch (e) {
    if (e instanceof InvalidRequestError) throw e;
    throw fromError(e);
  }
  const bytes = Buffer.concat(chunks, total);
  if (bytes.byteLength === 0) throw fail("the body is empty.");
  const mediaType = generic ? sniffImageType(bytes) : declared;
  if (!mediaType) throw fail("the bytes are not a recognised image format.");
  return { mediaType, base64: bytes.toString("base64") };
}
