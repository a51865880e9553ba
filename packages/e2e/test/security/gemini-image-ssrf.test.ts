import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { InvalidRequestError, LLMClient } from "@rephysco/core";
import "@rephysco/gemini";
import { caught, createMockServer, type MockServer } from "@rephysco/testing";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";

const KEY = "gm-e2e-ssrf-key-0123456789";
const PNG = Buffer.from(
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNk+A8AAQUBAScY42YAAAAASUVORK5CYII=",
  "base64",
);

let mock: MockServer;
/** An "internal service": answers on every local address, and counts what reaches it. */
const internal = createServer((req, res) => {
  hits.push(req.url ?? "");
  res.writeHead(200, { "content-type": "image/png" });
  res.end(PNG);
});
const hits: string[] = [];
let port: number;

beforeAll(async () => {
  mock = await createMockServer();
  await new Promise<void>((resolve) => internal.listen(0, "::", resolve));
  port = (internal.address() as AddressInfo).port;
});
beforeEach(() => {
  mock.reset();
  hits.length = 0;
});
afterAll(async () => {
  internal.closeAllConnections();
  await new Promise<void>((resolve) => internal.close(() => resolve()));
  await mock.close();
});

const client = (settings: Record<string, unknown> = {}) =>
  new LLMClient({
    provider: "gemini",
    apiKey: KEY,
    baseURL: mock.url,
    model: "gemini-2.5-flash",
    ...(Object.keys(settings).length > 0 && { settings }),
  });

describe("Gemini through LLMClient: image URLs cannot reach private addresses by default", () => {
  const internalUrls = () => [
    `http://127.0.0.1:${port}/admin.png`,
    `http://localhost:${port}/admin.png`,
    `http://[::1]:${port}/admin.png`,
    `http://[::ffff:127.0.0.1]:${port}/admin.png`,
    `http://0.0.0.0:${port}/admin.png`,
  ];

  it("refuses them without connecting and without calling the model", async () => {
    for (const url of internalUrls()) {
      const e = await caught(() => client().generate("Describe", { images: [url] }));
      expect(e, url).toBeInstanceOf(InvalidRequestError);
      expect(e.reason).toBe("image_fetch_failed");
      expect(e.message).toContain("not reachable or not allowed");
    }
    expect(hits).toEqual([]);
    expect(mock.requests).toHaveLength(0);
  });

  it("refuses cloud metadata addresses with the same message, at once", async () => {
    const messages = new Set<string>();
    for (const host of ["169.254.169.254", "[fd00:ec2::254]", "[::ffff:169.254.169.254]"]) {
      const e = await caught(() =>
        client({ imageFetchTimeoutMs: 600_000 }).generate("Describe", {
          images: [`http://${host}/latest/meta-data/iam/security-credentials/`],
        }),
      );
      messages.add(e.message.replace(/^.*?: /, ""));
    }
    expect(messages.size).toBe(1);
  });

  it("allowPrivateImageHosts opts in", async () => {
    const answer = await client({ allowPrivateImageHosts: true }).generate("Describe", {
      images: [`http://localhost:${port}/admin.png`],
    });
    expect(answer.content).toContain("Describe");
    expect(hits).toEqual(["/admin.png"]);
  });
});
