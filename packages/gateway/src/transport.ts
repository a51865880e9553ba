/**
 * A `fetch` for the vendor SDKs that costs a fraction of Node's global one: requests go through
 * `undici`'s `request` on a keep-alive pool, and the answer comes back as a real global
 * `Response` that streams. Shapes that are rare for the SDKs (a `Request` object, a `FormData`,
 * `Blob` or stream body, a URL that is not http(s), a redirect to follow) are handed to
 * `globalThis.fetch` whole, so the result is always what `fetch` would give.
 */
import { pipeline, type Readable, Transform, type TransformCallback } from "node:stream";
import zlib from "node:zlib";
import { abortReason } from "@rephysco/core/http";
import { Agent, type Dispatcher } from "undici";

/** Options of {@link createFastFetch}. */
export interface FastFetchOptions {
  /**
   * undici dispatcher to use; default a new undici `Agent` with keep-alive (connections: 128 per
   * origin, keepAliveTimeout 30s, pipelining 1). A dispatcher passed here stays the caller's:
   * `close()` does not close it, and `connectTimeoutMs` does not apply to it.
   */
  readonly dispatcher?: Dispatcher;
  /** Connect timeout ms (default 10_000) of the default `Agent`. */
  readonly connectTimeoutMs?: number;
}

/** A fetch-compatible function plus `close()`. */
export interface FastFetch {
  /** Drop-in for `globalThis.fetch`, for a provider's `settings.fetch` or a vendor SDK. */
  readonly fetch: typeof globalThis.fetch;
  /**
   * Closes the pooled connections (idempotent). Like undici's `close()`, it waits for requests in
   * flight, so read or cancel every body first. A dispatcher from the options is left open.
   */
  close(): Promise<void>;
  /** Closes the pooled connections at once, failing requests still running (idempotent). */
  destroy(): Promise<void>;
}

/**
 * Creates a keep-alive `fetch` on `undici`'s `request`. Same results as the global `fetch` for
 * what the vendor SDKs send (string or byte bodies, JSON and SSE answers): a real `Response`
 * whose body streams chunk by chunk, `TypeError("fetch failed")` with the network error as
 * `cause`, the signal's reason on abort.
 *
 * @example
 * ```ts
 * const fast = createFastFetch();
 * const client = new OpenAI({ apiKey, fetch: fast.fetch });
 * // ...
 * await fast.close();
 * ```
 */
export function createFastFetch(options: FastFetchOptions = {}): FastFetch {
  const owned = options.dispatcher === undefined;
  const dispatcher =
    options.dispatcher ??
    new Agent({
      connections: 128,
      keepAliveTimeout: 30_000,
      pipelining: 1,
      connect: { timeout: options.connectTimeoutMs ?? 10_000 },
    });
  let closed: Promise<void> | undefined;
  const fetch = (input: RequestInfo | URL, init?: RequestInit): Promise<Response> =>
    fastFetch(dispatcher, input, init);
  return {
    fetch: fetch as typeof globalThis.fetch,
    close() {
      closed ??= owned ? dispatcher.close() : Promise.resolve();
      return closed;
    },
    destroy() {
      closed ??= owned ? dispatcher.destroy() : Promise.resolve();
      return closed;
    },
  };
}

const TEXT_PLAIN = "text/plain;charset=UTF-8";
const FORM_URLENCODED = "application/x-www-form-urlencoded;charset=UTF-8";

/** What the response callback needs of one call (undici hands it back as `opaque`). */
interface Call {
  readonly input: string | URL;
  readonly init: RequestInit | undefined;
  readonly href: string;
  readonly method: string;
  readonly signal: AbortSignal | null;
  resolve: (value: Response | Promise<Response>) => void;
  reject: (reason: unknown) => void;
}

