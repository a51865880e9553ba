import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { MockServer } from "@rephysco/testing";
import { describe, expect, it } from "vitest";
import { runBin, tempDir, useMockServer } from "./run-bin.js";

let server: MockServer;
let base: string[];
const KEY = { OPENAI_API_KEY: "test-key" };

useMockServer((started) => {
  server = started;
  base = ["--base-url", `${server.url}/v1`, "--retries", "0"];
});

/** A schema OpenAI takes in strict mode: closed, every property required. */
const CITY = {
  type: "object",
  properties: {
    name: { type: "string" },
    population: { type: "integer" },
    sights: { type: "array", items: { type: "string" } },
  },
  required: ["name", "population", "sights"],
  additionalProperties: false,
};
const PARIS = { name: "Paris", population: 2102650, sights: ["Louvre", "Eiffel Tower"] };
const PRETTY_PARIS = `${JSON.stringify(PARIS, null, 2)}\n`;

interface ObjectBody {
  stream?: boolean;
  messages: { role: string; content: unknown }[];
  response_format?: {
    type: string;
    json_schema?: { name: string; schema: unknown; strict?: boolean };
  };
}

function body(i = 0): ObjectBody {
  return server.requests[i]!.body as ObjectBody;
}

function schemaFile(text: string, name = "city.schema.json"): string {
  const file = join(tempDir(), name);
  writeFileSync(file, text);
  return file;
}

/** Any C0 or C1 control character but line feed: ESC, BEL, CR, CSI... */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding terminal controls is the point
const CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/;

describe("generate --schema", () => {
  it("streams the answer and prints only the validated object, as pretty JSON", async () => {
    const text = JSON.stringify(PARIS);
    server.enqueue({ chunks: [text.slice(0, 9), text.slice(9, 30), text.slice(30)] });
    const r = await runBin(
      ["generate", "Describe Paris", "--schema", JSON.stringify(CITY), ...base],
      {
        env: KEY,
      },
    );
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(PRETTY_PARIS);
    expect(r.stderr).toBe("");
    expect(server.requests).toHaveLength(1);
    expect(body().stream).toBe(true);
    expect(body().messages).toEqual([{ role: "user", content: "Describe Paris" }]);
    expect(body().response_format).toEqual({
      type: "json_schema",
      json_schema: { name: "response", schema: CITY, strict: true },
    });
  });

  it("reads the schema from a file, and waits for the whole answer with --no-stream", async () => {
    // Pretty-printed, with the byte order mark some editors write and a $schema marker.
    const file = schemaFile(
      `\uFEFF${JSON.stringify({ $schema: "https://json-schema.org/draft/2020-12/schema", ...CITY }, null, 2)}\n`,
    );
    server.enqueue({ text: JSON.stringify(PARIS) });
    const r = await runBin(
      ["generate", "Describe Paris", "--schema", file, "--no-stream", ...base],
      {
        env: KEY,
      },
    );
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(PRETTY_PARIS);
    expect(r.stderr).toBe("");
    expect(body().stream).not.toBe(true);
    // The $schema marker means nothing to providers: it is not sent.
    expect(body().response_format).toEqual({
      type: "json_schema",
      json_schema: { name: "response", schema: CITY, strict: true },
    });
  });

  it("sends a schema strict mode cannot take with strict false, and still checks the answer", async () => {
    const loose = { type: "object", properties: { name: { type: "string" } } };
    server.enqueue({ text: '{"name":"Oslo"}' });
    const r = await runBin(["generate", "A city", "--schema", JSON.stringify(loose), ...base], {
      env: KEY,
    });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('{\n  "name": "Oslo"\n}\n');
    expect(body().response_format).toEqual({
      type: "json_schema",
      json_schema: { name: "response", schema: loose, strict: false },
    });
  });

  it("prints the response with its object under --json", async () => {
    server.enqueue({
      text: JSON.stringify(PARIS),
      usage: { promptTokens: 9, completionTokens: 20 },
    });
    const r = await runBin(
      ["generate", "Describe Paris", "--schema", JSON.stringify(CITY), "--json", ...base],
      { env: KEY },
    );
    expect(r.code).toBe(0);
    const json = JSON.parse(r.stdout);
    expect(json).toMatchObject({
      object: PARIS,
      content: JSON.stringify(PARIS),
      provider: "openai",
      finishReason: "stop",
      cached: false,
      usage: { promptTokens: 9, completionTokens: 20 },
    });
    expect(json).not.toHaveProperty("raw");
  });

  it("passes the system prompt and the other options along with the schema", async () => {
    server.enqueue({ text: JSON.stringify(PARIS) });
    const r = await runBin(
      [
        "generate",
        "Describe Paris",
        "--schema",
        JSON.stringify(CITY),
        "-s",
        "Be exact.",
        "-t",
        "0",
        "-m",
        "gpt-4o-mini",
        ...base,
      ],
      { env: KEY },
    );
    expect(r.code).toBe(0);
    expect(body()).toMatchObject({
      model: "gpt-4o-mini",
      temperature: 0,
      messages: [
        { role: "system", content: "Be exact." },
        { role: "user", content: "Describe Paris" },
      ],
    });
  });

  it("shows reasoning on stderr with --show-reasoning --no-stream, the object alone on stdout", async () => {
    server.enqueue({ reasoning: "Paris, then its sights.", text: JSON.stringify(PARIS) });
    const r = await runBin(
      [
        "generate",
        "Describe Paris",
        "--schema",
        JSON.stringify(CITY),
        "--no-stream",
        "--show-reasoning",
        "-p",
        "siliconflow",
        "-m",
        "deepseek-ai/DeepSeek-R1",
        ...base,
      ],
      { env: { SILICONFLOW_API_KEY: "test-key" } },
    );
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(PRETTY_PARIS);
    expect(r.stderr).toBe("> Paris, then its sights.\n");
  });

  it("answers a repeated schema request from the cache, and a different schema is a new request", async () => {
    const env = { ...KEY, REPHYSCO_CACHE_DIR: join(tempDir(), "cache") };
    const args = ["generate", "Describe Paris", "--cache", "--no-stream", ...base];
    server.enqueue([{ text: JSON.stringify(PARIS) }, { text: '{"name":"Paris"}' }]);
    const first = await runBin([...args, "--schema", JSON.stringify(CITY)], { env });
    const second = await runBin([...args, "--schema", JSON.stringify(CITY)], { env });
    const other = await runBin(
      [...args, "--schema", '{"type":"object","properties":{"name":{"type":"string"}}}'],
      { env },
    );
    expect([first.code, second.code, other.code]).toEqual([0, 0, 0]);
    expect(first.stdout).toBe(PRETTY_PARIS);
    expect(second.stdout).toBe(PRETTY_PARIS);
    expect(other.stdout).toBe('{\n  "name": "Paris"\n}\n');
    expect(server.requests).toHaveLength(2);
  });
});

