import { once } from "node:events";
import type { ServerResponse } from "node:http";
import { InvalidRequestError } from "@rephysco/core";
import type { MockServer } from "@rephysco/testing";
import { createMockServer } from "@rephysco/testing";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { GeminiProvider, type GeminiProviderSettings } from "../src/index.js";
import { call, PNG_1X1, rejection, startImageServer, TEST_KEY, user } from "./helpers.js";

let server: MockServer;
let images: Awaited<ReturnType<typeof startImageServer>>;
let port: number;
/** Responses held open by /held, ended when the test file ends. */
const held: ServerResponse[] = [];
/** Resolves when a request to /held has arrived. */
let heldArrived: Promise<void>;
let markHeldArrived: () => void;

const PNG_B64 = PNG_1X1.toString("base64");
/** A documentation address (TEST-NET-2): public as far as the guard knows, routed to us by a gateway. */
const PUBLIC_HOST = "198.51.100.7";

function resetHeld() {
  heldArrived = new Promise((resolve) => {
    markHeldArrived = resolve;
  });
}

beforeAll(async () => {
  server = await createMockServer();
  images = await startImageServer((req, res) => {
    const path = (req.url ?? "").split("?")[0];
    switch (path) {
      case "/cat.png":
        res.writeHead(200, { "content-type": "image/png" });
        res.end(PNG_1X1);
        return;
      case "/to-localhost":
        res.writeHead(302, { location: `http://localhost:${port}/cat.png` });
        res.end();
        return;
      case "/to-mapped":
        res.writeHead(302, { location: `http://[::ffff:127.0.0.1]:${port}/cat.png` });
        res.end();
        return;
      case "/to-relative":
        res.writeHead(302, { location: "/cat.png" });
        res.end();
        return;
      case "/to-file":
        res.writeHead(302, { location: "file:///etc/passwd" });
        res.end();
        return;
      case "/loop":
        res.writeHead(302, { location: "/loop" });
        res.end();
        return;
      case "/held":
        // Headers, then nothing: the download stays open until someone closes it.
        res.writeHead(200, { "content-type": "image/png" });
        res.write(PNG_1X1.subarray(0, 8));
        held.push(res);
        markHeldArrived();
        return;
      case "/missing-after-held":
        void heldArrived.then(() => {
          res.writeHead(404);
          res.end();
        });
        return;
      default:
        res.writeHead(500);
        res.end();
    }
  }, "::");
  port = images.port;
});
beforeEach(() => {
  server.reset();
  images.hits.length = 0;
  resetHeld();
});
afterAll(async () => {
  for (const res of held) res.end();
  await images.close();
  await server.close();
});

const gemini = (settings: GeminiProviderSettings = {}) =>
  new GeminiProvider({ apiKey: TEST_KEY, baseURL: server.url, ...settings });

const describeImage = (p: GeminiProvider, url: string) =>
  p.generate([user("Describe", { images: [url] })], call());

/** A `fetch` that sends PUBLIC_HOST to the local image server, as a gateway would, and counts. */
function gateway(seen: string[]): typeof fetch {
  return (input, init) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    seen.push(url.href);
    if (url.hostname === PUBLIC_HOST) {
      url.hostname = "127.0.0.1";
      url.port = String(port);
    }
    return fetch(url, init);
  };
}

const LOCAL_FORMS = () => [
  `http://127.0.0.1:${port}/cat.png`,
  `http://127.0.0.2:${port}/cat.png`,
  `http://localhost:${port}/cat.png`,
  `http://[::1]:${port}/cat.png`,
  `http://[::ffff:127.0.0.1]:${port}/cat.png`,
  `http://0.0.0.0:${port}/cat.png`,
  `http://[::]:${port}/cat.png`,
  `http://2130706433:${port}/cat.png`,
  `http://0x7f.1:${port}/cat.png`,
];

