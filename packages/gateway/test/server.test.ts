import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { IncomingMessage, ServerResponse } from "node:http";
import { connect, Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { LLMClient, listProviders, registerProvider } from "@rephysco/core";
import { describe, expect, it, vi } from "vitest";
import { createGateway } from "../src/index.js";
import { ChunkWriter, drained } from "../src/respond.js";
import { Router } from "../src/routes.js";
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

  it("builds the /v1/models body once: a provider registered later does not change it", async () => {
    const a = await (await fetch(`${s.url}/v1/models`)).text();
    registerProvider(
      "gw-late-test",
      () => {
        throw new Error("never created");
      },
      { defaultModel: "late-1" },
    );
    expect(listProviders().some((p) => p.id === "gw-late-test")).toBe(true);
    const b = await (await fetch(`${s.url}/v1/models`)).text();
    expect(b).toBe(a);
    expect(b).not.toContain("gw-late-test");
    // A gateway created after the registration lists it.
    const later = await createGateway({});
    try {
      const { url } = await later.listen({ port: 0 });
      expect(await (await fetch(`${url}/v1/models`)).text()).toContain("gw-late-test/late-1");
    } finally {
      await later.close();
    }
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
  it("is used only for requests with a response format (through HTTP)", async () => {
    const resolve = vi.spyOn(Router.prototype, "resolve");
    const generate = vi.spyOn(LLMClient.prototype, "generate");
    const stream = vi.spyOn(LLMClient.prototype, "stream");
    try {
      s.upstream.enqueue({ text: "plain" });
      s.upstream.enqueue({ text: "plain" });
      s.upstream.enqueue({ text: '{"a":1}' });
      const body = (extra: Record<string, unknown>) =>
        JSON.stringify({ model: "m", messages: [{ role: "user", content: "x" }], ...extra });
      expect((await post(body({}))).status).toBe(200);
      await (await post(body({ stream: true }))).text();
      const format = {
        type: "json_schema",
        json_schema: { name: "r", schema: { type: "object" } },
      };
      expect((await post(body({ response_format: format }))).status).toBe(200);
      const routes = resolve.mock.results.map((r) => r.value as ReturnType<Router["resolve"]>);
      expect(routes).toHaveLength(3);
      // The plain requests ran on the plain client, the one with a format on the format client.
      expect(generate.mock.contexts).toEqual([routes[0]!.client, routes[2]!.formatClient]);
      expect(stream.mock.contexts).toEqual([routes[1]!.client]);
      expect(routes[0]!.client).not.toBe(routes[0]!.formatClient);
      const wire = s.upstream.requests.map((r) => r.body as Wire);
      expect(wire[0]!.response_format).toBeUndefined();
      expect(wire[1]!.response_format).toBeUndefined();
      expect(wire[2]!.response_format).toMatchObject({ type: "json_schema" });
    } finally {
      resolve.mockRestore();
      generate.mockRestore();
      stream.mockRestore();
    }
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
