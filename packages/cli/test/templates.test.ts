// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${name} is template syntax under test
import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { expandParamArgs, parseParamOption } from "../src/param-args.js";
import {
  applyTemplate,
  parseTemplate,
  type Template,
  templateParameters,
  usesInput,
} from "../src/store/templates.js";
import { UsageError } from "../src/usage-error.js";
import { ANSI, removeTempDirs, runBin, tempDir } from "./run-bin.js";

afterAll(() => removeTempDirs());

const PATH = "/cfg/templates/t.yaml";

function parse(text: string, name = "t"): Template {
  return parseTemplate(text, name, PATH);
}

/** The UsageError `fn` throws (fails the test when it throws nothing or something else). */
function usageError(fn: () => unknown): UsageError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    return error as UsageError;
  }
  throw new Error("expected a UsageError");
}

describe("parseTemplate", () => {
  it("names the field of a YAML alias bomb instead of expanding it", () => {
    const text = [
      "prompt: hi",
      "defaults:",
      "  x: &a [x, x, x, x, x, x, x, x, x, x]",
      "  y: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]",
      "  z: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]",
      "  w: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]",
      "  v: [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]",
    ].join("\n");
    const error = usageError(() => parse(text));
    expect(error.message).toMatch(
      /^\/cfg\/templates\/t\.yaml:3: "defaults" cannot be read: .*alias/i,
    );
  });

  it("refuses control characters in the model", () => {
    const error = usageError(() => parse('prompt: hi\nmodel: "gpt\\u001b[2J"'));
    expect(error.message).toMatch(
      /"model" must be a model name without spaces or control characters/,
    );
  });

  it("reads every field", () => {
    const t = parse(
      [
        "description: Summaries",
        "system: You write in $lang.",
        "prompt: |",
        "  Summarize:",
        "",
        "  $input",
        "model: openai/gpt-4.1-mini",
        "temperature: 0.2",
        "maxTokens: 300",
        "schema:",
        "  type: object",
        "  properties: { summary: { type: string } }",
        "defaults:",
        "  lang: English",
        "",
      ].join("\n"),
    );
    expect(t).toEqual({
      name: "t",
      description: "Summaries",
      system: "You write in $lang.",
      prompt: "Summarize:\n\n$input\n",
      model: "openai/gpt-4.1-mini",
      temperature: 0.2,
      maxTokens: 300,
      schema: { type: "object", properties: { summary: { type: "string" } } },
      defaults: { lang: "English" },
    });
  });

  it("names the file, the line and the field of an unknown field", () => {
    const e = usageError(() => parse("system: hi\n\ntemprature: 0.3\n"));
    expect(e.message).toMatch(/^\/cfg\/templates\/t\.yaml:3: unknown field "temprature"/);
    expect(e.message).toContain("temperature");
  });

  it.each([
    [
      "system: hi\ntemperature: hot\n",
      2,
      /"temperature" must be a number >= 0; got the text "hot"/,
    ],
    ["system: hi\ntemperature: -1\n", 2, /"temperature" must be a number >= 0/],
    ["system: hi\nmaxTokens: 1.5\n", 2, /"maxTokens" must be a whole number >= 1/],
    ["system: hi\nmaxTokens: 0\n", 2, /"maxTokens" must be a whole number >= 1/],
    ["prompt: [a, b]\n", 1, /"prompt" must be text; got a list/],
    ["system:\n", 1, /"system" must be text; got nothing/],
    ["system: hi\nmodel: a b\n", 2, /"model" must be a model name without spaces/],
    ["system: hi\nschema: [1]\n", 2, /"schema" must be a JSON Schema mapping/],
    ["system: hi\n\nschema:\n  type: array\n", 4, /"schema" must describe a JSON object/],
    ["system: hi\ndefaults: x\n", 2, /"defaults" must be a mapping/],
    ["system: $lang\ndefaults:\n  lang: 3\n", 3, /"defaults\.lang" must be text; got number 3/],
    ["system: hi\ndefaults:\n  lang: x\n", 3, /"defaults\.lang": the template does not use \$lang/],
    ["prompt: $input\ndefaults:\n  input: x\n", 3, /"defaults" cannot set input/],
    ["description: d\nmodel: m\n", 1, /needs "system" or "prompt"/],
    ["prompt: hi\nsystem: use $input\n", 2, /"system" cannot use \$input/],
    ["prompt: 'a ${oops'\n", 1, /"prompt": "\$\{" has no closing "\}"/],
    ["prompt: 'a ${1x}'\n", 1, /"\$\{1x\}" is not a parameter/],
    ["- a\n- b\n", 1, /must be a mapping of fields/],
  ])("rejects %j at line %i", (text, line, message) => {
    const e = usageError(() => parse(text));
    expect(e.message.startsWith(`${PATH}:${line}: `)).toBe(true);
    expect(e.message).toMatch(message);
  });

  it("gives line and column of a YAML syntax error", () => {
    const e = usageError(() => parse("system: hi\nprompt: x: y\n"));
    expect(e.message).toBe(
      "/cfg/templates/t.yaml:2:9: not valid YAML: Nested mappings are not allowed in compact mappings",
    );
  });

  it("rejects duplicate fields and an empty file", () => {
    expect(usageError(() => parse("system: a\nsystem: b\n")).message).toMatch(
      /^\/cfg\/templates\/t\.yaml:2:1: not valid YAML: Map keys must be unique/,
    );
    expect(usageError(() => parse("# only a comment\n")).message).toMatch(/empty/);
  });
});

