// The two middleware of the README's "Middleware" section, as written there, over real sockets.
import { type CallParams, LLMClient, type Middleware, memoryStore } from "@rephysco/core";
import "@rephysco/openai";
import { describe, expect, it } from "vitest";
import { collect, TEST_KEY, useMockServer } from "./helpers.js";

const ctx = useMockServer();

const EMAIL = /[\w.+-]+@[\w-]+\.[\w.-]+/g;
const mask = (p: CallParams): CallParams => ({
  ...p,
  messages: p.messages.map((m) => ({ ...m, content: m.content.replace(EMAIL, "[email]") })),
});

const redactEmails: Middleware = {
  wrapGenerate: ({ doGenerate, params }) => doGenerate(mask(params)),
  wrapStream: ({ doStream, params }) => doStream(mask(params)),
};

function usageLogger(lines: unknown[][]): Middleware {
  const log = (...args: unknown[]) => lines.push(args);
  return {
    async wrapGenerate({ doGenerate, params }) {
      const r = await doGenerate();
      log(params.model, r.provider, r.cached ? "cached" : "", r.usage);
      return r;
    },
    async *wrapStream({ doStream, params }) {
      for await (const part of doStream()) {
        if (part.type === "finish") log(params.model, part.reason, part.usage);
        yield part;
      }
    },
  };
}

const sentText = () =>
  JSON.stringify((ctx.server.requests.at(-1)!.body as { messages: unknown }).messages);

describe("README middleware", () => {
  it("the redactor masks e-mail addresses in what is sent and in what is keyed", async () => {
    const store = memoryStore();
    const lines: unknown[][] = [];
    const client = new LLMClient({
      provider: "openai",
      apiKey: TEST_KEY,
      baseURL: `${ctx.server.url}/v1`,
      cache: store,
      middleware: [redactEmails, usageLogger(lines)],
    });
    ctx.server.enqueue([{ text: "noted" }, { text: "streamed", chunks: ["stre", "amed"] }]);
    await client.generate("Mail ada@example.com about it.");
    expect(sentText()).toContain("Mail [email] about it.");
    expect(sentText()).not.toContain("ada@example.com");
    // Another address masks to the same request: a cache hit, logged as such.
    const again = await client.generate("Mail bob@example.org about it.");
    expect(again.cached).toBe(true);
    expect(ctx.server.requests).toHaveLength(1);
    const { text } = await collect(client.stream("Write to eve@example.net now."));
    expect(text).toBe("streamed");
    expect(sentText()).toContain("Write to [email] now.");
    expect(lines).toHaveLength(3);
    expect(lines[1]![2]).toBe("cached");
    expect(lines[2]![1]).toBe("stop");
  });
});