function fastFetch(
  dispatcher: Dispatcher,
  input: RequestInfo | URL,
  init: RequestInit | undefined,
): Promise<Response> {
  let call: Call;
  let options: Dispatcher.RequestOptions<Call>;
  try {
    if (typeof input !== "string" && !(input instanceof URL)) return globalThis.fetch(input, init);
    const url = typeof input === "string" ? new URL(input) : input;
    const protocol = url.protocol;
    if (
      (protocol !== "http:" && protocol !== "https:") ||
      url.username !== "" ||
      url.password !== ""
    ) {
      return globalThis.fetch(input, init);
    }
    const raw = init?.body;
    let body: string | Uint8Array | null = null;
    let defaultType: string | null = null;
    if (raw == null) {
      // no body
    } else if (typeof raw === "string") {
      body = raw;
      defaultType = TEXT_PLAIN;
    } else if (raw instanceof Uint8Array) {
      body = raw;
    } else if (raw instanceof ArrayBuffer) {
      body = new Uint8Array(raw);
    } else if (raw instanceof URLSearchParams) {
      body = raw.toString();
      defaultType = FORM_URLENCODED;
    } else {
      return globalThis.fetch(input, init);
    }
    const method = normalizeMethod(init?.method);
    // Forbidden methods, a body on GET/HEAD, malformed headers: `fetch` itself says how it fails.
    if (method === null || (body !== null && (method === "GET" || method === "HEAD"))) {
      return globalThis.fetch(input, init);
    }
    const headers = requestHeaders(init?.headers, defaultType);
    if (headers === null) return globalThis.fetch(input, init);
    const signal = init?.signal ?? null;
    if (signal?.aborted) return Promise.reject(abortReason(signal));
    const hash = url.hash;
    call = {
      input,
      init,
      href: hash === "" ? url.href : url.href.slice(0, -hash.length),
      method,
      signal,
      resolve: noop,
      reject: noop,
    };
    options = {
      origin: url.origin,
      path: url.pathname + url.search,
      method: method as Dispatcher.HttpMethod,
      headers,
      body,
      signal,
      opaque: call,
    };
  } catch {
    return globalThis.fetch(input, init);
  }
  return new Promise<Response>((resolve, reject) => {
    call.resolve = resolve;
    call.reject = reject;
    dispatcher.request(options, onResponse);
  });
}

function noop(): void {}

/** `fetch`'s method normalization; `null` for the ones it refuses. */
function normalizeMethod(method: string | undefined): string | null {
  if (method === undefined) return "GET";
  switch (method) {
    case "POST":
    case "GET":
    case "PUT":
    case "PATCH":
    case "DELETE":
    case "HEAD":
    case "OPTIONS":
      return method;
  }
  const upper = method.toUpperCase();
  switch (upper) {
    case "DELETE":
    case "GET":
    case "HEAD":
    case "OPTIONS":
    case "POST":
    case "PUT":
      return upper;
    case "CONNECT":
    case "TRACE":
    case "TRACK":
      return null;
  }
  return method;
}

/**
 * Request headers as undici's flat `[name, value, ...]` list, names lowercased, every value
 * kept; `content-length` is left to undici (it is the body's). `null` for a shape `fetch` rejects.
 */
function requestHeaders(
  init: HeadersInit | undefined,
  defaultType: string | null,
): string[] | null {
  const out: string[] = [];
  let hasType = false;
  if (init != null) {
    if (init instanceof Headers) {
      for (const [name, value] of init) {
        if (name === "content-length") continue;
        if (name === "content-type") hasType = true;
        out.push(name, value);
      }
    } else if (Symbol.iterator in init) {
      for (const pair of init as Iterable<readonly string[]>) {
        if (pair.length !== 2) return null;
        const name = `${pair[0]}`.toLowerCase();
        if (name === "content-length") continue;
        if (name === "content-type") hasType = true;
        out.push(name, `${pair[1]}`);
      }
    } else {
      const record = init as Record<string, string>;
      for (const key of Object.keys(record)) {
        const name = key.toLowerCase();
        if (name === "content-length") continue;
        if (name === "content-type") hasType = true;
        out.push(name, `${record[key]}`);
      }
    }
  }
  if (!hasType && defaultType !== null) out.push("content-type", defaultType);
  return out;
}

