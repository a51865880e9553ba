import { once } from "node:events";
import {
  createServer,
  type IncomingMessage,
  type RequestListener,
  type Server,
  type ServerResponse,
} from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { brotliCompressSync, deflateRawSync, deflateSync, gzipSync } from "node:zlib";
import OpenAI from "openai";
import { afterEach, describe, expect, it } from "vitest";
import { createFastFetch, type FastFetch } from "../src/transport.js";

const servers: Server[] = [];
const fasts: FastFetch[] = [];

afterEach(async () => {
  await Promise.all(fasts.splice(0).map((f) => f.close()));
  await Promise.all(
    servers.splice(0).map((s) => {
      s.closeAllConnections();
      return new Promise<void>((resolve) => s.close(() => resolve()));
    }),
  );
});

/** Starts a node:http server on 127.0.0.1 (closed after the test); its base URL. */
async function serve(handler: RequestListener): Promise<{ url: string; server: Server }> {
  const server = createServer(handler);
  servers.push(server);
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

/** A FastFetch closed after the test. */
function fast(): FastFetch {
  const f = createFastFetch();
  fasts.push(f);
  return f;
}

/** The whole request body. */
async function readBody(req: IncomingMessage): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const part of req) parts.push(part as Buffer);
  return Buffer.concat(parts);
}

/** A promise with its resolve function. */
function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

/** The rejection of `p` (fails the test when it fulfills). */
async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error("expected a rejection");
}

const decoder = new TextDecoder();

