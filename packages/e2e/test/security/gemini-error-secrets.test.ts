import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { inspect } from "node:util";
import { LLMClient } from "@rephysco/core";
import "@rephysco/gemini";
import { caught, createMockServer, drain, findSecret, type MockServer } from "@rephysco/testing";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";

const KEY = "gm-e2e-secrets-key-0123456789";
const MODEL = "gemini-2.5-flash";
const PNG = Buffer.from(
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNk+A8AAQUBAScY42YAAAAASUVORK5CYII=",
  "base64",
);

let mock: MockServer;
let images: { url: string; port: number; close: () => Promise<void> };
let imageHandler: (req: IncomingMessage, res: ServerResponse) => void;
const held: ServerResponse[] = [];

async function listen(
  handler: (req: IncomingMessage, res: ServerResponse) => void,
): Promise<{ url: string; port: number; close: () => Promise<void> }> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

beforeAll(async () => {
  mock = await createMockServer();
  images = await listen((req, res) => imageHandler(req, res));
});
beforeEach(() => mock.reset());
afterAll(async () => {
  for (const res of held) res.end();
  await images.close();
  await mock.close();
});

/** Every way an error can be shown or logged, one text each. */
function renderings(error: unknown): Record<string, string> {
  const e = error as Error;
  return {
    message: e.message,
    stack: e.stack ?? "",
    json: JSON.stringify(e) ?? "",
    inspect: inspect(e, { depth: 10 }),
  };
}

function expectClean(error: unknown, secrets: readonly string[]): void {
  expect(error).toBeInstanceOf(Error);
  for (const [where, text] of Object.entries(renderings(error))) {
    for (const secret of secrets) expect(text, `${secret} in ${where}`).not.toContain(secret);
  }
  for (const secret of secrets) expect(findSecret(error, secret)).toBeUndefined();
}

describe("Gemini image downloads: no user info or query in any error", () => {
  const PASSWORD = "s3cretpw";
  const TOKEN = "tok123456";
  const imageUrl = () => `http://user:${PASSWORD}@127.0.0.1:${images.port}/img.png?token=${TOKEN}`;

  const client = (settings: Record<string, unknown> = {}) =>
    new LLMClient({
      provider: "gemini",
      apiKey: KEY,
      baseURL: mock.url,
      model: MODEL,
      settings: {
        allowPrivateImageHosts: true,
        imageFetchTimeoutMs: 300,
        maxImageBytes: 1024,
        ...settings,
      },
    });

  const cases: Array<
    [string, (req: IncomingMessage, res: ServerResponse) => void, RegExp, Record<string, unknown>?]
  > = [
    [
      "404",
      (_req, res) => {
        res.writeHead(404, { "content-type": "text/plain" });
        res.end(`no ${_req.url}`);
      },
      /HTTP 404/,
    ],
    [
      "timeout",
      (_req, res) => {
        res.writeHead(200, { "content-type": "image/png" });
        res.write(PNG.subarray(0, 8));
        held.push(res);
      },
      /no complete answer within 300 ms/,
    ],
    ["no answer", (_req, res) => void held.push(res), /not reachable or not allowed/],
    [
      "too large",
      (_req, res) => {
        res.writeHead(200, { "content-type": "image/png" });
        res.end(Buffer.alloc(4096));
      },
      /larger than the limit of 1024/,
    ],
    [
      "not an image",
      (_req, res) => {
        res.writeHead(200, { "content-type": "text/html" });
        res.end("<html></html>");
      },
      /not an image/,
    ],
    [
      "redirect to a host allowImageUrl refuses",
      (_req, res) => {
        res.writeHead(302, {
          location: `http://admin:${PASSWORD}@169.254.169.254/latest/meta-data?token=${TOKEN}`,
        });
        res.end();
      },
      /169\.254\.169\.254\/latest\/meta-data is not allowed/,
      { allowImageUrl: (u: URL) => u.hostname === "127.0.0.1" },
    ],
    [
      "redirect to a private host (the built-in guard)",
      (_req, res) => {
        res.writeHead(302, {
          location: `http://admin:${PASSWORD}@localhost:${images.port}/x.png?token=${TOKEN}`,
        });
        res.end();
      },
      /not reachable or not allowed/,
      // A gateway `fetch` that makes 198.51.100.7 (public to the guard) reach the local server.
      {
        allowPrivateImageHosts: false,
        fetch: (input: string | URL | Request, init?: RequestInit) => {
          const u = new URL(input instanceof Request ? input.url : String(input));
          if (u.hostname === "198.51.100.7") {
            u.hostname = "127.0.0.1";
            u.port = String(images.port);
          }
          return fetch(u, init);
        },
      },
    ],
  ];

  it.each(cases)("%s", async (name, handler, why, settings) => {
    imageHandler = handler;
    const url = name.includes("built-in guard")
      ? `http://user:${PASSWORD}@198.51.100.7/img.png?token=${TOKEN}`
      : imageUrl();
    const e = await caught(() => client(settings).generate("Describe", { images: [url] }));
    expect(e.reason).toBe("image_fetch_failed");
    expect(e.message).toMatch(why);
    expectClean(e, [PASSWORD, TOKEN]);
    expect(mock.requests).toHaveLength(0);
  });

  it("refused connection", async () => {
    const closed = await listen(() => {});
    await closed.close();
    const e = await caught(() =>
      client().generate("Describe", {
        images: [`http://user:${PASSWORD}@127.0.0.1:${closed.port}/img.png?token=${TOKEN}`],
      }),
    );
    expect(e.message).toMatch(/not reachable or not allowed/);
    expectClean(e, [PASSWORD, TOKEN]);
  });

  it("the user info is sent as Basic auth to the host named, and the download works", async () => {
    let authorization: string | undefined;
    imageHandler = (req, res) => {
      authorization = req.headers.authorization;
      res.writeHead(200, { "content-type": "image/png" });
      res.end(PNG);
    };
    await client().generate("Describe", { images: [imageUrl()] });
    expect(authorization).toBe(`Basic ${Buffer.from(`user:${PASSWORD}`).toString("base64")}`);
    expect(mock.requests).toHaveLength(1);
  });
});