/** undici's callback: settles the call's promise, never throws (undici would rethrow). */
function onResponse(err: Error | null, data: Dispatcher.ResponseData<Call>): void {
  const call = data.opaque;
  if (err !== null) {
    call.reject(call.signal?.aborted ? abortReason(call.signal) : fetchFailed(err));
    return;
  }
  try {
    call.resolve(toResponse(call, data));
  } catch (e) {
    data.body.destroy();
    call.reject(fetchFailed(e));
  }
}

/** Request headers that describe a body, dropped when a redirect turns the request into a GET. */
const BODY_HEADERS = [
  "content-type",
  "content-length",
  "content-encoding",
  "content-language",
  "content-location",
];

/** The next hop of a redirect, by the fetch standard's rules, through Node's `fetch`. */
function followRedirect(call: Call, status: number, location: string): Promise<Response> {
  const from = new URL(call.href);
  let to: URL;
  try {
    to = new URL(location, from);
  } catch (e) {
    return Promise.reject(fetchFailed(e));
  }
  if (call.init?.redirect === "error")
    return Promise.reject(
      fetchFailed(new Error(`redirect to ${to.origin} refused (redirect: "error")`)),
    );
  const method = call.method;
  const toGet =
    status === 303 ? method !== "HEAD" : (status === 301 || status === 302) && method === "POST";
  const headers = new Headers(call.init?.headers);
  if (toGet) for (const h of BODY_HEADERS) headers.delete(h);
  // Credentials never follow a redirect to another origin.
  if (to.origin !== from.origin) headers.delete("authorization");
  const init: RequestInit = { ...call.init, headers };
  if (toGet) {
    init.method = "GET";
    delete init.body;
  }
  return globalThis.fetch(to, init).then((res) => {
    // As `fetch` reports a redirect it followed.
    if (!res.redirected) Object.defineProperty(res, "redirected", { value: true });
    return res;
  });
}

function fetchFailed(cause: unknown): TypeError {
  return new TypeError("fetch failed", { cause });
}

function toResponse(call: Call, data: Dispatcher.ResponseData<Call>): Response | Promise<Response> {
  const status = data.statusCode;
  const raw = data.body;
  const headers = data.headers;
  if (
    (status === 301 || status === 302 || status === 303 || status === 307 || status === 308) &&
    headers.location !== undefined &&
    call.init?.redirect !== "manual"
  ) {
    // Rare for the SDKs. The request was sent once already: follow the Location (never send
    // the original again), by fetch's rules; `fetch` follows any further hops itself.
    raw.dump().catch(noop);
    return followRedirect(call, status, String(headers.location));
  }
  if (status < 200 || status > 599) {
    raw.destroy();
    throw new RangeError(`unsupported response status ${status}`);
  }
  let stream: ReadableStream<Uint8Array> | null = null;
  if (
    call.method === "HEAD" ||
    status === 204 ||
    status === 205 ||
    status === 304 ||
    status === 101 ||
    status === 103
  ) {
    raw.dump().catch(noop);
  } else {
    const encoding = headers["content-encoding"];
    const source =
      encoding === undefined
        ? raw
        : decoded(raw, typeof encoding === "string" ? encoding : encoding.join(","));
    stream = new ReadableStream(new BodySource(source, call.signal));
  }
  const response = new Response(stream, { status, statusText: data.statusText ?? "" });
  const target = response.headers;
  for (const name in headers) {
    const value = headers[name];
    if (typeof value === "string") target.append(name, value);
    else if (value !== undefined) for (const v of value) target.append(name, v);
  }
  Object.defineProperty(response, "url", { value: call.href });
  return response;
}

/** Marks the Node stream with its web source, so the listeners below are shared functions. */
const kSource = Symbol("fastFetch.source");
type Carrier = Readable & { [kSource]: BodySource };

/**
 * The web `ReadableStream` source over the undici body (or its decoder): each Node chunk is
 * enqueued as it arrives, the Node stream pauses while the web queue is full.
 */