describe("applyTemplate", () => {
  const summarize = parse(
    "system: Answer in $lang.\nprompt: 'Summarize for ${who}: $input'\ndefaults: { lang: English }\n",
    "summarize",
  );

  it("substitutes $input, $name and ${name}, defaults in the system prompt too", () => {
    expect(applyTemplate(summarize, { input: "TEXT", params: { who: "kids" } })).toEqual({
      prompt: "Summarize for kids: TEXT",
      system: "Answer in English.",
    });
    expect(
      applyTemplate(summarize, { input: "T", params: { who: "me", lang: "French" } }).system,
    ).toBe("Answer in French.");
  });

  it("substitutes in one pass: a value holding $x stays as it is", () => {
    const r = applyTemplate(summarize, {
      input: "costs $who and $input",
      params: { who: "$lang" },
    });
    expect(r.prompt).toBe("Summarize for $lang: costs $who and $input");
  });

  it("keeps $$ and a $ not followed by a name as a literal $", () => {
    const t = parse("prompt: 'Price: $$5, $5, 100$ and $$name'\n");
    expect(applyTemplate(t, { params: {} }).prompt).toBe("Price: $5, $5, 100$ and $name");
    expect(templateParameters(t)).toEqual([]);
  });

  it("appends the input after a blank line when the prompt has no $input", () => {
    const t = parse("prompt: Translate to $lang.\n");
    expect(usesInput(t)).toBe(false);
    expect(applyTemplate(t, { input: "Hallo", params: { lang: "English" } }).prompt).toBe(
      "Translate to English.\n\nHallo",
    );
    expect(applyTemplate(t, { params: { lang: "English" } }).prompt).toBe("Translate to English.");
  });

  it("uses the input as the prompt when the template has none", () => {
    const t = parse("system: Be terse.\nmodel: fast\ntemperature: 0\nmaxTokens: 9\n");
    expect(applyTemplate(t, { input: "hi", params: {} })).toEqual({
      prompt: "hi",
      system: "Be terse.",
      model: "fast",
      temperature: 0,
      maxTokens: 9,
    });
    expect(applyTemplate(t, { params: {} }).prompt).toBeUndefined();
  });

  it("passes the schema on", () => {
    const t = parse("prompt: hi\nschema: { type: object }\n");
    expect(applyTemplate(t, { params: {} }).schema).toEqual({ type: "object" });
  });

  it("names a parameter that has no value", () => {
    const e = usageError(() => applyTemplate(summarize, { input: "x", params: {} }));
    expect(e.message).toBe("template summarize needs --param who <value>");
  });

  it("lists the parameters used when given one the template does not use", () => {
    const e = usageError(() =>
      applyTemplate(summarize, { input: "x", params: { who: "a", tone: "dry" } }),
    );
    expect(e.message).toMatch(
      /template summarize has no parameter tone; it uses --param lang, --param who/,
    );
  });

  it("needs the input when the prompt uses $input", () => {
    const e = usageError(() => applyTemplate(summarize, { params: { who: "a" } }));
    expect(e.message).toMatch(/template summarize uses \$input/);
  });
});

