// Two clients on one store share an answer only when they would ask the same account the same
// thing through the same chain of providers.
import { LLMClient, type LLMClientOptions, memoryStore, registerProvider } from "@rephysco/core";
import "@rephysco/openai";
import { OpenAICompatibleProvider } from "@rephysco/openai/compatible";
import { describe, expect, it } from "vitest";
import { TEST_KEY, useMockServer } from "../helpers.js";

const ctx = useMockServer();

// A keyless OpenAI-dialect server (a gateway that authenticates by its own header).
registerProvider(
  "keyless-gateway",
  (settings) =>
    new OpenAICompatibleProvider(
      {
        id: "keyless-gateway",
        defaultModel: "m",
        defaultBaseURL: "http://127.0.0.1:9/v1",
        apiKeyEnvVars: [],
        requireApiKey: false,
      },
      settings,
    ),
);

/** Asks the same question through `a` then `b` on one store; returns whether `b` was a hit. */
async function shared(
  a: Partial<LLMClientOptions<"openai">>,
  b: Partial<LLMClientOptions<"openai">>,
  provider = "openai",
): Promise<boolean> {
  const store = memoryStore();
  const make = (o: Partial<LLMClientOptions<"openai">>) =>
    new LLMClient({
      provider,
      apiKey: TEST_KEY,
      baseURL: `${ctx.server.url}/v1`,
      cache: store,
      ...o,
    } as LLMClientOptions<"openai">);
  ctx.server.enqueue([{ text: "first" }, { text: "second" }]);
  const ca = make(a);
  await ca.generate("same question");
  await ca.flush();
  return (await make(b).generate("same question")).cached;
}

describe("credential-bearing settings are part of the cache key", () => {
  it("identical clients share (the control)", async () => {
    expect(await shared({}, {})).toBe(true);
  });

  it("OpenAI organization", async () => {
    expect(
      await shared(
        { settings: { organization: "org-a" } },
        { settings: { organization: "org-b" } },
      ),
    ).toBe(false);
  });

  it("OpenAI project", async () => {
    expect(
      await shared({ settings: { project: "proj-a" } }, { settings: { project: "proj-b" } }),
    ).toBe(false);
  });

  it("an Azure-style api-key header", async () => {
    expect(
      await shared(
        { settings: { headers: { "api-key": "azure-a-000000" } } },
        { settings: { headers: { "api-key": "azure-b-000000" } } },
      ),
    ).toBe(false);
  });

  it("a gateway header on a keyless provider", async () => {
    expect(
      await shared(
        { apiKey: undefined, settings: { headers: { Authorization: "Bearer gateway-token-a" } } },
        { apiKey: undefined, settings: { headers: { Authorization: "Bearer gateway-token-b" } } },
        "keyless-gateway",
      ),
    ).toBe(false);
  });

  it("a non-credential header does not split the cache", async () => {
    expect(
      await shared(
        { settings: { headers: { "x-trace": "1" } } },
        { settings: { headers: { "x-trace": "2" } } },
      ),
    ).toBe(true);
  });
});

describe("the key covers the whole target chain", () => {
  it("a client with a fallback never shares with one without, nor with another fallback account", async () => {
    const fallback = (apiKey: string) => ({
      fallbacks: [
        { provider: "openai" as const, apiKey, baseURL: `${ctx.server.url}/fallback/v1` },
      ],
    });
    expect(await shared({}, fallback("sk-fallback-a-0000000"))).toBe(false);
    expect(await shared(fallback("sk-fallback-a-0000000"), fallback("sk-fallback-b-0000000"))).toBe(
      false,
    );
    expect(await shared(fallback("sk-fallback-a-0000000"), fallback("sk-fallback-a-0000000"))).toBe(
      true,
    );
  });
});

describe("callers never share answer objects", () => {
  const USAGE = { promptTokens: 7, completionTokens: 3, totalTokens: 10 };

  it("coalesced calls and hits served from a pending write each get their own usage", async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const entries = new Map<string, unknown>();
    // A slow store: writes stay pending, so hits come from the client's pending-write map.
    const slow = {
      get: async (k: string) => entries.get(k),
      set: async (k: string, v: unknown) => {
        await gate;
        entries.set(k, v);
      },
      delete: async (k: string) => entries.delete(k),
    };
    ctx.server.enqueue({ text: "shared", usage: { promptTokens: 7, completionTokens: 3 } });
    const client = new LLMClient({
      provider: "openai",
      apiKey: TEST_KEY,
      baseURL: `${ctx.server.url}/v1`,
      cache: slow,
    });
    const [a, b] = await Promise.all([client.generate("q"), client.generate("q")]);
    (a.usage as { promptTokens: number }).promptTokens = 999;
    expect(b.usage).toMatchObject(USAGE);
    const c = await client.generate("q"); // from the pending write
    expect(c).toMatchObject({ cached: true, usage: USAGE });
    (c.usage as { totalTokens: number }).totalTokens = 0;
    release();
    await client.flush();
    expect((await client.generate("q")).usage).toMatchObject(USAGE);
    expect(ctx.server.requests).toHaveLength(1);
  });

  it("two coalesced streams each get their own usage", async () => {
    ctx.server.enqueue({
      chunks: ["a", "b"],
      finishReason: "stop",
      usage: { promptTokens: 7, completionTokens: 3 },
    });
    const client = new LLMClient({
      provider: "openai",
      apiKey: TEST_KEY,
      baseURL: `${ctx.server.url}/v1`,
      cache: memoryStore(),
    });
    const read = async () => {
      const out = [];
      for await (const c of client.stream("s")) out.push(c);
      return out;
    };
    const [x, y] = await Promise.all([read(), read()]);
    const lastX = x.at(-1)!;
    (lastX.usage as { promptTokens: number }).promptTokens = 999;
    expect(y.at(-1)!.usage).toMatchObject(USAGE);
    expect(ctx.server.requests).toHaveLength(1);
  });
});
