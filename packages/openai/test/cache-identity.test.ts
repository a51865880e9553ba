import { LLMClient, memoryStore } from "@rephysco/core";
import "@rephysco/openai";
import { type OpenAICompatibleConfig, OpenAICompatibleProvider } from "@rephysco/openai/compatible";
import { createMockServer, type MockServer } from "@rephysco/testing";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { KEY } from "./helpers.js";

let server: MockServer;

beforeAll(async () => {
  server = await createMockServer();
});
afterEach(() => server.reset());
afterAll(() => server.close());

const config: OpenAICompatibleConfig = {
  id: "acme",
  defaultModel: "acme-1",
  defaultBaseURL: "https://api.acme.invalid/v1",
  apiKeyEnvVars: [],
};
const identity = (cfg: Partial<OpenAICompatibleConfig>, extraBody?: Record<string, unknown>) =>
  new OpenAICompatibleProvider(
    { ...config, ...cfg },
    { apiKey: KEY, ...(extraBody && { extraBody }) },
  ).cacheIdentity;

describe("cacheIdentity", () => {
  it('is "" without extra body fields, so plain instances keep their cache keys', () => {
    expect(identity({})).toBe("");
    expect(identity({}, {})).toBe("");
    expect(identity({}, { unset: undefined })).toBe("");
  });

  it("differs with extraBody, and ignores key order at any depth", () => {
    const a = identity({}, { enable_thinking: true, opts: { x: 1, y: [2, 3] } });
    const b = identity({}, { opts: { y: [2, 3], x: 1 }, enable_thinking: true });
    const c = identity({}, { enable_thinking: false, opts: { x: 1, y: [2, 3] } });
    const d = identity({}, { enable_thinking: true, opts: { x: 1, y: [3, 2] } });
    expect(a).not.toBe("");
    expect(a).toBe(b);
    expect(a).not.toBe(c);
    expect(a).not.toBe(d);
  });

  it("merges the config's extraBody under the settings' one, as the request does", () => {
    expect(identity({ extraBody: { a: 1, b: 1 } }, { b: 2 })).toBe(identity({}, { a: 1, b: 2 }));
    expect(identity({ extraBody: { a: 1 } })).not.toBe(identity({}));
  });

  it("keeps two clients with different extraBody from sharing cached answers", async () => {
    const store = memoryStore();
    const client = (extraBody: Record<string, unknown>) =>
      new LLMClient({
        provider: "openai",
        apiKey: KEY,
        baseURL: `${server.url}/v1`,
        settings: { extraBody },
        cache: store,
        retry: false,
      });
    server.enqueue([{ text: "thinking on" }, { text: "thinking off" }]);
    const on = client({ enable_thinking: true });
    expect((await on.generate("Hi")).content).toBe("thinking on");
    await on.flush();
    const off = client({ enable_thinking: false });
    expect((await off.generate("Hi")).content).toBe("thinking off");
    await off.flush();
    const again = await client({ enable_thinking: true }).generate("Hi");
    expect(again).toMatchObject({ content: "thinking on", cached: true });
    expect(server.requests).toHaveLength(2);
  });
});
