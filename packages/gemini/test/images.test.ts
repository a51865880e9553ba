import { InvalidRequestError } from "@rephysco/core";
import type { MockServer } from "@rephysco/testing";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { GeminiProvider } from "../src/index.js";
import {
  bodyOf,
  call,
  PNG_1X1,
  rejection,
  setup,
  startImageServer,
  TEST_KEY,
  user,
} from "./helpers.js";

let server: MockServer;
let provider: GeminiProvider;
let images: Awaited<ReturnType<typeof startImageServer>>;
/** Requests to /hang and /slow-body are held here until the test ends, so the fetch times out. */
const held: Array<() => void> = [];

const PNG_B64 = PNG_1X1.toString("base64");
const JPEG = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46]);

beforeAll(async () => {
  // The image server is on 127.0.0.1, which the built-in guard refuses unless told otherwise.
  ({ server, provider } = await setup({
    maxImageBytes: 1024,
    imageFetchTimeoutMs: 200,
    allowPrivateImageHosts: true,
  }));
  images = await startImageServer((req, res) => {
    switch (req.url) {
      case "/cat.png":
        res.writeHead(200, {
          "content-type": "image/png",
          "content-length": String(PNG_1X1.length),
        });
        res.end(PNG_1X1);
        return;
      case "/photo?sig=secret-token":
        res.writeHead(200, { "content-type": "image/jpeg; charset=binary" });
        res.end(JPEG);
        return;
      case "/untyped":
        res.writeHead(200, { "content-type": "application/octet-stream" });
        res.end(PNG_1X1);
        return;
      case "/page.html":
        res.writeHead(200, { "content-type": "text/html" });
        res.end("<html></html>");
        return;
      case "/noise":
        res.writeHead(200, { "content-type": "application/octet-stream" });
        res.end(Buffer.from("not an image at all"));
        return;
      case "/big-declared":
        res.writeHead(200, { "content-type": "image/png", "content-length": "4096" });
        res.end(Buffer.alloc(4096));
        return;
      case "/big-chunked":
        // No content-length: the cap must be enforced while reading.
        res.writeHead(200, { "content-type": "image/png" });
        res.write(Buffer.alloc(800));
        res.write(Buffer.alloc(800));
        res.end(Buffer.alloc(800));
        return;
      case "/redirect-inside":
        res.writeHead(302, { location: "/cat.png" });
        res.end();
        return;
      case "/redirect-away":
        res.writeHead(302, { location: "http://169.254.169.254/latest/meta-data" });
        res.end();
        return;
      case "/missing.png":
        res.writeHead(404, { "content-type": "text/plain" });
        res.end("not found");
        return;
      case "/hang":
        held.push(() => res.end());
        return;
      case "/slow-body":
        res.writeHead(200, { "content-type": "image/png" });
        res.write(PNG_1X1.subarray(0, 8));
        held.push(() => res.end());
        return;
      default:
        res.writeHead(500);
        res.end();
    }
  });
});
beforeEach(() => {
  server.reset();
  images.hits.length = 0;
});
afterAll(async () => {
  for (const release of held) release();
  await images.close();
  await server.close();
});

function partsOf(i = 0): unknown[] {
  const contents = bodyOf(server, i).contents as Array<{ parts: unknown[] }>;
  return contents[0]!.parts;
}

describe("images: inline", () => {
  it("sends bytes, data URLs and { data, mediaType } as inlineData before the text", async () => {
    await provider.generate(
      [
        user("What is in these pictures?", {
          images: [
            PNG_1X1,
            `data:image/png;base64,${PNG_B64}`,
            { data: JPEG, mediaType: "image/jpeg" },
            { data: "UklGRg==", mediaType: "image/webp" },
          ],
        }),
      ],
      call(),
    );
    expect(partsOf()).toEqual([
      { inlineData: { mimeType: "image/png", data: PNG_B64 } },
      { inlineData: { mimeType: "image/png", data: PNG_B64 } },
      { inlineData: { mimeType: "image/jpeg", data: JPEG.toString("base64") } },
      { inlineData: { mimeType: "image/webp", data: "UklGRg==" } },
      { text: "What is in these pictures?" },
    ]);
  });

  it("sends an image-only message without a text part", async () => {
    await provider.generate([user("", { images: [PNG_1X1] })], call());
    expect(partsOf()).toEqual([{ inlineData: { mimeType: "image/png", data: PNG_B64 } }]);
  });

  it("rejects bytes that are not an image, before sending", async () => {
    const e = await rejection(
      provider.generate([user("x", { images: [Buffer.from("hello")] })], call()),
    );
    expect(e).toBeInstanceOf(InvalidRequestError);
    expect(server.requests).toHaveLength(0);
  });
});

describe("images: file references", () => {
  it("sends gs:// and Files API URIs as fileData, with a type from the extension or the caller", async () => {
    const filesUri = "https://generativelanguage.googleapis.com/v1beta/files/abc123";
    await provider.generate(
      [
        user("Compare", {
          images: [
            "gs://bucket/cats/tabby.jpg",
            new URL(filesUri),
            { data: "gs://bucket/raw-object", mediaType: "image/heic" },
          ],
        }),
      ],
      call(),
    );
    expect(partsOf()).toEqual([
      { fileData: { fileUri: "gs://bucket/cats/tabby.jpg", mimeType: "image/jpeg" } },
      { fileData: { fileUri: filesUri } },
      { fileData: { fileUri: "gs://bucket/raw-object", mimeType: "image/heic" } },
      { text: "Compare" },
    ]);
    expect(images.hits).toEqual([]);
  });
});

