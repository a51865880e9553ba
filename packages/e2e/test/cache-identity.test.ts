import { LLMClient, memoryStore } from "@rephysco/core";
import "@rephysco/anthropic";
import "@rephysco/gemini";
import { describe, expect, it } from "vitest";
import { useMockServer } from "./helpers.js";

const ctx = useMockServer();

describe("provider settings that change answers are part of the cache key", () => {
  it("anthropic: a different API version or default token limit does not share answers", async () => {
    const { server } = ctx;
    const store = memoryStore();
    const make = (settings: { anthropicVersion?: string; defaultMaxTokens?: number }) =>
      new LLMClient({
        provider: "anthropic",
        apiKey: "sk-ant-test-0000000000",
        baseURL: `${server.url}/v1`,
        cache: store,
        settings,
      });
    server.enqueue([{ text: "one" }, { text: "two" }, { text: "three" }]);
    expect((await make({}).generate("same")).content).toBe("one");
    expect(await make({}).generate("same")).toMatchObject({ content: "one", cached: true });
    expect((await make({ anthropicVersion: "2099-01-01" }).generate("same")).content).toBe("two");
    expect((await make({ defaultMaxTokens: 64 }).generate("same")).content).toBe("three");
    expect(server.requests).toHaveLength(3);
  });

  it("gemini: a different API version does not share answers", async () => {
    const { server } = ctx;
    const store = memoryStore();
    const make = (apiVersion?: string) =>
      new LLMClient({
        provider: "gemini",
        apiKey: "gemini-test-key-000000",
        baseURL: server.url,
        cache: store,
        settings: apiVersion ? { apiVersion } : {},
      });
    server.enqueue([{ text: "beta" }, { text: "v1" }]);
    expect((await make().generate("same")).content).toBe("beta");
    expect(await make("v1beta").generate("same")).toMatchObject({ cached: true });
    expect((await make("v1").generate("same")).content).toBe("v1");
    expect(server.requests.map((r) => r.path.split("/")[1])).toEqual(["v1beta", "v1"]);
  });
});
