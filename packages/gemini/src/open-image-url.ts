import { promises as dns, lookup as dnsLookup } from "node:dns";
import { request as httpRequest, type IncomingMessage } from "node:http";
import { request as httpsRequest } from "node:https";
import { isIP, type LookupFunction } from "node:net";
import { Readable } from "node:stream";
import { isPrivateAddress } from "./private-address.js";

/** What an image download reads of a response; a web `Response` has it. */
export interface ImageResponse {
  readonly status: number;
  readonly headers: Headers;
  readonly body: ReadableStream<Uint8Array> | null;
}

/** How {@link openImageUrl} connects. */
export interface OpenImageUrlOptions {
  /** Aborts the request, and the body once the response has arrived. */
  readonly signal: AbortSignal;
  /** Request headers. */
  readonly headers: Readonly<Record<string, string>>;
  /** Let the request reach private, loopback and link-local addresses. */
  readonly allowPrivateHosts: boolean;
  /** A `fetch` to send the request with, instead of Node's `http`/`https` (see the limits below). */
  readonly fetch?: typeof globalThis.fetch;
}

/** The host is a private address (or a name with one): no connection was attempted. */
export class ImageHostDeniedError extends Error {
  override readonly name = "ImageHostDeniedError";
}

/**
 * A `lookup` for `net.connect` that resolves every address of the name and refuses them all when
 * one is private. The socket then connects to an address checked here, never to one resolved
 * again later, so a name that answers a public address first and a private one next (DNS
 * rebinding) cannot get through.
 */
const publicOnlyLookup: LookupFunction = (hostname, options, callback) => {
  dnsLookup(hostname, { ...options, all: true }, (error, addresses) => {
    if (error) return callback(error, "", 0);
    if (addresses.length === 0 || addresses.some((a) => isPrivateAddress(a.address))) {
      return callback(new ImageHostDeniedError(), "", 0);
    }
    if (options.all) return callback(null, addresses);
    const [first] = addresses as [(typeof addresses)[number]];
    return callback(null, first.address, first.family);
  });
};

function toImageResponse(res: IncomingMessage): ImageResponse {
  const headers = new Headers();
  for (let i = 0; i + 1 < res.rawHeaders.length; i += 2) {
    try {
      headers.append(res.rawHeaders[i]!, res.rawHeaders[i + 1]!);
    } catch {
      // A header value `Headers` rejects: not one an image download reads.
    }
  }
  return {
    status: res.statusCode ?? 0,
    headers,
    body: Readable.toWeb(res) as unknown as ReadableStream<Uint8Array>,
  };
}

/** One GET with Node's `http`/`https`, through {@link publicOnlyLookup} unless private hosts are allowed. */
function nodeGet(url: URL, opts: OpenImageUrlOptions): Promise<ImageResponse> {
  return new Promise((resolve, reject) => {
    const send = url.protocol === "https:" ? httpsRequest : httpRequest;
    const req = send(url, {
      method: "GET",
      headers: opts.headers,
      signal: opts.signal,
      // A connection of its own, closed after the answer: a pooled socket could have been
      // opened under another provider's settings.
      agent: false,
      ...(!opts.allowPrivateHosts && { lookup: publicOnlyLookup }),
    });
    req.on("error", reject);
    req.on("response", (res) => resolve(toImageResponse(res)));
    req.end();
  });
}

/**
 * Sends one GET for an image, without following redirects (the caller checks each hop), and
 * refuses private addresses unless `allowPrivateHosts`:
 * - a host written as an IP address is checked before anything is sent;
 * - with Node's `http`/`https` (the default), a host name is checked at connection time: the
 *   socket connects only to addresses that passed (see {@link publicOnlyLookup});
 * - with a custom `fetch`, a host name is resolved and checked just before the `fetch`, which
 *   then resolves it again on its own (or hands it to a proxy): a DNS answer that changes in
 *   between is not seen. That is the documented limit of the `fetch` setting.
 *
 * @throws {ImageHostDeniedError} for a private address, before any connection.
 * @throws what the transport throws for a failed connection or an abort.
 */
export async function openImageUrl(url: URL, opts: OpenImageUrlOptions): Promise<ImageResponse> {
  const host = url.hostname.replace(/^\[|\]$/g, "");
  const literal = isIP(host) !== 0;
  if (!opts.allowPrivateHosts && literal && isPrivateAddress(host)) {
    throw new ImageHostDeniedError();
  }
  if (!opts.fetch) return nodeGet(url, opts);
  if (!opts.allowPrivateHosts && !literal) {
    const addresses = await dns.lookup(host, { all: true });
    if (addresses.length === 0 || addresses.some((a) => isPrivateAddress(a.address))) {
      throw new ImageHostDeniedError();
    }
  }
  return opts.fetch(url, { signal: opts.signal, redirect: "manual", headers: opts.headers });
}
