import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { IncomingMessage, ServerResponse } from "node:http";
import { connect, Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { validateGatewayConfig } from "../src/config.js";
import { createGateway } from "../src/index.js";
import { ChunkWriter, drained } from "../src/respond.js";
import { Router, setResponseFormat } from "../src/routes.js";
import { useGateway, type Wire } from "./helpers.js";

const s = useGateway();

const post = (body: string, contentType = "application/json") =>
  fetch(`${s.url}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": contentType },
    body,
  });

describe("server details", () => {
  it("answers a text/plain body with the 415", async () => {
    const res = await post("hello", "text/plain");
    expect(res.status).toBe(415);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe(
      "unsupported_media_type",
    );
  });

  it("sends x-request-id on every response, errors included", async () => {
    const ok = await post(
      JSON.stringify({ model: "m", messages: [{ role: "user", content: "hi" }] }),
    );
    const bad = await post(JSON.stringify({ model: "m", messages: [] }));
    const broken = await post("{nope");
    const media = await post("x", "text/plain");
    const missing = await fetch(`${s.url}/nowhere`);
    const models = await fetch(`${s.url}/v1/models`);
    const stream = await post(
      JSON.stringify({ model: "m", messages: [{ role: "user", content: "hi" }], stream: true }),
    );
    await stream.text();
    const ids = [ok, bad, broken, media, missing, models, stream].map((r) =>
      r.headers.get("x-request-id"),
    );
    expect([ok, bad, broken, media, missing, models, stream].map((r) => r.status)).toEqual([
      200, 400, 400, 415, 404, 200, 200,
    ]);
    for (const id of ids) expect(id).toMatch(/^req_[0-9a-f]{32}$/);
    expect(new Set(ids).size).toBe(ids.length);
    // The completion's id carries the same request id.
    const body = (await ok.json()) as { id: string };
    expect(body.id).toBe(`chatcmpl-${ids[0]!.slice(4)}`);
  });

  it("serves the same /v1/models body each time", async () => {
    const a = await (await fetch(`${s.url}/v1/models`)).text();
    const b = await (await fetch(`${s.url}/v1/models`)).text();
    expect(a).toBe(b);
    expect(JSON.parse(a)).toMatchObject({ object: "list" });
  });
});

describe("streaming internals", () => {
  it("sends the usage chunk with zeros when the upstream reported no usage", () => {
    const w = new ChunkWriter("chatcmpl-x", 1, true);
    w.start("m");
    w.chunk({ content: "hi", finishReason: "stop" } as Parameters<ChunkWriter["chunk"]>[0]);
    const events = w
      .end()
      .trim()
      .split("\n\n")
      .map((e) => e.slice(6));
    expect(events.at(-1)).toBe("[DONE]");
    const usage = JSON.parse(events.at(-2)!) as { choices: unknown[]; usage: unknown };
    expect(usage.choices).toEqual([]);
    expect(usage.usage).toMatchObject({ prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 });
  });

  it("drained() resolves at once when the response is gone", async () => {
    const res = new ServerResponse(new IncomingMessage(new Socket()));
    res.destroy();
    const r = await Promise.race([
      drained(res).then(() => "resolved"),
      new Promise((t) => setTimeout(() => t("pending"), 200)),
    ]);
    expect(r).toBe("resolved");
  });
});

describe("response-format middleware", () => {
  it("is only on the client used for requests with a response format", async () => {
    const router = new Router(
      validateGatewayConfig({
        providers: { openai: { baseURL: `${s.upstream.url}/v1`, apiKey: "k" } },
      }),
    );
    const route = router.resolve("m");
    expect(route.client).not.toBe(route.formatClient);
    const format = { type: "json" as const, name: "r", schema: { type: "object" } };
    const plain = new AbortController();
    setResponseFormat(plain.signal, format, route);
    s.upstream.enqueue({ text: '{"a":1}' });
    s.upstream.enqueue({ text: '{"a":1}' });
    // Even with a format registered for its signal, the plain client sends none.
    await route.client.generate([{ role: "user", content: "x" }], {
      model: "m",
      signal: plain.signal,
    });
    await route.formatClient.generate([{ role: "user", content: "x" }], {
      model: "m",
      signal: plain.signal,
    });
    const [a, b] = s.upstream.requests.map((r) => r.body as Wire);
    expect(a!.response_format).toBeUndefined();
    expect(b!.response_format).toMatchObject({ type: "json_schema" });
  });
});

describe("close", () => {
  it("does not wait for a connection that never sent a request", async () => {
    const gateway = await createGateway({
      providers: { openai: { baseURL: `${s.upstream.url}/v1`, apiKey: "k" } },
    });
    const { url } = await gateway.listen({ port: 0 });
    const u = new URL(url);
    const sock = connect(Number(u.port), u.hostname);
    await new Promise((r) => sock.once("connect", r));
    sock.on("error", () => {});
    const t0 = Date.now();
    await gateway.close();
    expect(Date.now() - t0).toBeLessThan(1000);
    sock.destroy();
  });

  it("still lets a request in flight finish", async () => {
    const gateway = await createGateway({
      providers: { openai: { baseURL: `${s.upstream.url}/v1`, apiKey: "k" } },
    });
    const { url } = await gateway.listen({ port: 0 });
    const idle = connect(Number(new URL(url).port), "127.0.0.1");
    idle.on("error", () => {});
    s.upstream.enqueue({ text: "late", delayMs: 300 });
    const p = fetch(`${url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "m", messages: [{ role: "user", content: "x" }] }),
    });
    while (s.upstream.requests.length === 0) await new Promise((r) => setTimeout(r, 5));
    await gateway.close();
    const res = await p;
    expect(res.status).toBe(200);
    expect(
      ((await res.json()) as { choices: { message: { content: string } }[] }).choices[0]!.message
        .content,
    ).toBe("late");
    idle.destroy();
  });
});

