import { InvalidRequestError } from "@rephysco/core";
import { abortReason, scrubError, sniffImageType, urlSecrets } from "@rephysco/core/http";
import { type ImageResponse, openImageUrl } from "./open-image-url.js";

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
  /** Aborts the fetch; it then rejects with the signal's reason (the platform `AbortError`). */
  readonly signal?: AbortSignal;
  /** `fetch` to use instead of Node's `http`/`https` (the address check is weaker then). */
  readonly fetch?: typeof globalThis.fetch;
  /** When set, every URL (the first and each redirect) must pass it. */
  readonly allowUrl?: (url: URL) => boolean;
  /** Let downloads reach private, loopback and link-local addresses. Default `false`. */
  readonly allowPrivateHosts?: boolean;
}

const MAX_REDIRECTS = 5;
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

/** A fetched image, ready for a Gemini `inlineData` part. */
export interface FetchedImage {
  readonly mediaType: string;
  readonly base64: string;
}

/** The URL without query, fragment or credentials: signed URLs carry tokens we must not log. */
function describe(url: string | URL): string {
  try {
    const u = new URL(url);
    return `${u.origin}${u.pathname}`;
  } catch {
    return "(invalid URL)";
  }
}

function decoded(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/**
 * The URL without its user info, and that user info as a Basic `authorization` header (what
 * browsers and curl do with `https://user:pw@host/`; `fetch` refuses such URLs outright).
 */
function requestFor(url: URL): { readonly url: URL; readonly headers: Record<string, string> } {
  const headers: Record<string, string> = { accept: "image/*, */*;q=0.5" };
  if (!url.username && !url.password) return { url, headers };
  const bare = new URL(url);
  bare.username = "";
  bare.password = "";
  const credentials = `${decoded(url.username)}:${decoded(url.password)}`;
  headers.authorization = `Basic ${Buffer.from(credentials).toString("base64")}`;
  return { url: bare, headers };
}

async function discard(res: ImageResponse): Promise<void> {
  await res.body?.cancel().catch(() => {});
}

/**
 * Downloads an `http(s)` image so that it can be sent inline, since the Gemini Developer API
 * does not fetch arbitrary URLs itself. Bounded in size and time; honours the signal.
 *
 * Redirects are followed here, one hop at a time (at most 5): each hop must be `http(s)`, pass
 * `allowUrl`, and (unless `allowPrivateHosts`) reach a public address (see `openImageUrl`).
 * Every failure before an answer arrives (private address, refused, reset, no answer in time,
 * unknown name, TLS failure) gets one and the same message without a cause, so that errors
 * cannot be used to tell which hosts and ports exist behind the server. No error carries the
 * URL's user info or query.
 *
 * @throws {InvalidRequestError} (code `image_fetch_failed`) when the image cannot be fetched,
 * is too large, times out, or is not an image.
 * @throws the signal's reason (an `AbortError`) when the signal aborts.
 */
export async function fetchImage(url: string, opts: FetchImageOptions): Promise<FetchedImage> {
  const where = describe(url);
  const secrets = urlSecrets(url);
  const fail = (why: string, cause?: unknown) =>
    new InvalidRequestError(`Could not use the image at ${where}: ${why}`, {
      provider: opts.provider,
      reason: "image_fetch_failed",
      ...(cause !== undefined && { cause: scrubError(cause, secrets) }),
    });
  const timeout = AbortSignal.timeout(opts.timeoutMs);
  const signal = opts.signal ? AbortSignal.any([opts.signal, timeout]) : timeout;
  const unreachable = () =>
    fail(
      `the image host is not reachable or not allowed (it refused the connection, did not answer within ${opts.timeoutMs} ms, or has a private address, which needs the setting allowPrivateImageHosts).`,
    );

  let current: URL;
  try {
    current = new URL(url);
  } catch {
    throw fail("it is not a valid URL.");
  }
  let res: ImageResponse | undefined;
  for (let hop = 0; ; hop++) {
    if (hop > MAX_REDIRECTS) throw fail(`more than ${MAX_REDIRECTS} redirects.`);
    if (current.protocol !== "http:" && current.protocol !== "https:") {
      throw fail(`a redirect to a ${current.protocol} URL is not followed.`);
    }
    if (opts.allowUrl && !opts.allowUrl(current)) {
      throw fail(`the URL ${describe(current)} is not allowed (setting allowImageUrl).`);
    }
    const request = requestFor(current);
    try {
      res = await openImageUrl(request.url, {
        signal,
        headers: request.headers,
        allowPrivateHosts: opts.allowPrivateHosts === true,
        ...(opts.fetch && { fetch: opts.fetch }),
      });
    } catch {
      if (opts.signal?.aborted) throw abortReason(opts.signal);
      throw unreachable();
    }
    const location = REDIRECT_STATUSES.has(res.status) ? res.headers.get("location") : null;
    if (location === null) break;
    await discard(res);
    try {
      current = new URL(location, current);
    } catch {
      throw fail("the server sent a redirect to an invalid URL.");
    }
  }

  if (res.status < 200 || res.status > 299) {
    await discard(res);
    throw fail(`the server answered HTTP ${res.status}.`);
  }
  const declared = res.headers.get("content-type")?.split(";")[0]?.trim().toLowerCase();
  // Servers often label images as octet-stream (or send no type): then the bytes decide.
  const generic =
    !declared || declared === "application/octet-stream" || declared === "binary/octet-stream";
  if (!generic && !declared.startsWith("image/")) {
    await discard(res);
    throw fail(`the content type is "${declared}", not an image.`);
  }
  const length = Number(res.headers.get("content-length"));
  if (Number.isFinite(length) && length > opts.maxBytes) {
    await discard(res);
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
    if (opts.signal?.aborted) throw abortReason(opts.signal);
    if (timeout.aborted) throw fail(`no complete answer within ${opts.timeoutMs} ms.`);
    throw fail("the download was cut off.", e);
  }
  const bytes = Buffer.concat(chunks, total);
  if (bytes.byteLength === 0) throw fail("the body is empty.");
  const mediaType = generic ? sniffImageType(bytes) : declared;
  if (!mediaType) throw fail("the bytes are not a recognised image format.");
  return { mediaType, base64: bytes.toString("base64") };
}