describe("generate --schema, answers that are not the object asked for", () => {
  it("an answer that fails the schema: exit 1, what is wrong and the raw answer, nothing on stdout", async () => {
    server.enqueue({ chunks: ['{"name": 42, "population": 3', '.5, "sights": []}'] });
    const r = await runBin(
      ["generate", "Describe Paris", "--schema", JSON.stringify(CITY), ...base],
      {
        env: KEY,
      },
    );
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    const lines = r.stderr.trim().split("\n");
    expect(lines).toHaveLength(1);
    // Every problem, each where it is, one after the other.
    expect(lines[0]).toMatch(
      /^error: openai: the answer does not match the schema: name: Instance type "number" is invalid\. Expected "string"; population: .*"integer" \(invalid_object\)\./,
    );
    expect(lines[0]).toContain("(invalid_object)");
    expect(lines[0]).toContain('The model answered: {"name": 42, "population": 3.5, "sights": []}');
  });

  it("an answer that is not JSON (exit 1, without streaming too)", async () => {
    server.enqueue({ text: "Sure! Paris is lovely." });
    const r = await runBin(
      ["generate", "Describe Paris", "--schema", JSON.stringify(CITY), "--no-stream", ...base],
      { env: KEY },
    );
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toMatch(/^error: openai: the answer is not valid JSON/);
    expect(r.stderr).toContain("The model answered: Sure! Paris is lovely.");
  });

  it("scrubs the raw answer: no escape sequences, one line, cut at 500 characters", async () => {
    const hostile = `\u001b]0;pwned\u0007not\u001b[2J\r\njson ${"x".repeat(5000)}`;
    server.enqueue({ text: hostile });
    const r = await runBin(["generate", "hi", "--schema", JSON.stringify(CITY), ...base], {
      env: KEY,
    });
    expect(r.code).toBe(1);
    expect(r.stderr).not.toMatch(CONTROL);
    expect(r.stderr).not.toContain("pwned");
    const lines = r.stderr.trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain("The model answered: not json xxx");
    expect(lines[0]).toMatch(/x…$/);
    expect(lines[0]!.length).toBeLessThan(1200);
  });

  it("a refusal: exit 1 with the model's words, quoted once", async () => {
    server.enqueue({ refusal: "I can't help with that." });
    const r = await runBin(["generate", "hi", "--schema", JSON.stringify(CITY), ...base], {
      env: KEY,
    });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(/^error: openai: the model refused to answer: I can't help with that/);
    expect(r.stderr.split("I can't help with that")).toHaveLength(2);
    expect(r.stderr).not.toContain("The model answered");
  });

  it("a schema that cannot be applied to the answer is a usage error naming it", async () => {
    const broken = {
      type: "object",
      properties: { a: { $ref: "#/$defs/missing" } },
    };
    server.enqueue({ text: '{"a": 1}' });
    const r = await runBin(["generate", "hi", "--schema", JSON.stringify(broken), ...base], {
      env: KEY,
    });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(
      /^error: --schema cannot be used to check the answer: .*\$defs\/missing/,
    );
  });
});

describe("generate --schema usage errors (exit 2, nothing sent)", () => {
  const cases: Array<[string, () => string[], RegExp]> = [
    [
      "a missing schema file",
      () => ["--schema", "/no/such/schema.json"],
      /^error: Cannot read schema file "\/no\/such\/schema\.json": no such file\. Pass the path of a JSON Schema file, or the schema itself as inline JSON/,
    ],
    [
      "a directory",
      () => {
        const dir = join(tempDir(), "schemas");
        mkdirSync(dir);
        return ["--schema", dir];
      },
      /^error: Cannot read schema file ".*schemas": it is a directory/,
    ],
    [
      "a device",
      () => ["--schema", "/dev/zero"],
      /^error: Cannot read schema file "\/dev\/zero": it is a character device/,
    ],
    [
      "a file over 1 MiB",
      () => ["--schema", schemaFile(`{"type":"object"}${" ".repeat(1024 * 1024)}`)],
      /it is 1048593 bytes, above the limit of 1 MiB/,
    ],
    [
      "a file that is not JSON",
      () => ["--schema", schemaFile("type: object\n", "city.yaml")],
      /^error: Schema file ".*city\.yaml" is not valid JSON: .*Pass the path of a JSON Schema file/,
    ],
    [
      "inline JSON that does not parse",
      () => ["--schema", '{"type": "object",'],
      /^error: --schema is not valid JSON: /,
    ],
    [
      "a schema whose root is not an object schema",
      () => ["--schema", '{"type":"array","items":{"type":"string"}}'],
      /^error: --schema must describe a JSON object: its root needs "type": "object" .*got "type": "array"/,
    ],
    [
      "a schema without a type",
      () => ["--schema", schemaFile('{"properties":{}}')],
      /^error: Schema file ".*" must describe a JSON object: .*got no type/,
    ],
    [
      "a file holding JSON that is not an object",
      () => ["--schema", schemaFile("[1, 2]")],
      /^error: Schema file ".*" must be a JSON Schema object; got an array/,
    ],
    ["an empty value", () => ["--schema", ""], /^error: --schema is empty/],
    [
      "--show-reasoning while streaming an object",
      () => ["--schema", JSON.stringify(CITY), "--show-reasoning"],
      /^error: --show-reasoning with --schema needs --no-stream/,
    ],
    ["a missing value", () => ["--schema"], /argument missing/],
  ];

  it.each(cases)("%s", async (_name, make, message) => {
    const r = await runBin(["generate", "hi", ...base, ...make()], { env: KEY });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(message);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(server.requests).toHaveLength(0);
  });

  it("reports a bad schema when the prompt comes from stdin", async () => {
    const r = await runBin(["generate", "--schema", "{nope", ...base], {
      env: KEY,
      input: "Describe Paris\n",
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error: --schema is not valid JSON/);
    expect(server.requests).toHaveLength(0);
  });

  it("--help lists --schema", async () => {
    const r = await runBin(["generate", "--help"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/--schema <file\|json>/);
  });
});