describe("error logging", () => {
  const root = fileURLToPath(new URL("../..", import.meta.url));
  /** Runs a gateway with the given logger option in a child process; returns its output. */
  async function run(logger: string): Promise<string> {
    const script = join(tmpdir(), `gw-log-${process.pid}-${logger}.mjs`);
    writeFileSync(
      script,
      `import "${root}openai/dist/index.js";
import { createMockServer } from "${root}testing/dist/index.js";
import { createGateway } from "${root}gateway/dist/index.js";
const up = await createMockServer();
const gw = await createGateway({ providers: { openai: { baseURL: up.url + "/v1", apiKey: "sk-upstream-secret" } },
  models: { once: { provider: "openai", model: "m", retries: 0 } } }, { logger: ${logger} });
const { url } = await gw.listen({ port: 0 });
const post = (b) => fetch(url + "/v1/chat/completions", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(b) }).then((r) => r.text());
up.enqueue({ error: { status: 500, body: { error: { message: "boom", type: "server_error", echo: "SECRET-BODY-1 echoed" } } } });
await post({ model: "once", messages: [{ role: "user", content: "SECRET-BODY-1" }] });
up.enqueue({ chunks: ["PRIVATE-ANSWER-1 ", "PRIVATE-ANSWER-2 ", "c"], midStreamError: { afterChunks: 2 } });
await post({ model: "once", stream: true, messages: [{ role: "user", content: "SECRET-BODY-2" }] });
await post({ model: "once", messages: [] });
await gw.close(); await up.close();
`,
    );
    return new Promise<string>((resolve, reject) => {
      const child = spawn(process.execPath, [script], {
        cwd: fileURLToPath(new URL("..", import.meta.url)),
      });
      let text = "";
      child.stdout.on("data", (d) => (text += d));
      child.stderr.on("data", (d) => (text += d));
      child.on("error", reject);
      child.on("close", () => resolve(text));
    });
  }
  type Line = { level: number; msg: string; failure?: Record<string, unknown> };
  const lines = (out: string): Line[] =>
    out
      .split("\n")
      .filter((l) => l.startsWith("{"))
      .map((l) => JSON.parse(l) as Line);

  it("logs upstream failures and mid-stream errors as a fixed set of fields, never bodies or output", async () => {
    const out = await run("true");
    const all = lines(out);
    expect(all.some((l) => l.level === 30)).toBe(true);
    const errors = all.filter((l) => l.level >= 50);
    expect(errors.map((e) => e.msg)).toEqual(["request failed", "upstream failed mid-stream"]);
    for (const e of errors) {
      expect(typeof e.failure?.message).toBe("string");
      expect(e.failure).toMatchObject({ provider: "openai", model: "m" });
      for (const k of Object.keys(e.failure!))
        expect([
          "type",
          "message",
          "provider",
          "model",
          "status",
          "code",
          "reason",
          "requestId",
        ]).toContain(k);
      expect(e).not.toHaveProperty("err");
    }
    expect(errors[0]!.failure).toMatchObject({ status: 500 });
    expect(out).not.toContain("SECRET-BODY");
    expect(out).not.toContain("PRIVATE-ANSWER");
    expect(out).not.toContain("sk-upstream-secret");
  }, 20_000);

  it("logs only failures at level warn", async () => {
    const all = lines(await run('"warn"'));
    expect(all.length).toBe(2);
    expect(all.every((l) => l.level >= 40)).toBe(true);
  }, 20_000);
});