describe("Gemini base URL: no user info or query in any error", () => {
  let echo: Awaited<ReturnType<typeof listen>>;
  let closedPort: number;
  beforeAll(async () => {
    // Proxies and gateways often repeat the URL they could not route, query and all.
    echo = await listen((req, res) => {
      req.resume();
      const where = `http://${req.headers.host}${req.url}`;
      if (req.url?.includes("plain")) {
        res.writeHead(404, { "content-type": "text/plain" });
        res.end(`No route for POST ${where}`);
        return;
      }
      res.writeHead(404, { "content-type": "application/json" });
      res.end(
        JSON.stringify({
          error: { code: 404, message: `No route for POST ${where}`, status: "NOT_FOUND" },
        }),
      );
    });
    const closed = await listen(() => {});
    closedPort = closed.port;
    await closed.close();
  });
  afterAll(() => echo.close());

  const client = (baseURL: string) =>
    new LLMClient({ provider: "gemini", apiKey: KEY, baseURL, model: MODEL, retry: false });

  // ECHO is the echo server's port, CLOSED a port nothing listens on.
  const cases: Array<[string, string, string[]]> = [
    [
      "user info and query",
      "http://baseuser:b4sepassw0rd@127.0.0.1:ECHO/?key=basetok123456",
      ["b4sepassw0rd", "basetok123456", "baseuser"],
    ],
    [
      "short user info and query",
      "http://user:pw@127.0.0.1:ECHO/?key=tok",
      ["user:pw@", "key=tok"],
    ],
    [
      "a query echoed in a JSON error body",
      "http://127.0.0.1:ECHO/?route=routetok123456&key=tok",
      ["routetok123456", "key=tok"],
    ],
    [
      "a query echoed in a text error body",
      "http://127.0.0.1:ECHO/plain?route=routetok123456&key=tok",
      ["routetok123456", "key=tok"],
    ],
    [
      "short query values under any name",
      "http://127.0.0.1:ECHO/?route=rt1&shard=s2",
      ["route=rt1", "shard=s2"],
    ],
    ["a query, nothing listening", "http://127.0.0.1:CLOSED/?key=basetok123456", ["basetok123456"]],
  ];

  it.each(cases)("%s: generate and stream", async (_name, template, secrets) => {
    const baseURL = template
      .replace("ECHO", String(echo.port))
      .replace("CLOSED", String(closedPort));
    let c: LLMClient<"gemini">;
    try {
      c = client(baseURL);
    } catch (e) {
      // Core may refuse user info in a base URL up front (fetch cannot send it): cleanly too.
      expectClean(e, secrets);
      return;
    }
    const generated = await caught(() => c.generate("Hi"));
    expectClean(generated, secrets);
    const { error: streamed } = await drain(c.stream("Hi"));
    expectClean(streamed, secrets);
  });
});
