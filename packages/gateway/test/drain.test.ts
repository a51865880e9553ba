// close(): the drain in one process. /readyz turns 503 at once, a request that arrives on a
// connection that was already open is refused in OpenAI's shape (retryable elsewhere), the
// stream in flight finishes, and close() resolves once it has.
import { Agent, request } from "node:http";
import "@rephysco/openai";
import { createMockServer, type MockServer } from "@rephysco/testing";
import OpenAI from "openai";
import { afterAll, beforeAll, expect, it } from "vitest";
import { createGateway } from "../src/index.js";

let upstream: MockServer;
beforeAll(async () => {
  upstream = await createMockServer();
});
afterAll(async () => {
  await upstream?.close();
});

/** One request on `agent` (keep-alive: the same socket as the request before). */
function get(
  agent: Agent,
  url: string,
  method = "GET",
  body?: string,
): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent, method, headers: { "content-type": "application/json" } });
    req.on("response", (res) => {
      let text = "";
      res.setEncoding("utf8").on("data", (d: string) => {
        text += d;
      });
      res.on("end", () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }),
      );
    });
    req.on("error", reject);
    req.end(body);
  });
}

it("refuses new work in OpenAI's shape while the stream in flight finishes", async () => {
  const gateway = await createGateway({
    providers: { openai: { baseURL: `${upstream.url}/v1`, apiKey: "sk-upstream" } },
  });
  const { url } = await gateway.listen({ port: 0 });
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  expect((await get(agent, `${url}/readyz`)).status).toBe(200);

  upstream.enqueue({ chunks: ["a ", "b ", "c ", "d"], chunkDelayMs: 150 });
  const sdk = new OpenAI({ apiKey: "x", baseURL: `${url}/v1`, maxRetries: 0 });
  const stream = await sdk.chat.completions.create({
    model: "gpt-4.1-mini",
    stream: true,
    messages: [{ role: "user", content: "go" }],
  });
  let text = "";
  const reading = (async () => {
    for await (const c of stream) text += c.choices[0]?.delta.content ?? "";
  })();

  let closed = false;
  const closing = gateway.close({ drainTimeoutMs: 10_000 }).then(() => {
    closed = true;
  });
  // An idle keep-alive socket is closed when the drain begins; one still open answers 503.
  const ready = await get(agent, `${url}/readyz`).catch((e: unknown) => e);
  if (ready instanceof Error)
    expect((ready as NodeJS.ErrnoException).code).toMatch(/ECONNRESET|ECONNREFUSED/);
  else expect((ready as { status: number }).status).toBe(503);
  const refused = await get(
    agent,
    `${url}/v1/chat/completions`,
    "POST",
    JSON.stringify({ model: "m", messages: [{ role: "user", content: "late" }] }),
  ).catch((e: unknown) => e);
  if (refused instanceof Error)
    expect((refused as NodeJS.ErrnoException).code).toMatch(/ECONNRESET|ECONNREFUSED/);
  // Either the socket was already closed (refused at the connection) or an OpenAI-shaped 503.
  if (!(refused instanceof Error)) {
    const r = refused as { status: number; headers: Record<string, unknown>; body: string };
    expect(r.status).toBe(503);
    expect(r.headers["x-should-retry"]).toBe("true");
    expect(JSON.parse(r.body)).toMatchObject({
      error: { type: "server_error", code: "shutting_down" },
    });
  }
  expect(closed).toBe(false);
  await reading;
  expect(text).toBe("a b c d");
  await closing;
  agent.destroy();
});

it("close() is idempotent and a second call waits for the same drain", async () => {
  const gateway = await createGateway({
    providers: { openai: { baseURL: `${upstream.url}/v1`, apiKey: "sk-upstream" } },
  });
  await gateway.listen({ port: 0 });
  const a = gateway.close();
  const b = gateway.close();
  expect(a).toBe(b);
  await a;
});
