import { readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { isMap, isScalar, LineCounter, type Node, parseDocument } from "yaml";
import { PARAM_NAME } from "../param-args.js";
import { UsageError } from "../usage-error.js";
import { configDir, type DirContext, readPrivateFile, writePrivateFile } from "./dirs.js";

/** A template (and alias) name: a letter or digit, then up to 63 letters, digits, `.`, `_`, `-`. */
export const TEMPLATE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** A template as stored in `<configDir>/templates/<name>.yaml`, validated. */
export interface Template {
  /** The template's name (its file name without `.yaml`). */
  readonly name: string;
  /** One line shown by `rephysco templates list`. */
  readonly description?: string;
  /** The system prompt; `$name` parameters are replaced. */
  readonly system?: string;
  /** The prompt; `$input` and `$name` parameters are replaced. */
  readonly prompt?: string;
  /** An alias, a model, or `provider/model`. */
  readonly model?: string;
  /** Sampling temperature, >= 0. */
  readonly temperature?: number;
  /** Upper bound on answer tokens, >= 1. */
  readonly maxTokens?: number;
  /** A JSON Schema object (root `"type": "object"`) the answer must match, as `--schema`. */
  readonly schema?: Readonly<Record<string, unknown>>;
  /** Values of parameters the command line does not give. */
  readonly defaults?: Readonly<Record<string, string>>;
}

/** What {@link applyTemplate} fills a template with. */
export interface TemplateArgs {
  /** The input (the prompt arguments or stdin), if any. */
  readonly input?: string;
  /** The `--param` values. */
  readonly params: Readonly<Record<string, string>>;
}

/** A template filled in by {@link applyTemplate}: what the call should send. */
export interface AppliedTemplate {
  /** The prompt; `undefined` when the template has none and no input was given. */
  readonly prompt: string | undefined;
  readonly system?: string;
  readonly model?: string;
  readonly temperature?: number;
  readonly maxTokens?: number;
  readonly schema?: Readonly<Record<string, unknown>>;
}

/** The fields a template file may hold, in the order `templates edit`'s skeleton shows them. */
const FIELDS = [
  "description",
  "system",
  "prompt",
  "model",
  "temperature",
  "maxTokens",
  "schema",
  "defaults",
] as const;
type Field = (typeof FIELDS)[number];

/** Directory of the template files. */
export function templatesDir(context: DirContext = {}): string {
  return join(configDir(context), "templates");
}

/**
 * Checks a template name (also used for aliases).
 *
 * @param what - what the name is of, for the message (`"template"`, `"alias"`).
 * @throws {UsageError} when the name does not match {@link TEMPLATE_NAME}.
 */
export function checkName(name: string, what = "template"): void {
  if (!TEMPLATE_NAME.test(name)) {
    throw new UsageError(
      `${JSON.stringify(name)} is not a valid ${what} name: use up to 64 letters, digits, ".", "_" and "-", starting with a letter or digit.`,
    );
  }
}

/** Path of the template `name` (checked with {@link checkName}). */
export function templatePath(name: string, context: DirContext = {}): string {
  checkName(name);
  return join(templatesDir(context), `${name}.yaml`);
}

/** Names of the stored templates, sorted. Files that are not `<valid name>.yaml` are ignored. */
export function listTemplateNames(context: DirContext = {}): string[] {
  let files: string[];
  try {
    files = readdirSync(templatesDir(context));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw error;
  }
  return files
    .filter((f) => f.endsWith(".yaml"))
    .map((f) => f.slice(0, -".yaml".length))
    .filter((n) => TEMPLATE_NAME.test(n))
    .sort((a, b) => a.localeCompare(b));
}

/** The stored text of template `name`, or `undefined` when there is none. */
export function readTemplateText(name: string, context: DirContext = {}): string | undefined {
  return readPrivateFile(templatePath(name, context));
}

function missing(name: string): UsageError {
  return new UsageError(`no template named ${name}; see rephysco templates list`);
}

/**
 * Reads and validates template `name`.
 *
 * @throws {UsageError} "no template named X; see rephysco templates list" when it does not
 * exist, or naming the file, the field and the line when it is not valid.
 */
export function loadTemplate(name: string, context: DirContext = {}): Template {
  const path = templatePath(name, context);
  const text = readPrivateFile(path);
  if (text === undefined) throw missing(name);
  return parseTemplate(text, name, path);
}

/** Writes template `name` (0600, in a 0700 directory), atomically. */
export function writeTemplateText(name: string, text: string, context: DirContext = {}): void {
  writePrivateFile(templatePath(name, context), text);
}

/**
 * Deletes template `name`.
 *
 * @throws {UsageError} when there is no such template.
 */
export function deleteTemplate(name: string, context: DirContext = {}): void {
  const path = templatePath(name, context);
  if (readPrivateFile(path) === undefined) throw missing(name);
  rmSync(path);
}

/** One piece of a template text: literal text, or a placeholder's name. */
type Piece = { readonly text: string } | { readonly param: string };

/**
 * Splits a template text into literal text and placeholders: `$name` and `${name}` are
 * placeholders, `$$` is a literal `$`, any other `$` is itself.
 *
 * @returns the pieces, or the reason the text is not valid.
 */
function scan(text: string): Piece[] | string {
  const pieces: Piece[] = [];
  let literal = "";
  let i = 0;
  while (i < text.length) {
    const dollar = text.indexOf("$", i);
    if (dollar < 0) {
      literal += text.slice(i);
      break;
    }
    literal += text.slice(i, dollar);
    const next = text[dollar + 1];
    if (next === "$") {
      literal += "$";
      i = dollar + 2;
      continue;
    }
    let name: string | undefined;
    if (next === "{") {
      const close = text.indexOf("}", dollar + 2);
      if (close < 0) return `"\${" has no closing "}" (write $$ for a literal $)`;
      name = text.slice(dollar + 2, close);
      if (!PARAM_NAME.test(name)) {
        return `"\${${name}}" is not a parameter: use letters, digits and _, not starting with a digit (write $$ for a literal $)`;
      }
      i = close + 1;
    } else {
      name = /^[A-Za-z_][A-Za-z0-9_]*/.exec(text.slice(dollar + 1))?.[0];
      if (name === undefined) {
        literal += "$";
        i = dollar + 1;
        continue;
      }
      i = dollar + 1 + name.length;
    }
    if (literal !== "") pieces.push({ text: literal });
    literal = "";
    pieces.push({ param: name });
  }
  if (literal !== "") pieces.push({ text: literal });
  return pieces;
}

/** The pieces of a text already checked by {@link parseTemplate}. */
function piecesOf(text: string): Piece[] {
  const pieces = scan(text);
  if (typeof pieces === "string") throw new UsageError(pieces);
  return pieces;
}

function paramsIn(text: string | undefined): Set<string> {
  const names = new Set<string>();
  if (text === undefined) return names;
  for (const p of piecesOf(text)) if ("param" in p) names.add(p.param);
  return names;
}

/** `true` when the template's prompt places the input with `$input`. */
export function usesInput(template: Template): boolean {
  return paramsIn(template.prompt).has("input");
}

/** The parameters (other than `input`) the template's system prompt and prompt use, sorted. */
export function templateParameters(template: Template): string[] {
  const names = new Set([...paramsIn(template.system), ...paramsIn(template.prompt)]);
  names.delete("input");
  return [...names].sort();
}

function fill(text: string, values: Readonly<Record<string, string>>): string {
  // One pass: a value that holds `$x` is copied as it is, never expanded again.
  return piecesOf(text)
    .map((p) => ("text" in p ? p.text : (values[p.param] as string)))
    .join("");
}

/**
 * Fills a template in: `$input` in the prompt becomes the input; without `$input` the input is
 * added after a blank line, or is the prompt when the template has none. `$name` and `${name}`
 * in the system prompt and the prompt become `--param name value` or `defaults.name`; `$$` is
 * `$`. Substitution is one pass: a value holding `$x` stays as it is.
 *
 * @throws {UsageError} when a parameter the template uses has no value, a given parameter is not
 * used by the template, or the prompt uses `$input` and no input was given.
 */
export function applyTemplate(template: Template, args: TemplateArgs): AppliedTemplate {
  const { name } = template;
  const used = templateParameters(template);
  const unknown = Object.keys(args.params).filter((k) => !used.includes(k));
  if (unknown.length > 0) {
    const uses =
      used.length > 0 ? `it uses ${used.map((u) => `--param ${u}`).join(", ")}` : "it uses none";
    throw new UsageError(
      `template ${name} has no parameter ${unknown.join(", ")}; ${uses} (see rephysco templates show ${name})`,
    );
  }
  const values: Record<string, string> = { ...template.defaults, ...args.params };
  const lacking = used.filter((u) => !Object.hasOwn(values, u));
  if (lacking.length > 0) {
    throw new UsageError(
      `template ${name} needs ${lacking.map((u) => `--param ${u} <value>`).join(" and ")}`,
    );
  }
  let prompt: string | undefined;
  if (template.prompt === undefined) {
    prompt = args.input;
  } else if (usesInput(template)) {
    if (args.input === undefined) {
      throw new UsageError(
        `template ${name} uses $input: give the input as the prompt arguments or on stdin`,
      );
    }
    prompt = fill(template.prompt, { ...values, input: args.input });
  } else {
    const filled = fill(template.prompt, values);
    prompt = args.input === undefined ? filled : `${filled}\n\n${args.input}`;
  }
  return {
    prompt,
    ...(template.system !== undefined && { system: fill(template.system, values) }),
    ...(template.model !== undefined && { model: template.model }),
    ...(template.temperature !== undefined && { temperature: template.temperature }),
    ...(template.maxTokens !== undefined && { maxTokens: template.maxTokens }),
    ...(template.schema !== undefined && { schema: template.schema }),
  };
}

function describe(value: unknown): string {
  if (value === null) return "nothing";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a mapping";
  if (typeof value === "string") return `the text ${JSON.stringify(value).slice(0, 60)}`;
  return `${typeof value} ${String(value)}`;
}

/**
 * Parses and validates a template file's text.
 *
 * @param name - the template's name (recorded in the result).
 * @param path - the file, named in error messages.
 * @throws {UsageError} `<path>:<line>:<col>` for text that is not YAML; `<path>:<line>` with the
 * field for an unknown field or a value of the wrong type; and when neither `system` nor
 * `prompt` is set.
 */
export function parseTemplate(text: string, name: string, path: string): Template {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  const firstError = doc.errors[0];
  if (firstError) {
    const at = lines.linePos(firstError.pos[0]);
    const message = firstError.message.split("\n")[0] ?? "";
    throw new UsageError(`${path}:${at.line}:${at.col}: not valid YAML: ${message}`);
  }
  const lineOf = (node: Node | null | undefined): number =>
    lines.linePos(node?.range?.[0] ?? 0).line;
  const fail = (node: Node | null | undefined, message: string): never => {
    throw new UsageError(`${path}:${lineOf(node)}: ${message}`);
  };
  const root = doc.contents;
  if (root === null || (isScalar(root) && root.value === null)) {
    throw new UsageError(`${path}: the template is empty; set "system" or "prompt" (or both).`);
  }
  if (!isMap(root)) fail(root, "a template must be a mapping of fields such as prompt: ...");

  const fields: Partial<Record<Field, unknown>> = {};
  const nodes: Partial<Record<Field, Node>> = {};
  for (const pair of isMap(root) ? root.items : []) {
    const keyNode = pair.key as Node | null;
    const key = isScalar(keyNode) ? keyNode.value : undefined;
    if (typeof key !== "string") fail(keyNode, "a field name must be plain text");
    if (!(FIELDS as readonly string[]).includes(key as string)) {
      fail(keyNode, `unknown field "${key}"; the fields are ${FIELDS.join(", ")}`);
    }
    const valueNode = (pair.value as Node | null) ?? keyNode ?? undefined;
    const field = key as Field;
    nodes[field] = valueNode;
    try {
      fields[field] = pair.value === null ? null : (pair.value as Node).toJS(doc);
    } catch (error) {
      // Such as the yaml package's guard against alias bombs ("Excessive alias count").
      fail(valueNode, `"${field}" cannot be read: ${(error as Error).message}`);
    }
  }

  const check = (field: Field, ok: (v: unknown) => boolean, expected: string): void => {
    const value = fields[field];
    if (value !== undefined && !ok(value)) {
      fail(nodes[field], `"${field}" must be ${expected}; got ${describe(value)}`);
    }
  };
  const isString = (v: unknown) => typeof v === "string";
  const nonEmpty = (v: unknown) => typeof v === "string" && v.trim() !== "";
  const isObject = (v: unknown) => typeof v === "object" && v !== null && !Array.isArray(v);
  check("description", isString, "text");
  check("system", isString, "text");
  check("prompt", isString, "text");
  check(
    "model",
    // biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting control characters is the point
    (v) => nonEmpty(v) && !/[\s\u0000-\u001f\u007f-\u009f]/.test(v as string),
    "a model name without spaces or control characters",
  );
  check(
    "temperature",
    (v) => typeof v === "number" && Number.isFinite(v) && v >= 0,
    "a number >= 0",
  );
  check(
    "maxTokens",
    (v) => typeof v === "number" && Number.isSafeInteger(v) && v >= 1,
    "a whole number >= 1",
  );
  check("schema", isObject, "a JSON Schema mapping");
  check("defaults", isObject, "a mapping of parameter names to text");

  const schema = fields.schema as Record<string, unknown> | undefined;
  if (schema && schema.type !== "object") {
    fail(
      nodes.schema,
      `"schema" must describe a JSON object: its root needs type: object (providers answer with an object)`,
    );
  }
  if (fields.system === undefined && fields.prompt === undefined) {
    fail(root, `a template needs "system" or "prompt" (or both)`);
  }

  const used = new Set<string>();
  for (const field of ["system", "prompt"] as const) {
    const value = fields[field] as string | undefined;
    if (value === undefined) continue;
    const pieces = scan(value);
    if (typeof pieces === "string") fail(nodes[field], `"${field}": ${pieces}`);
    for (const p of pieces as Piece[]) {
      if (!("param" in p)) continue;
      if (p.param === "input" && field === "system") {
        fail(nodes.system, `"system" cannot use $input: the input goes into "prompt"`);
      }
      used.add(p.param);
    }
  }

  const defaults = fields.defaults as Record<string, unknown> | undefined;
  if (defaults) {
    const defaultsMap = nodes.defaults;
    for (const [param, value] of Object.entries(defaults)) {
      const pair = isMap(defaultsMap)
        ? defaultsMap.items.find((p) => isScalar(p.key) && p.key.value === param)
        : undefined;
      const node = (pair?.value as Node | null | undefined) ?? (pair?.key as Node | undefined);
      if (typeof value !== "string") {
        fail(
          node,
          `"defaults.${param}" must be text; got ${describe(value)} (quote it: "${String(value)}")`,
        );
      }
      if (param === "input") fail(node, `"defaults" cannot set input: it is the input itself`);
      if (!used.has(param)) {
        fail(node, `"defaults.${param}": the template does not use $${param}`);
      }
    }
  }

  return {
    name,
    ...(fields as Omit<Template, "name">),
  };
}
