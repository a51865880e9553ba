import "@rephysco/openai";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  createGateway,
  GatewayConfigError,
  loadGatewayConfig,
  parseGatewayConfig,
} from "../src/index.js";

function error(text: string): GatewayConfigError {
  try {
    parseGatewayConfig(text, "gw.yaml");
  } catch (e) {
    expect(e).toBeInstanceOf(GatewayConfigError);
    return e as GatewayConfigError;
  }
  throw new Error("expected a GatewayConfigError");
}

describe("gateway config", () => {
  it("parses YAML and JSON", () => {
    const yaml = `
defaultProvider: openai
maxBodyBytes: 1048576
providers:
  openai:
    baseURL: http://127.0.0.1:9/v1
models:
  fast:
    provider: openai
    model: gpt-4.1-mini
    cache: true
    retries: 2
    timeoutMs: 30000
    settings: { apiKey: sk-x }
    fallbacks:
      - provider: openai
        model: gpt-4.1-nano
`;
    const c = parseGatewayConfig(yaml, "gw.yaml");
    expect(c.models?.fast).toEqual({
      provider: "openai",
      model: "gpt-4.1-mini",
      cache: true,
      retries: 2,
      timeoutMs: 30000,
      settings: { apiKey: "sk-x" },
      fallbacks: [{ provider: "openai", model: "gpt-4.1-nano" }],
    });
    const json = parseGatewayConfig(
      JSON.stringify({ models: { a: { provider: "openai" } } }, null, 2),
      "gw.json",
    );
    expect(json.models?.a?.provider).toBe("openai");
    expect(parseGatewayConfig("", "empty.yaml")).toEqual({});
  });

  it("names the line and field of an unknown field", () => {
    const e = error("models:\n  fast:\n    provider: openai\n    retrys: 2\n");
    expect(e.line).toBe(4);
    expect(e.field).toBe("models.fast.retrys");
    expect(e.path).toBe("gw.yaml");
    expect(e.message).toMatch(/^gw\.yaml:4: models\.fast\.retrys: unknown field/);
  });

  it("names the line and field of a value of the wrong type", () => {
    expect(error("models:\n  fast:\n    provider: openai\n    retries: many\n")).toMatchObject({
      line: 4,
      field: "models.fast.retries",
    });
    expect(error("maxBodyBytes: -1\n")).toMatchObject({ line: 1, field: "maxBodyBytes" });
    expect(
      error("models:\n  a:\n    provider: openai\n    fallbacks:\n      - provider: nope\n"),
    ).toMatchObject({ line: 5, field: "models.a.fallbacks[0].provider" });
    const json = error(
      '{\n  "models": {\n    "a": { "provider": "openai", "cache": "yes" }\n  }\n}',
    );
    expect(json).toMatchObject({ line: 3, field: "models.a.cache" });
  });

  it("refuses unregistered providers, naming the package to import", () => {
    const e = error("defaultProvider: gemini\n");
    expect(e.field).toBe("defaultProvider");
    expect(e.message).toContain("@rephysco/gemini");
    expect(error("models:\n  x:\n    model: m\n")).toMatchObject({ field: "models.x" });
  });

  it("reports syntax errors with their line", () => {
    const e = error("models:\n  fast: [\n");
    expect(e.line).toBeGreaterThanOrEqual(2);
    expect(e.message).toMatch(/^gw\.yaml:\d+: invalid YAML/);
  });

  it("loads a file, and names it when it cannot be read", async () => {
    const dir = mkdtempSync(join(tmpdir(), "gw-config-"));
    const file = join(dir, "gw.yaml");
    writeFileSync(file, "models:\n  a:\n    provider: openai\n    model: m\n");
    expect((await loadGatewayConfig(file)).models?.a?.model).toBe("m");
    await expect(loadGatewayConfig(join(dir, "missing.yaml"))).rejects.toThrow(GatewayConfigError);
  });

  it("validates a config given in code too", async () => {
    await expect(
      createGateway({ models: { a: { provider: "openai", retries: -1 } } }),
    ).rejects.toMatchObject({ name: "GatewayConfigError", field: "models.a.retries" });
  });
});

describe("gateway config: keys, redis, limits, metrics, otel, prices, drain", () => {
  it("parses every section and resolves keys.file against the config file", () => {
    const c = parseGatewayConfig(
      `
drainTimeoutMs: 5000
keys: { file: ./keys.json, shareCache: false }
redis: { url: "redis://127.0.0.1:6379/0", prefix: "gw:" }
limits:
  onLimit: wait
  maxWaitMs: 1000
  rateLimits: [{ requests: 10, per: model }]
  budgets: [{ name: daily, usd: 5, period: day }]
metrics: { enabled: true, bearerToken: "0123456789abcdef", processMetrics: false }
otel: { captureContent: false }
prices: { openai: { my-model: { input: 1, output: 2 } } }
`,
      "/etc/rephysco/gw.yaml",
    );
    expect(c.keys).toEqual({ file: "/etc/rephysco/keys.json", shareCache: false });
    expect(c.redis?.prefix).toBe("gw:");
    expect(c.limits?.rateLimits?.[0]?.requests).toBe(10);
    expect(c.metrics?.processMetrics).toBe(false);
    expect(c.prices?.openai?.["my-model"]?.output).toBe(2);
  });

  it("names the line and field of each bad value", () => {
    const cases: [string, RegExp][] = [
      ["drainTimeoutMs: -1\n", /gw\.yaml:1: drainTimeoutMs: must be an integer from 0/],
      ["keys: { file: 3 }\n", /keys\.file: must be a file path/],
      ["keys: { share: true }\n", /keys\.share: unknown field/],
      ["redis: { url: http://x }\n", /redis\.url: must be a redis:\/\/ or rediss:\/\/ URL/],
      ["limits: { rateLimit: [] }\n", /limits\.rateLimit: unknown field/],
      [
        "metrics: { bearerToken: short }\n",
        /metrics\.bearerToken: must be a string of at least 16/,
      ],
      ["metrics: { enabled: yes please }\n", /metrics\.enabled: must be true or false/],
      ["otel: { content: true }\n", /otel\.content: unknown field/],
      [
        "prices: { openai: { m: { input: x } } }\n",
        /prices: .*input must be a non-negative number/,
      ],
    ];
    for (const [text, re] of cases) expect(error(text).message, text).toMatch(re);
  });

  it("stops the start on an invalid limits rule, naming limits", async () => {
    await expect(createGateway({ limits: { rateLimits: [{ requests: 0 }] } })).rejects.toThrow(
      /limits: .*positive integer/,
    );
  });
});