class BodySource implements UnderlyingDefaultSource<Uint8Array> {
  controller: ReadableStreamDefaultController<Uint8Array> | null = null;
  done = false;

  constructor(
    readonly body: Readable,
    readonly signal: AbortSignal | null,
  ) {}

  start(controller: ReadableStreamDefaultController<Uint8Array>): void {
    this.controller = controller;
    const body = this.body as Carrier;
    body[kSource] = this;
    body.on("data", onData);
    body.on("end", onEnd);
    body.on("error", onError);
    body.on("close", onClose);
  }

  pull(): void {
    if (this.body.isPaused()) this.body.resume();
  }

  cancel(): void {
    this.done = true;
    this.body.destroy();
  }
}

function onData(this: Carrier, chunk: Buffer): void {
  const source = this[kSource];
  if (source.done) return;
  const controller = source.controller!;
  // A plain Uint8Array view, as `fetch` gives (no copy).
  controller.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
  if (controller.desiredSize! <= 0) this.pause();
}

function onEnd(this: Carrier): void {
  const source = this[kSource];
  if (source.done) return;
  source.done = true;
  source.controller!.close();
}

function onError(this: Carrier, err: Error): void {
  const source = this[kSource];
  if (source.done) return;
  source.done = true;
  const signal = source.signal;
  source.controller!.error(
    signal?.aborted ? abortReason(signal) : new TypeError("terminated", { cause: err }),
  );
}

function onClose(this: Carrier): void {
  const source = this[kSource];
  if (source.done) return;
  const err = Object.assign(new Error("premature close"), { code: "ERR_STREAM_PREMATURE_CLOSE" });
  onError.call(this, err);
}

const ZLIB_OPTIONS = {
  flush: zlib.constants.Z_SYNC_FLUSH,
  finishFlush: zlib.constants.Z_SYNC_FLUSH,
};
const BROTLI_OPTIONS = {
  flush: zlib.constants.BROTLI_OPERATION_FLUSH,
  finishFlush: zlib.constants.BROTLI_OPERATION_FLUSH,
};

/**
 * The body decoded as `fetch` does: the codings in reverse order; an unknown coding leaves the
 * body as it came.
 */
function decoded(body: Readable, encoding: string): Readable {
  const codings = encoding.toLowerCase().split(",");
  const decoders: Transform[] = [];
  for (let i = codings.length - 1; i >= 0; i--) {
    const coding = codings[i]!.trim();
    if (coding === "gzip" || coding === "x-gzip") decoders.push(zlib.createGunzip(ZLIB_OPTIONS));
    else if (coding === "deflate") decoders.push(new Inflate());
    else if (coding === "br") decoders.push(zlib.createBrotliDecompress(BROTLI_OPTIONS));
    else if (coding === "identity" || coding === "") continue;
    else return body;
  }
  if (decoders.length === 0) return body;
  return pipeline([body, ...decoders], noop) as unknown as Readable;
}

/** `deflate` as servers send it: zlib-wrapped or raw (told apart by the first byte). */
class Inflate extends Transform {
  private inner: zlib.Inflate | zlib.InflateRaw | null = null;

  override _transform(chunk: Buffer, _enc: BufferEncoding, callback: TransformCallback): void {
    if (this.inner === null) {
      if (chunk.length === 0) {
        callback();
        return;
      }
      const inner =
        (chunk[0]! & 0x0f) === 0x08
          ? zlib.createInflate(ZLIB_OPTIONS)
          : zlib.createInflateRaw(ZLIB_OPTIONS);
      inner.on("data", (data: Buffer) => this.push(data));
      inner.on("error", (err: Error) => this.destroy(err));
      this.inner = inner;
    }
    this.inner.write(chunk, callback);
  }

  override _flush(callback: TransformCallback): void {
    const inner = this.inner;
    if (inner === null) {
      callback();
      return;
    }
    inner.once("end", () => callback());
    inner.end();
  }

  override _destroy(err: Error | null, callback: (error: Error | null) => void): void {
    this.inner?.destroy();
    callback(err);
  }
}