describe("expandParamArgs", () => {
  it("joins --param key value into one word, values with = and spaces and dashes", () => {
    expect(
      expandParamArgs(["generate", "--param", "lang", "a = b c", "-p", "x", "--param", "n", "-5"]),
    ).toEqual(["generate", "--param=lang=a = b c", "-p", "x", "--param=n=-5"]);
  });

  it("leaves words after a lone -- alone", () => {
    expect(expandParamArgs(["gen", "--", "--param", "a"])).toEqual(["gen", "--", "--param", "a"]);
  });

  it("keeps --param=key=value as it is", () => {
    expect(expandParamArgs(["gen", "--param=a=b"])).toEqual(["gen", "--param=a=b"]);
  });

  it.each([
    [["gen", "--param"], /--param needs a key and a value/],
    [["gen", "--param", "--"], /--param needs a key and a value/],
    [["gen", "--param", "lang"], /--param lang needs a value/],
    [["gen", "--param", "lang", "--", "x"], /--param lang needs a value/],
    [["gen", "--param", "lang=fr", "x"], /takes two words/],
  ])("rejects %j", (argv, message) => {
    expect(usageError(() => expandParamArgs(argv)).message).toMatch(message);
  });

  it("round-trips through parseParamOption, splitting at the first =", () => {
    const words = expandParamArgs(["--param", "a", "x=y=z", "--param", "b", ""]);
    const params = words.reduce<Record<string, string>>(
      (acc, w) => parseParamOption(w.slice("--param=".length), acc),
      {},
    );
    expect(params).toEqual({ a: "x=y=z", b: "" });
  });

  it("parseParamOption rejects bad names, input, and a key given twice", () => {
    expect(usageError(() => parseParamOption("1a=x")).message).toMatch(/not a parameter name/);
    expect(usageError(() => parseParamOption("input=x")).message).toMatch(/--param input/);
    expect(usageError(() => parseParamOption("a=2", { a: "1" })).message).toMatch(/given twice/);
    expect(usageError(() => parseParamOption("novalue")).message).toMatch(/key and a value/);
  });
});

/** A config dir and an editor script that writes $CONTENT into its file argument. */
function setup(): { config: string; env: Record<string, string> } {
  const config = tempDir("rephysco-config-");
  const bin = tempDir("rephysco-editor-");
  const editor = join(bin, "fake-editor");
  writeFileSync(editor, '#!/bin/sh\nprintf "%s" "$CONTENT" > "$1"\n');
  chmodSync(editor, 0o755);
  return { config, env: { REPHYSCO_CONFIG_DIR: config, EDITOR: editor } };
}

const SUMMARIZE = "description: Summaries\nprompt: 'Summarize in $lang: $input'\n";

