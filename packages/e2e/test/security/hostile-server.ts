import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** A local HTTP server whose answers a test writes by hand: the hostile peer of the security suite. */
export interface HostileServer {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  /** Requests received so far. */
  readonly requests: { method: string; path: string; headers: IncomingMessage["headers"] }[];
  /** Bytes written to responses so far (what a client made the server send). */
  readonly bytesWritten: () => number;
  close(): Promise<void>;
}

/** Starts a server on 127.0.0.1 that answers every request with `handler`. */
export async function hostileServer(
  handler: (req: IncomingMessage, res: ServerResponse) => void | Promise<void>,
): Promise<HostileServer> {
  const requests: HostileServer["requests"] = [];
  let written = 0;
  const server = createServer((req, res) => {
    requests.push({ method: req.method ?? "", path: req.url ?? "", headers: req.headers });
    const write = res.write.bind(res);
    res.write = ((chunk: string | Uint8Array, ...rest: never[]) => {
      written += typeof chunk === "string" ? Buffer.byteLength(chunk) : chunk.byteLength;
      return write(chunk, ...rest);
    }) as typeof res.write;
    req.resume();
    req.on("end", () => void handler(req, res));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    bytesWritten: () => written,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * Writes `head`, then `filler` repeated until `total` bytes were written or the client went
 * away, honouring back-pressure (nothing large is held in memory), then `tail`.
 */
export function writeLazily(
  res: ServerResponse,
  options: { head?: string; filler: string; total: number; tail?: string },
): void {
  const filler = Buffer.from(options.filler.repeat(Math.ceil(65_536 / options.filler.length)));
  let sent = 0;
  let closed = false;
  res.on("close", () => {
    closed = true;
  });
  if (options.head) res.write(options.head);
  const pump = () => {
    while (!closed && sent < options.total) {
      sent += filler.byteLength;
      if (!res.write(filler)) {
        res.once("drain", pump);
        return;
      }
    }
    if (!closed) res.end(options.tail ?? "");
  };
  pump();
}
