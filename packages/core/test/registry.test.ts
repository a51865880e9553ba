import { describe, expect, it } from "vitest";
import { BaseProvider, providerInfoOf } from "../src/http.js";
import {
  AuthenticationError,
  ConfigurationError,
  createProvider,
  hasProvider,
  listProviders,
  type Message,
  type ModelResponse,
  type ProviderOptions,
  registerProvider,
  type StreamChunk,
} from "../src/index.js";
import { loadSecondCopy } from "./fixtures/second-copy.js";

class EchoProvider extends BaseProvider<Message[], ModelResponse, StreamChunk> {
  constructor(settings: ProviderOptions) {
    super({
      id: "echo-test",
      defaultModel: "echo-1",
      defaultBaseURL: "http://127.0.0.1:1/v1/",
      apiKeyEnvVars: ["ECHO_TEST_API_KEY", "ECHO_ALT_KEY"],
      settings,
    });
  }
  formatMessages(messages: readonly Message[]): Message[] {
    return [...messages];
  }
  async generate(messages: readonly Message[]): Promise<ModelResponse> {
    return this.parseResponse({
      content: messages.at(-1)?.content ?? "",
      model: "echo-1",
      provider: this.name,
      cached: false,
    });
  }
  async *stream(): AsyncIterable<StreamChunk> {
    yield { content: "x", finishReason: "stop" };
  }
  parseResponse(raw: ModelResponse): ModelResponse {
    return raw;
  }
  parseStreamChunk(raw: StreamChunk): StreamChunk {
    return raw;
  }
}

describe("provider registry", () => {
  it("registers, lists and creates providers", () => {
    registerProvider("echo-test", (s) => new EchoProvider(s), {
      defaultModel: "echo-1",
      apiKeyEnvVars: ["ECHO_TEST_API_KEY"],
    });
    expect(hasProvider("echo-test")).toBe(true);
    expect(listProviders().find((p) => p.id === "echo-test")).toEqual({
      id: "echo-test",
      defaultModel: "echo-1",
      apiKeyEnvVars: ["ECHO_TEST_API_KEY"],
    });
    const p = createProvider("echo-test", { apiKey: "k-123456" });
    expect(p.name).toBe("echo-test");
    expect(p.baseURL).toBe("http://127.0.0.1:1/v1");
    expect(p.keyFingerprint).toMatch(/^[0-9a-f]{16}$/);
    expect(p.keyFingerprint).not.toContain("k-123456");
  });

  it("names the package to install by the naming convention, and lists what is registered", () => {
    try {
      createProvider("gemini");
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigurationError);
      expect((e as ConfigurationError).reason).toBe("unknown_provider");
      expect((e as Error).message).toMatch(
        /^Unknown provider "gemini"\. Install and import "@rephysco\/gemini" \(import "@rephysco\/gemini";\), or the package that provides it\. Registered providers: .*echo-test/,
      );
    }
    // Underscores are dropped: the package of "silicon_flow" is "@rephysco/siliconflow".
    expect(() => createProvider("silicon_flow")).toThrow(
      'Install and import "@rephysco/siliconflow"',
    );
    expect(() => createProvider("nope")).toThrow(/Unknown provider "nope"/);
  });

  it("guesses no package for an id that cannot be a package name", () => {
    for (const id of ["My LLM", "a/b", "toString", "constructor"]) {
      expect(() => createProvider(id)).toThrow(ConfigurationError);
    }
    expect(() => createProvider("My LLM")).toThrow(
      /^Unknown provider "My LLM"\. Import the package that provides it so that it registers itself\./,
    );
    expect(() => createProvider("a/b")).not.toThrow(/@rephysco/);
  });

  it("providerInfoOf takes the registration info from the provider's configuration", () => {
    const config = {
      id: "echo-test",
      defaultModel: "echo-1",
      defaultBaseURL: "http://127.0.0.1:1/v1/",
      apiKeyEnvVars: ["ECHO_TEST_API_KEY"],
      capabilities: { images: true },
    };
    expect(providerInfoOf(config, "@acme/echo")).toEqual({
      defaultModel: "echo-1",
      apiKeyEnvVars: ["ECHO_TEST_API_KEY"],
      baseURLEnvVars: [],
      packageName: "@acme/echo",
    });
    registerProvider("echo-info", (s) => new EchoProvider(s), providerInfoOf(config, "@acme/echo"));
    expect(listProviders().find((p) => p.id === "echo-info")).toEqual({
      id: "echo-info",
      defaultModel: "echo-1",
      apiKeyEnvVars: ["ECHO_TEST_API_KEY"],
      baseURLEnvVars: [],
      packageName: "@acme/echo",
    });
  });

  it("a missing key is an AuthenticationError naming the variables, raised before any request", () => {
    delete process.env.ECHO_TEST_API_KEY;
    delete process.env.ECHO_ALT_KEY;
    expect(() => createProvider("echo-test")).toThrow(AuthenticationError);
    expect(() => createProvider("echo-test")).toThrow(/set ECHO_TEST_API_KEY or ECHO_ALT_KEY/);
    process.env.ECHO_ALT_KEY = "from-env-key";
    try {
      expect(createProvider("echo-test").keyFingerprint).toMatch(/^[0-9a-f]{16}$/);
    } finally {
      delete process.env.ECHO_ALT_KEY;
    }
  });

  it("keeps one registry per process across copies of core", async () => {
    const other = await loadSecondCopy();
    other.registerProvider("from-other-copy", (s) => new EchoProvider(s));
    expect(hasProvider("from-other-copy")).toBe(true);
  });

  it("rejects a bad registration with a clear error", () => {
    expect(() => registerProvider("", (s) => new EchoProvider(s))).toThrow(ConfigurationError);
    // @ts-expect-error: not a function on purpose
    expect(() => registerProvider("x", 42)).toThrow(/factory must be a function/);
  });
});