describe("rephysco templates", () => {
  it("edit creates a private template, list/show/path/delete work", async () => {
    const { config, env } = setup();
    const edit = await runBin(["templates", "edit", "summarize"], {
      env: { ...env, CONTENT: SUMMARIZE },
    });
    expect(edit.stderr).toBe("Template summarize created.\n");
    expect(edit.code).toBe(0);
    const file = join(config, "templates", "summarize.yaml");
    expect(readFileSync(file, "utf8")).toBe(SUMMARIZE);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(join(config, "templates")).mode & 0o777).toBe(0o700);

    writeFileSync(join(config, "templates", "terse.yaml"), "system: |\n  Be terse.\n  Really.\n");
    writeFileSync(join(config, "templates", "notes.txt"), "ignored");
    const list = await runBin(["templates", "list"], { env });
    expect(list.code).toBe(0);
    expect(list.stdout).toBe("summarize  Summaries\nterse      Be terse.\n");
    expect(list.stdout).not.toMatch(ANSI);

    const show = await runBin(["templates", "show", "summarize"], { env });
    expect(show).toMatchObject({ code: 0, stdout: SUMMARIZE, stderr: "" });

    const path = await runBin(["templates", "path"], { env });
    expect(path.stdout).toBe(`${join(config, "templates")}\n`);

    const del = await runBin(["templates", "delete", "terse"], { env });
    expect(del).toMatchObject({ code: 0, stderr: "Template terse deleted.\n" });
    expect((await runBin(["templates"], { env })).stdout).toBe("summarize  Summaries\n");
  });

  it("edit runs $VISUAL (before $EDITOR) through the shell, with its arguments", async () => {
    const { config, env } = setup();
    const dir = tempDir("rephysco editor with spaces-");
    const editor = join(dir, "args-editor");
    // Records its arguments, then writes $CONTENT into the last one.
    writeFileSync(
      editor,
      `#!/bin/sh\nprintf '%s\\n' "$@" > "${join(dir, "args")}"\nfor f; do :; done\nprintf "%s" "$CONTENT" > "$f"\n`,
    );
    chmodSync(editor, 0o755);
    const r = await runBin(["templates", "edit", "a.b-c_d"], {
      env: { ...env, VISUAL: `'${editor}' --wait`, EDITOR: "false", CONTENT: "system: hi\n" },
    });
    expect(r).toMatchObject({ code: 0, stderr: "Template a.b-c_d created.\n" });
    const file = join(config, "templates", "a.b-c_d.yaml");
    expect(readFileSync(join(dir, "args"), "utf8")).toBe(`--wait\n${file}\n`);
    expect(readFileSync(file, "utf8")).toBe("system: hi\n");
  });

  it("edit opens a new template on a commented skeleton, removed when left unchanged", async () => {
    const { config, env } = setup();
    const r = await runBin(["templates", "edit", "fresh"], { env: { ...env, EDITOR: "true" } });
    expect(r.code).toBe(0);
    expect(r.stderr).toBe("Template fresh was not created: the file was left unchanged.\n");
    expect((await runBin(["templates", "list"], { env })).stdout).toBe("");
    expect(() => statSync(join(config, "templates", "fresh.yaml"))).toThrow();

    const cat = tempDir("rephysco-editor-");
    const copy = join(cat, "copy-editor");
    writeFileSync(copy, `#!/bin/sh\ncp "$1" "${join(cat, "seen.yaml")}"\n`);
    chmodSync(copy, 0o755);
    await runBin(["templates", "edit", "fresh"], { env: { ...env, EDITOR: copy } });
    const skeleton = readFileSync(join(cat, "seen.yaml"), "utf8");
    expect(skeleton).toMatch(/^# rephysco template "fresh"/);
    expect(skeleton.split("\n").every((l) => l === "" || l.startsWith("#"))).toBe(true);
  });

  it("edit keeps an invalid template and exits 2 naming the line", async () => {
    const { config, env } = setup();
    const r = await runBin(["templates", "edit", "broken"], {
      env: { ...env, CONTENT: "system: hi\nmaxTokens: lots\n" },
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      `error: ${join(config, "templates", "broken.yaml")}:2: "maxTokens" must be a whole number >= 1; got the text "lots". The file is kept: fix it with rephysco templates edit broken\n`,
    );
    expect(readFileSync(join(config, "templates", "broken.yaml"), "utf8")).toContain("lots");

    const list = await runBin(["templates", "list"], { env });
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/^broken {2}\(not valid: .*broken\.yaml:2: "maxTokens"/);

    const show = await runBin(["templates", "show", "broken"], { env });
    expect(show.code).toBe(0);
    expect(show.stdout).toBe("system: hi\nmaxTokens: lots\n");
    expect(show.stderr).toMatch(/^warning: not valid: .*:2: "maxTokens"/);

    const fixed = await runBin(["templates", "edit", "broken"], {
      env: { ...env, CONTENT: "system: hi\nmaxTokens: 5\n" },
    });
    expect(fixed).toMatchObject({ code: 0, stderr: "Template broken saved.\n" });
  });

  it("edit reports a failing editor", async () => {
    const { env } = setup();
    const r = await runBin(["templates", "edit", "x"], { env: { ...env, EDITOR: "exit 3;" } });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe("error: the editor (exit 3;) exited with code 3; nothing was saved\n");
  });

  it("rejects bad and unknown names with exit code 2", async () => {
    const { env } = setup();
    for (const cmd of ["show", "delete", "edit"]) {
      const bad = await runBin(["templates", cmd, "../etc"], { env });
      expect(bad.code).toBe(2);
      expect(bad.stderr).toMatch(/^error: "\.\.\/etc" is not a valid template name: /);
    }
    for (const cmd of ["show", "delete"]) {
      const none = await runBin(["templates", cmd, "nope"], { env });
      expect(none.code).toBe(2);
      expect(none.stderr).toBe("error: no template named nope; see rephysco templates list\n");
    }
  });

  it("strips terminal controls from what it shows", async () => {
    const { config, env } = setup();
    mkdirSync(join(config, "templates"));
    writeFileSync(
      join(config, "templates", "evil.yaml"),
      'description: "\\e]0;pwned\\a red \\e[31mtext"\nsystem: hi\n',
    );
    const list = await runBin(["templates", "list"], { env });
    expect(list.stdout).toBe("evil  red text\n");
    const show = await runBin(["templates", "show", "evil"], { env });
    expect(show.stdout).not.toContain("\u001b");
  });
});
