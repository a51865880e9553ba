import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { MockServer } from "@rephysco/testing";
import { describe, expect, it } from "vitest";
import { runBin, tempDir, useMockServer, type WireBody } from "./run-bin.js";

let server: MockServer;
let base: string[];

useMockServer((started) => {
  server = started;
  base = ["--base-url", `${server.url}/v1`];
});

/** A user with these templates (name → YAML) and settings. */
function user(templates: Record<string, string>, settings: object = {}): Record<string, string> {
  const dir = tempDir("rephysco-user-");
  const config = join(dir, "config");
  mkdirSync(join(config, "templates"), { recursive: true });
  for (const [name, yaml] of Object.entries(templates)) {
    writeFileSync(join(config, "templates", `${name}.yaml`), yaml);
  }
  writeFileSync(join(config, "settings.json"), JSON.stringify(settings));
  return {
    OPENAI_API_KEY: "sk-openai-000000",
    REPHYSCO_CONFIG_DIR: config,
    REPHYSCO_DATA_DIR: join(dir, "data"),
  };
}

const TRANSLATE = `description: Translate text
system: You translate into $lang.
prompt: |-
  Translate into $lang, keeping the tone:

  $input
model: gpt-4.1-nano
temperature: 0.1
maxTokens: 300
defaults:
  lang: French
`;

function body(i = 0): WireBody {
  return server.requests[i]!.body as WireBody;
}

describe("generate --template", () => {
  it("sends the template's system prompt, model and options, with $input and parameters filled", async () => {
    const env = user({ translate: TRANSLATE });
    server.enqueue({ text: "Bonjour" });
    const r = await runBin(["generate", "--template", "translate", "Hello", ...base], { env });
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe("Bonjour\n");
    expect(body()).toMatchObject({
      model: "gpt-4.1-nano",
      temperature: 0.1,
      max_tokens: 300,
      messages: [
        { role: "system", content: "You translate into French." },
        { role: "user", content: "Translate into French, keeping the tone:\n\nHello" },
      ],
    });
    const logs = await runBin(["logs", "--json"], { env });
    expect(JSON.parse(logs.stdout)[0]).toMatchObject({
      template: "translate",
      model: "gpt-4.1-nano",
    });
  });

  it("takes --param key value (two words, spaces and = allowed) and the input from stdin", async () => {
    const env = user({ translate: TRANSLATE });
    server.enqueue({ text: "Hallo" });
    const r = await runBin(
      [
        "generate",
        "--template",
        "translate",
        "--param",
        "lang",
        "Swiss German = Schwiizerdütsch",
        ...base,
      ],
      { env, input: "Hello\n" },
    );
    expect(r.code).toBe(0);
    expect(body().messages[1]!.content).toBe(
      "Translate into Swiss German = Schwiizerdütsch, keeping the tone:\n\nHello",
    );
  });

  it("lets -m, -t, --max-tokens and -s win over the template; an alias in the template resolves", async () => {
    const env = user(
      { translate: TRANSLATE.replace("model: gpt-4.1-nano", "model: cheap") },
      { aliases: { cheap: "openai/gpt-4o-mini" } },
    );
    server.enqueue([{ text: "a" }, { text: "b" }]);
    await runBin(["generate", "--template", "translate", "x", ...base], { env });
    expect(body(0).model).toBe("gpt-4o-mini");
    await runBin(
      [
        "generate",
        "--template",
        "translate",
        "-m",
        "gpt-4o",
        "-t",
        "0.9",
        "--max-tokens",
        "5",
        "-s",
        "Mine.",
        "x",
        ...base,
      ],
      { env },
    );
    expect(body(1)).toMatchObject({ model: "gpt-4o", temperature: 0.9, max_tokens: 5 });
    expect(body(1).messages[0]).toEqual({ role: "system", content: "Mine." });
  });

  it("puts the template's model over the default model, and -m over both", async () => {
    const env = user({ translate: TRANSLATE }, { defaultModel: "openai/gpt-4o" });
    server.enqueue([{ text: "a" }, { text: "b" }, { text: "c" }]);
    await runBin(["generate", "--template", "translate", "x", ...base], { env });
    expect(body(0).model).toBe("gpt-4.1-nano");
    await runBin(["generate", "plain", ...base], { env });
    expect(body(1).model).toBe("gpt-4o");
    await runBin(["generate", "--template", "translate", "-m", "gpt-4.1", "x", ...base], { env });
    expect(body(2).model).toBe("gpt-4.1");
  });

  it("uses the template's prompt alone when it has no $input and none is given", async () => {
    const env = user({ joke: "prompt: Tell a joke about $topic.\n" });
    server.enqueue({ text: "ha" });
    const r = await runBin(
      ["generate", "--template", "joke", "--param", "topic", "cats", ...base],
      {
        env,
      },
    );
    expect(r.code).toBe(0);
    expect(body().messages).toEqual([{ role: "user", content: "Tell a joke about cats." }]);
  });

  it("answers with a validated object when the template has a schema", async () => {
    const env = user({
      city: `prompt: Describe $input
schema:
  type: object
  properties:
    name: { type: string }
  required: [name]
`,
    });
    server.enqueue({ text: '{"name":"Paris"}' });
    const r = await runBin(["generate", "--template", "city", "Paris", "--no-stream", ...base], {
      env,
    });
    expect(r.stderr).toBe("");
    expect(JSON.parse(r.stdout)).toEqual({ name: "Paris" });
    const logs = JSON.parse((await runBin(["logs", "--json"], { env })).stdout);
    expect(logs[0].object).toEqual({ name: "Paris" });
  });

  it("refuses what cannot be filled in, before any request", async () => {
    const env = user({ translate: TRANSLATE.replace(/defaults:\n {2}lang: French\n/, "") });
    const missing = await runBin(["generate", "--template", "translate", "x", ...base], { env });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/needs --param lang <value>/);
    const unknown = await runBin(
      [
        "generate",
        "--template",
        "translate",
        "--param",
        "lang",
        "de",
        "--param",
        "tone",
        "dry",
        "x",
        ...base,
      ],
      { env },
    );
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/has no parameter tone/);
    const orphan = await runBin(["generate", "--param", "lang", "de", "x", ...base], { env });
    expect(orphan.code).toBe(2);
    expect(orphan.stderr).toMatch(/--param needs --template/);
    const none = await runBin(["generate", "--template", "nope", "x", ...base], { env });
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/no template named nope/);
    expect(server.requests).toHaveLength(0);
  });
});

describe("chat --template", () => {
  it("fills the template's prompt with every line and keeps its system prompt", async () => {
    const env = user({ translate: TRANSLATE });
    server.enqueue([{ text: "Bonjour" }, { text: "Merci" }]);
    const r = await runBin(["chat", "--template", "translate", ...base], {
      env,
      input: "Hello\nThanks\n",
    });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("Bonjour\nMerci\n");
    expect(body(1).messages).toEqual([
      { role: "system", content: "You translate into French." },
      { role: "user", content: "Translate into French, keeping the tone:\n\nHello" },
      { role: "assistant", content: "Bonjour" },
      { role: "user", content: "Translate into French, keeping the tone:\n\nThanks" },
    ]);
  });

  it("refuses a template with a schema", async () => {
    const env = user({ obj: "prompt: x\nschema: { type: object }\n" });
    const r = await runBin(["chat", "--template", "obj", ...base], { env, input: "hi\n" });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/use it with rephysco generate/);
  });
});