describe("images: allowImageUrl guards what the server may fetch", () => {
  it("checks the URL and every redirect, following allowed ones", async () => {
    const seen: string[] = [];
    const guarded = new GeminiProvider({
      apiKey: TEST_KEY,
      baseURL: server.url,
      allowPrivateImageHosts: true,
      allowImageUrl: (u) => {
        seen.push(`${u.hostname}${u.pathname}`);
        return u.hostname === "127.0.0.1";
      },
    });
    await guarded.generate(
      [user("Describe", { images: [`${images.url}/redirect-inside`] })],
      call(),
    );
    expect(seen).toEqual(["127.0.0.1/redirect-inside", "127.0.0.1/cat.png"]);
    expect(partsOf()[0]).toEqual({ inlineData: { mimeType: "image/png", data: PNG_B64 } });

    const e = (await rejection(
      guarded.generate([user("Describe", { images: [`${images.url}/redirect-away`] })], call()),
    )) as Error;
    expect(e).toBeInstanceOf(InvalidRequestError);
    expect(e.message).toContain("169.254.169.254/latest/meta-data is not allowed");
    expect(images.hits).not.toContain("/latest/meta-data");
    const denied = (await rejection(
      guarded.generate([user("Describe", { images: ["http://10.0.0.1/secret.png"] })], call()),
    )) as Error;
    expect(denied.message).toContain("not allowed (setting allowImageUrl)");
    expect(server.requests).toHaveLength(1);
  });
});

describe("images: http(s) URLs are downloaded and inlined", () => {
  it("fetches the image and sends it as inlineData with the served type", async () => {
    await provider.generate([user("Describe", { images: [`${images.url}/cat.png`] })], call());
    expect(images.hits).toEqual(["/cat.png"]);
    expect(partsOf()).toEqual([
      { inlineData: { mimeType: "image/png", data: PNG_B64 } },
      { text: "Describe" },
    ]);
  });

  it("drops content-type parameters, and sniffs octet-stream bodies", async () => {
    await provider.generate(
      [
        user("Describe", {
          images: [`${images.url}/photo?sig=secret-token`, `${images.url}/untyped`],
        }),
      ],
      call(),
    );
    expect(partsOf().slice(0, 2)).toEqual([
      { inlineData: { mimeType: "image/jpeg", data: JPEG.toString("base64") } },
      { inlineData: { mimeType: "image/png", data: PNG_B64 } },
    ]);
  });

  it.each([
    ["/page.html", /content type is "text\/html"/],
    ["/noise", /not a recognised image/],
    ["/big-declared", /4096 bytes, above the limit of 1024/],
    ["/big-chunked", /larger than the limit of 1024/],
    ["/missing.png", /HTTP 404/],
    // No answer at all reads like a refused or private host: errors must not map the network.
    ["/hang", /the image host is not reachable or not allowed/],
    ["/slow-body", /no complete answer within 200 ms/],
  ])("rejects %s with a clear InvalidRequestError and sends nothing", async (path, why) => {
    const e = (await rejection(
      provider.generate([user("Describe", { images: [`${images.url}${path}`] })], call()),
    )) as InvalidRequestError;
    expect(e).toBeInstanceOf(InvalidRequestError);
    expect(e.reason).toBe("image_fetch_failed");
    expect(e.message).toMatch(why);
    expect(e.message).toContain(`${images.url}${path.split("?")[0]}`);
    expect(server.requests).toHaveLength(0);
  });

  it("never puts the URL's query (signed tokens) in an error", async () => {
    const e = (await rejection(
      provider.generate(
        [user("x", { images: [`${images.url}/missing.png?token=s3cr3t`] })],
        call(),
      ),
    )) as Error;
    expect(e.message).not.toContain("s3cr3t");
  });

  it("aborts the download with the caller's signal and rethrows the AbortError", async () => {
    const ac = new AbortController();
    const p = new GeminiProvider({
      apiKey: TEST_KEY,
      baseURL: server.url,
      imageFetchTimeoutMs: 60_000,
      allowPrivateImageHosts: true,
    });
    const pending = p.generate(
      [user("x", { images: [`${images.url}/hang`] })],
      call("gemini-2.5-flash", { signal: ac.signal }),
    );
    while (images.hits.length === 0) await new Promise((r) => setTimeout(r, 5));
    ac.abort();
    const e = await rejection(pending);
    expect((e as Error).name).toBe("AbortError");
    expect(server.requests).toHaveLength(0);
  });

  it("formatMessages downloads too, and returns contents + systemInstruction", async () => {
    const prompt = await provider.formatMessages([
      { role: "system", content: "Be brief." },
      user("Describe", { images: [`${images.url}/cat.png`] }),
    ]);
    expect(prompt).toEqual({
      contents: [
        {
          role: "user",
          parts: [{ inlineData: { mimeType: "image/png", data: PNG_B64 } }, { text: "Describe" }],
        },
      ],
      systemInstruction: { parts: [{ text: "Be brief." }] },
    });
  });
});