describe("createFastFetch", () => {
  it("sends method, headers and body bytes exactly (JSON POST round trip)", async () => {
    let seen: { method?: string; headers: IncomingMessage["headers"]; body: Buffer } | undefined;
    const { url } = await serve(async (req, res) => {
      seen = { method: req.method, headers: req.headers, body: await readBody(req) };
      res.setHeader("content-type", "application/json");
      res.end(JSON.stringify({ ok: true, echo: JSON.parse(seen.body.toString("utf8")) }));
    });
    const payload = JSON.stringify({ model: "m", text: "héllo ✓" });
    const res = await fast().fetch(`${url}/v1/chat?x=1#frag`, {
      method: "POST",
      headers: { Authorization: "Bearer sk-test", "Content-Type": "application/json" },
      body: payload,
    });
    expect(res).toBeInstanceOf(Response);
    expect(res.status).toBe(200);
    expect(res.ok).toBe(true);
    expect(res.url).toBe(`${url}/v1/chat?x=1`);
    expect(await res.json()).toEqual({ ok: true, echo: { model: "m", text: "héllo ✓" } });
    expect(seen?.method).toBe("POST");
    expect(seen?.headers.authorization).toBe("Bearer sk-test");
    expect(seen?.headers["content-type"]).toBe("application/json");
    expect(seen?.headers["content-length"]).toBe(String(Buffer.byteLength(payload)));
    expect(seen?.body.equals(Buffer.from(payload, "utf8"))).toBe(true);
    // The fast path: no headers that only undici's fetch layer adds.
    expect(seen?.headers["accept-encoding"]).toBeUndefined();
    expect(seen?.headers["sec-fetch-mode"]).toBeUndefined();
  });

  it("takes Headers, pairs (multiple values kept) and byte bodies; defaults content-type like fetch", async () => {
    const seen: { headers: IncomingMessage["headers"]; body: Buffer; path?: string }[] = [];
    const { url } = await serve(async (req, res) => {
      seen.push({ headers: req.headers, body: await readBody(req), path: req.url });
      res.end("ok");
    });
    const f = fast();
    const bytes = new Uint8Array([0, 1, 2, 255]);
    await (
      await f.fetch(new URL(`${url}/a`), {
        method: "put",
        headers: new Headers({ "X-One": "1" }),
        body: bytes,
      })
    ).text();
    await (
      await f.fetch(`${url}/b`, {
        method: "POST",
        headers: [
          ["X-Multi", "a"],
          ["x-multi", "b"],
        ],
        body: bytes.buffer,
      })
    ).text();
    await (await f.fetch(`${url}/c`, { method: "POST", body: "plain" })).text();
    await (
      await f.fetch(`${url}/d`, { method: "POST", body: new URLSearchParams({ q: "a b" }) })
    ).text();
    expect(seen.map((s) => s.path)).toEqual(["/a", "/b", "/c", "/d"]);
    expect(seen[0]?.headers["x-one"]).toBe("1");
    expect(seen[0]?.headers["content-type"]).toBeUndefined();
    expect([...(seen[0]?.body ?? [])]).toEqual([0, 1, 2, 255]);
    expect(seen[1]?.headers["x-multi"]).toBe("a, b");
    expect([...(seen[1]?.body ?? [])]).toEqual([0, 1, 2, 255]);
    expect(seen[2]?.headers["content-type"]).toBe("text/plain;charset=UTF-8");
    expect(seen[2]?.body.toString()).toBe("plain");
    expect(seen[3]?.headers["content-type"]).toBe(
      "application/x-www-form-urlencoded;charset=UTF-8",
    );
    expect(seen[3]?.body.toString()).toBe("q=a+b");
  });

  it("returns status, status text and headers, multiple set-cookie kept apart", async () => {
    const { url } = await serve((_req, res) => {
      res.statusCode = 201;
      res.statusMessage = "Made It";
      res.setHeader("set-cookie", ["a=1; Path=/", "b=2"]);
      res.setHeader("x-dup", ["1", "2"]);
      res.setHeader("content-type", "text/plain");
      res.end("made");
    });
    const res = await fast().fetch(url);
    expect(res.status).toBe(201);
    expect(res.statusText).toBe("Made It");
    expect(res.headers.getSetCookie()).toEqual(["a=1; Path=/", "b=2"]);
    expect(res.headers.get("x-dup")).toBe("1, 2");
    expect(res.headers.get("content-type")).toBe("text/plain");
    expect(res.headers.get("content-length")).toBe("4");
    expect(await res.text()).toBe("made");
  });

  it("gives a null body for 204 and HEAD", async () => {
    const { url } = await serve((req, res) => {
      if (req.url === "/none") {
        res.statusCode = 204;
        res.end();
        return;
      }
      res.setHeader("content-type", "text/plain");
      res.setHeader("content-length", "4");
      res.end(req.method === "HEAD" ? undefined : "body");
    });
    const f = fast();
    const none = await f.fetch(`${url}/none`, { method: "DELETE" });
    expect(none.status).toBe(204);
    expect(none.body).toBeNull();
    const head = await f.fetch(url, { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(head.body).toBeNull();
    expect(head.headers.get("content-length")).toBe("4");
    // The connection is still usable afterwards.
    expect(await (await f.fetch(url)).text()).toBe("body");
  });

  it("streams a body incrementally (SSE chunk by chunk, not buffered)", async () => {
    const firstRead = deferred();
    let secondWritten = false;
    const { url } = await serve((_req, res) => {
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.write("data: one\n\n");
      // Written once the client has read the first chunk; the timer only makes a buffering
      // implementation fail fast instead of hanging.
      const fallback = setTimeout(() => firstRead.resolve(), 5_000);
      void firstRead.promise.then(() => {
        clearTimeout(fallback);
        secondWritten = true;
        res.end("data: two\n\n");
      });
    });
    const res = await fast().fetch(url);
    const reader = res.body!.getReader();
    const first = await reader.read();
    expect(secondWritten).toBe(false);
    expect(first.value).toBeInstanceOf(Uint8Array);
    expect(decoder.decode(first.value)).toBe("data: one\n\n");
    firstRead.resolve();
    let rest = "";
    for (let r = await reader.read(); !r.done; r = await reader.read())
      rest += decoder.decode(r.value);
    expect(rest).toBe("data: two\n\n");
  });

  it.each([
    ["gzip", gzipSync],
    ["deflate", deflateSync],
    ["deflate", deflateRawSync],
    ["br", brotliCompressSync],
  ] as const)("decodes a %s response", async (encoding, compress) => {
    const json = { hello: "world", n: [1, 2, 3] };
    const { url } = await serve((_req, res) => {
      res.writeHead(200, { "content-type": "application/json", "content-encoding": encoding });
      res.end(compress(Buffer.from(JSON.stringify(json))));
    });
    const res = await fast().fetch(url);
    expect(res.headers.get("content-encoding")).toBe(encoding);
    expect(await res.json()).toEqual(json);
  });

  it("rejects at once with the signal's reason when already aborted", async () => {
    let requests = 0;
    const { url } = await serve((_req, res) => {
      requests++;
      res.end("x");
    });
    const f = fast();
    const plain = new AbortController();
    plain.abort();
    const e1 = await rejection(f.fetch(url, { signal: plain.signal }));
    expect(e1).toBeInstanceOf(DOMException);
    expect((e1 as DOMException).name).toBe("AbortError");
    const custom = new AbortController();
    const reason = new Error("mine");
    custom.abort(reason);
    expect(await rejection(f.fetch(url, { signal: custom.signal }))).toBe(reason);
    expect(requests).toBe(0);
  });

  it("rejects with AbortError when aborted while waiting for headers, and drops the socket", async () => {
    const arrived = deferred();
    const socketClosed = deferred();
    const { url } = await serve((req) => {
      req.socket.once("close", () => socketClosed.resolve());
      arrived.resolve();
    });
    const controller = new AbortController();
    const pending = fast().fetch(url, { signal: controller.signal });
    await arrived.promise;
    controller.abort();
    const e = await rejection(pending);
    expect((e as DOMException).name).toBe("AbortError");
    await socketClosed.promise;
  });

  it("errors the body stream with AbortError when aborted mid-body, and drops the socket", async () => {
    const socketClosed = deferred();
    const { url } = await serve((req, res) => {
      req.socket.once("close", () => socketClosed.resolve());
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.write("data: one\n\n");
    });
    const controller = new AbortController();
    const res = await fast().fetch(url, { signal: controller.signal });
    const reader = res.body!.getReader();
    expect(decoder.decode((await reader.read()).value)).toBe("data: one\n\n");
    controller.abort();
    const e = await rejection(reader.read());
    expect(e).toBeInstanceOf(DOMException);
    expect((e as DOMException).name).toBe("AbortError");
    await socketClosed.promise;
  });

  it("rejects a refused connection with TypeError('fetch failed') whose cause has ECONNREFUSED", async () => {
    const { url, server } = await serve(() => {});
    servers.splice(servers.indexOf(server), 1);
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const e = await rejection(fast().fetch(url));
    expect(e).toBeInstanceOf(TypeError);
    expect((e as TypeError).message).toBe("fetch failed");
    expect(((e as TypeError).cause as { code?: string }).code).toBe("ECONNREFUSED");
  });

  it.each(["identity", "gzip"])(
    "errors the body with TypeError('terminated') when the server cuts the socket mid-body (%s)",
    async (encoding) => {
      const json = Buffer.from(JSON.stringify({ partial: "x".repeat(5_000) }));
      const bytes = encoding === "gzip" ? gzipSync(json) : json;
      const { url } = await serve((_req, res) => {
        res.writeHead(200, {
          "content-type": "application/json",
          "content-encoding": encoding,
          "content-length": String(bytes.length),
        });
        res.write(bytes.subarray(0, bytes.length >> 1));
        setTimeout(() => res.socket?.destroy(), 20);
      });
      const res = await fast().fetch(url);
      expect(res.status).toBe(200);
      const e = await rejection(res.text());
      expect(e).toBeInstanceOf(TypeError);
      expect((e as TypeError).message).toBe("terminated");
      const codes: string[] = [];
      for (let c: unknown = e; c !== null && typeof c === "object"; c = (c as Error).cause) {
        const code = (c as { code?: unknown }).code;
        if (typeof code === "string") codes.push(code);
      }
      expect(codes).toContain("UND_ERR_SOCKET");
    },
  );

  it("closes the connection when the body is cancelled", async () => {
    const socketClosed = deferred();
    const { url } = await serve((req, res) => {
      req.socket.once("close", () => socketClosed.resolve());
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.write("data: one\n\n");
    });
    const res = await fast().fetch(url);
    const reader = res.body!.getReader();
    expect(decoder.decode((await reader.read()).value)).toBe("data: one\n\n");
    await reader.cancel();
    await socketClosed.promise;
  });

  it("follows a 307 redirect, replaying method and body", async () => {
    const seen: { path?: string; method?: string; body: string }[] = [];
    const { url } = await serve(async (req, res) => {
      seen.push({ path: req.url, method: req.method, body: (await readBody(req)).toString() });
      if (req.url === "/old") {
        res.writeHead(307, { location: "/new" });
        res.end("moved");
        return;
      }
      res.end("landed");
    });
    const res = await fast().fetch(`${url}/old`, { method: "POST", body: "payload" });
    expect(res.status).toBe(200);
    expect(res.redirected).toBe(true);
    expect(await res.text()).toBe("landed");
    // The original request went once: the redirect is followed, never replayed.
    expect(seen).toEqual([
      { path: "/old", method: "POST", body: "payload" },
      { path: "/new", method: "POST", body: "payload" },
    ]);
    const manual = await fast().fetch(`${url}/old`, { redirect: "manual" });
    expect(manual.status).toBe(307);
    expect(manual.headers.get("location")).toBe("/new");
    expect(await manual.text()).toBe("moved");
  });

  it("turns a POST into a GET on 303 and drops credentials across origins", async () => {
    const seen: { host?: string; method?: string; auth?: string; type?: string; body: string }[] =
      [];
    const handler = async (
      req: import("node:http").IncomingMessage,
      res: import("node:http").ServerResponse,
    ) => {
      seen.push({
        host: req.headers.host,
        method: req.method,
        auth: req.headers.authorization,
        type: req.headers["content-type"],
        body: (await readBody(req)).toString(),
      });
      if (req.url === "/old") {
        res.writeHead(303, { location: `${other.url}/result` });
        res.end();
        return;
      }
      res.end("done");
    };
    const other = await serve(handler);
    const { url } = await serve(handler);
    const res = await fast().fetch(`${url}/old`, {
      method: "POST",
      headers: { authorization: "Bearer secret", "content-type": "application/json" },
      body: "{}",
    });
    expect(await res.text()).toBe("done");
    expect(seen).toHaveLength(2);
    expect(seen[0]).toMatchObject({ method: "POST", auth: "Bearer secret", body: "{}" });
    expect(seen[1]).toMatchObject({ method: "GET", auth: undefined, type: undefined, body: "" });
  });

  it("reuses the keep-alive connection for sequential requests", async () => {
    const sockets: Socket[] = [];
    const { url } = await serve((req, res) => {
      sockets.push(req.socket);
      res.end("ok");
    });
    const f = fast();
    expect(await (await f.fetch(url)).text()).toBe("ok");
    // undici's pool takes a connection back when it emits `drain`, just after the body ends.
    await new Promise((r) => setImmediate(r));
    expect(await (await f.fetch(url, { method: "POST", body: "{}" })).text()).toBe("ok");
    expect(sockets).toHaveLength(2);
    expect(sockets[1]).toBe(sockets[0]);
    // Back to back (no tick in between) the pool alternates between two connections at most.
    for (let i = 0; i < 6; i++) expect(await (await f.fetch(url)).text()).toBe("ok");
    expect(new Set(sockets).size).toBeLessThanOrEqual(2);
  });

  it("hands rare shapes (FormData body, Request input, non-http URL) to the global fetch", async () => {
    const seen: { headers: IncomingMessage["headers"]; body: string }[] = [];
    const { url } = await serve(async (req, res) => {
      seen.push({ headers: req.headers, body: (await readBody(req)).toString() });
      res.end("ok");
    });
    const f = fast();
    const form = new FormData();
    form.append("field", "value-1");
    expect(await (await f.fetch(url, { method: "POST", body: form })).text()).toBe("ok");
    expect(await (await f.fetch(new Request(url, { headers: { "x-req": "1" } }))).text()).toBe(
      "ok",
    );
    // `sec-fetch-mode` is only sent by undici's fetch layer: these went through global fetch.
    expect(seen[0]?.headers["sec-fetch-mode"]).toBe("cors");
    expect(seen[0]?.headers["content-type"]).toMatch(/^multipart\/form-data; boundary=/);
    expect(seen[0]?.body).toContain('name="field"');
    expect(seen[0]?.body).toContain("value-1");
    expect(seen[1]?.headers["sec-fetch-mode"]).toBe("cors");
    expect(seen[1]?.headers["x-req"]).toBe("1");
    expect(await (await f.fetch("data:text/plain,hi")).text()).toBe("hi");
  });

  it("close() is idempotent and closes the pool", async () => {
    const { url } = await serve((_req, res) => res.end("ok"));
    const f = createFastFetch();
    expect(await (await f.fetch(url)).text()).toBe("ok");
    await f.close();
    await f.close();
    const e = await rejection(f.fetch(url));
    expect(e).toBeInstanceOf(TypeError);
    // undici says "destroyed" once close() has finished, "closed" while it is closing.
    expect(((e as TypeError).cause as { code?: string }).code).toMatch(
      /^UND_ERR_(CLOSED|DESTROYED)$/,
    );
  });
});

describe("createFastFetch with the openai SDK", () => {
  const completion = {
    id: "chatcmpl-1",
    object: "chat.completion",
    created: 1,
    model: "gpt-test",
    choices: [
      {
        index: 0,
        message: { role: "assistant", content: "Hello there", refusal: null },
        logprobs: null,
        finish_reason: "stop",
      },
    ],
    usage: { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 },
  };
  const chunk = (content: string | null, finish: string | null) => ({
    id: "chatcmpl-2",
    object: "chat.completion.chunk",
    created: 1,
    model: "gpt-test",
    choices: [{ index: 0, delta: content === null ? {} : { content }, finish_reason: finish }],
  });

  /** An OpenAI-shaped upstream: JSON, SSE when `stream`, 429 for model "limited". */
  async function openaiServer(seen: { headers: IncomingMessage["headers"]; body: unknown }[]) {
    return serve(async (req, res: ServerResponse) => {
      const body = JSON.parse((await readBody(req)).toString()) as {
        model: string;
        stream?: boolean;
      };
      seen.push({ headers: req.headers, body });
      if (body.model === "limited") {
        res.writeHead(429, { "content-type": "application/json", "retry-after": "7" });
        res.end(
          JSON.stringify({
            error: { message: "slow down", type: "rate_limit", code: "rate_limit_exceeded" },
          }),
        );
        return;
      }
      if (!body.stream) {
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify(completion));
        return;
      }
      res.writeHead(200, { "content-type": "text/event-stream" });
      for (const c of [chunk("Hel", null), chunk("lo", null), chunk(null, "stop")]) {
        res.write(`data: ${JSON.stringify(c)}\n\n`);
        await new Promise((r) => setTimeout(r, 5));
      }
      res.end("data: [DONE]\n\n");
    });
  }

  function client(url: string): OpenAI {
    return new OpenAI({
      apiKey: "sk-fast",
      baseURL: `${url}/v1`,
      maxRetries: 0,
      fetch: fast().fetch,
    });
  }

  it("does a non-streamed chat completion", async () => {
    const seen: { headers: IncomingMessage["headers"]; body: unknown }[] = [];
    const { url } = await openaiServer(seen);
    const out = await client(url).chat.completions.create({
      model: "gpt-test",
      messages: [{ role: "user", content: "Hi" }],
    });
    expect(out.choices[0]?.message.content).toBe("Hello there");
    expect(out.usage?.total_tokens).toBe(5);
    expect(seen[0]?.headers.authorization).toBe("Bearer sk-fast");
    expect(seen[0]?.headers["sec-fetch-mode"]).toBeUndefined();
    expect(seen[0]?.body).toMatchObject({ model: "gpt-test", messages: [{ content: "Hi" }] });
  });

  it("does a streamed chat completion", async () => {
    const seen: { headers: IncomingMessage["headers"]; body: unknown }[] = [];
    const { url } = await openaiServer(seen);
    const stream = await client(url).chat.completions.create({
      model: "gpt-test",
      messages: [{ role: "user", content: "Hi" }],
      stream: true,
    });
    const parts: string[] = [];
    let finish: string | null | undefined;
    for await (const c of stream) {
      parts.push(c.choices[0]?.delta.content ?? "");
      finish = c.choices[0]?.finish_reason ?? finish;
    }
    expect(parts.join("")).toBe("Hello");
    expect(parts).toHaveLength(3);
    expect(finish).toBe("stop");
    expect(seen[0]?.body).toMatchObject({ stream: true });
  });

  it("surfaces a 429 as OpenAI.RateLimitError with status and headers", async () => {
    const { url } = await openaiServer([]);
    const e = await rejection(
      client(url).chat.completions.create({
        model: "limited",
        messages: [{ role: "user", content: "Hi" }],
      }),
    );
    expect(e).toBeInstanceOf(OpenAI.RateLimitError);
    const err = e as InstanceType<typeof OpenAI.RateLimitError>;
    expect(err.status).toBe(429);
    expect(err.headers?.get("retry-after")).toBe("7");
    expect(err.message).toContain("slow down");
    expect(err.code).toBe("rate_limit_exceeded");
  });
});
