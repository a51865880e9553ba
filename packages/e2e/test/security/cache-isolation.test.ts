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
