// Which transport upstream calls use: the pooled undici fetch by default, Node's fetch on
// request, a provider's own `fetch` when its settings name one. Told apart on the wire: Node's
// fetch adds `sec-fetch-mode: cors` to every request; the pooled one adds nothing.
import "@rephysco/openai";
import { createMockServer, type MockServer } from "@rephysco/testing";
import { afterAll, beforeAll, beforeEach, expect, it } from "vitest";
import { createGateway, type GatewayOptions } from "../src/index.js";

let upstream: MockServer;
beforeAll(async () => {
  upstream = await createMockServer();
});
beforeEach(() => upstream.reset());
afterAll(() => upstream?.close());

async function headersSeen(
  options: GatewayOptions,
  settings: Record<string, unknown> = {},
): Promise<Record<string, unknown>> {
  const g = await createGateway(
    { providers: { openai: { baseURL: `${upstream.url}/v1`, apiKey: "k", ...settings } } },
    options,
  );
  const { url } = await g.listen({ port: 0 });
  const res = await fetch(`${url}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ model: "m", messages: [{ role: "user", content: "hi" }] }),
  });
  expect(res.status).toBe(200);
  await g.close();
  return upstream.requests.at(-1)!.headers as Record<string, unknown>;
}

it("sends upstream calls through the pooled fetch by default", async () => {
  const h = await headersSeen({});
  expect(h.authorization).toBe("Bearer k");
  expect(h["sec-fetch-mode"]).toBeUndefined();
});

it("uses Node's fetch with upstreamFetch: global", async () => {
  expect((await headersSeen({ upstreamFetch: "global" }))["sec-fetch-mode"]).toBe("cors");
});

it("uses a fetch given as upstreamFetch, and a provider's own fetch over it", async () => {
  const seen: string[] = [];
  const mine =
    (tag: string): typeof fetch =>
    (input, init) => {
      seen.push(tag);
      return fetch(input, init);
    };
  await headersSeen({ upstreamFetch: mine("gateway") });
  expect(seen).toEqual(["gateway"]);
  await headersSeen({ upstreamFetch: mine("gateway") }, { fetch: mine("provider") });
  expect(seen).toEqual(["gateway", "provider"]);
});

it("keeps Node's fetch for Gemini (its image downloader's address checks)", async () => {
  await import("@rephysco/gemini");
  const g = await createGateway({
    providers: { gemini: { baseURL: upstream.url, apiKey: "gemini-test-key" } },
  });
  const { url } = await g.listen({ port: 0 });
  const res = await fetch(`${url}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      model: "gemini/gemini-2.5-flash",
      messages: [{ role: "user", content: "hi" }],
    }),
  });
  expect(res.status).toBe(200);
  await g.close();
  expect(upstream.requests.at(-1)!.headers["sec-fetch-mode"]).toBe("cors");
});