describe("images: private addresses are refused by default", () => {
  it("refuses every local form of the address without connecting; allowPrivateImageHosts lets them through", async () => {
    const guarded = gemini();
    const open = gemini({ allowPrivateImageHosts: true });
    for (const url of LOCAL_FORMS()) {
      const e = (await rejection(describeImage(guarded, url))) as InvalidRequestError;
      expect(e, url).toBeInstanceOf(InvalidRequestError);
      expect(e.reason).toBe("image_fetch_failed");
      expect(e.message).toContain("the image host is not reachable or not allowed");
      expect((e as Error).cause).toBeUndefined();
      expect(images.hits, url).toEqual([]);

      // The same URL reaches the server once allowed: the refusal above was the guard's.
      await describeImage(open, url);
      expect(images.hits, url).toEqual(["/cat.png"]);
      images.hits.length = 0;
    }
    expect(server.requests).toHaveLength(LOCAL_FORMS().length);
  });

  it("checks a name at connection time: localhost resolves to loopback and is refused, credentials or not", async () => {
    const e = (await rejection(
      describeImage(gemini(), `http://someone:pw123456@localhost:${port}/cat.png`),
    )) as Error;
    expect(e.message).toContain("not reachable or not allowed");
    expect(images.hits).toEqual([]);
  });

  it("gives one message for a refused port and a private address", async () => {
    const closed = await startImageServer(() => {});
    const closedPort = closed.port;
    await closed.close();
    const open = gemini({ allowPrivateImageHosts: true });
    const refused = (await rejection(
      describeImage(open, `http://127.0.0.1:${closedPort}/x.png`),
    )) as Error;
    const denied = (await rejection(
      describeImage(gemini(), `http://127.0.0.1:${closedPort}/x.png`),
    )) as Error;
    expect(refused.message).toBe(denied.message);
    expect((refused as Error).cause).toBeUndefined();
  });
});

describe("images: with a fetch setting, hosts are checked before each fetch", () => {
  it("refuses private literals and names before calling the fetch", async () => {
    const seen: string[] = [];
    const p = gemini({ fetch: gateway(seen) });
    for (const url of [`http://127.0.0.1:${port}/cat.png`, `http://localhost:${port}/cat.png`]) {
      const e = (await rejection(describeImage(p, url))) as Error;
      expect(e.message).toContain("not reachable or not allowed");
    }
    expect(seen.filter((u) => !u.includes("generateContent"))).toEqual([]);
    expect(images.hits).toEqual([]);
  });

  it("re-checks every redirect hop: a public URL redirecting to a private one is refused", async () => {
    const seen: string[] = [];
    const p = gemini({ fetch: gateway(seen) });
    await describeImage(p, `http://${PUBLIC_HOST}/to-relative`);
    expect(images.hits).toEqual(["/to-relative", "/cat.png"]);

    for (const path of ["/to-localhost", "/to-mapped"]) {
      images.hits.length = 0;
      seen.length = 0;
      const e = (await rejection(describeImage(p, `http://${PUBLIC_HOST}${path}`))) as Error;
      expect(e.message).toContain("not reachable or not allowed");
      expect(images.hits).toEqual([path]);
      expect(seen).toEqual([`http://${PUBLIC_HOST}${path}`]);
    }
  });
});

describe("images: redirects", () => {
  const open = () => gemini({ allowPrivateImageHosts: true });

  it("follows http(s) only", async () => {
    const e = (await rejection(describeImage(open(), `http://127.0.0.1:${port}/to-file`))) as Error;
    expect(e.message).toContain("a redirect to a file: URL is not followed");
  });

  it("stops after 5 redirects", async () => {
    const e = (await rejection(describeImage(open(), `http://127.0.0.1:${port}/loop`))) as Error;
    expect(e.message).toContain("more than 5 redirects");
    expect(images.hits).toHaveLength(6);
  });
});

describe("images: one failed download cancels the others", () => {
  it("closes the other downloads at once, not at their own timeout", async () => {
    const p = gemini({ allowPrivateImageHosts: true, imageFetchTimeoutMs: 600_000 });
    const pending = p.generate(
      [
        user("first", { images: [`http://127.0.0.1:${port}/held`] }),
        { role: "assistant", content: "ok" },
        user("second", { images: [`http://127.0.0.1:${port}/missing-after-held`] }),
      ],
      call(),
    );
    await heldArrived;
    const heldResponse = held.at(-1)!;
    const closed = once(heldResponse, "close");
    const e = (await rejection(pending)) as Error;
    expect(e.message).toContain("HTTP 404");
    // Without the cancel, the held download would stay open for 10 minutes.
    await closed;
    expect(server.requests).toHaveLength(0);
  });

  it("still inlines every image when all succeed", async () => {
    await gemini({ allowPrivateImageHosts: true }).generate(
      [
        user("a", { images: [`http://127.0.0.1:${port}/cat.png`] }),
        { role: "assistant", content: "ok" },
        user("b", { images: [`http://127.0.0.1:${port}/cat.png`, PNG_1X1] }),
      ],
      call(),
    );
    const contents = server.requests[0]!.body as { contents: Array<{ parts: unknown[] }> };
    expect(contents.contents[2]!.parts).toEqual([
      { inlineData: { mimeType: "image/png", data: PNG_B64 } },
      { inlineData: { mimeType: "image/png", data: PNG_B64 } },
      { text: "b" },
    ]);
  });
});
