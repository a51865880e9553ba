import { spawn } from "node:child_process";
import { rmSync } from "node:fs";
import type { Command } from "commander";
import {
  deleteTemplate,
  listTemplateNames,
  loadTemplate,
  parseTemplate,
  readTemplateText,
  type Template,
  templatePath,
  templatesDir,
  writeTemplateText,
} from "../store/templates.js";
import type { Terminal } from "../terminal.js";
import { oneLine, stripTerminalControls } from "../terminal-text.js";
import { UsageError } from "../usage-error.js";

/** Longest summary `templates list` shows per template. */
const MAX_SUMMARY_CHARS = 72;

/** What a new template file holds before the editor opens it. */
export function templateSkeleton(name: string): string {
  return `# rephysco template "${name}". Set "system" or "prompt" (or both); every other field is
# optional. Use it with:  rephysco generate --template ${name} [--param key value ...] [input]
#
# In system and prompt, $key (or \${key}) becomes the value of --param key value, or of
# defaults.key; in the prompt, $input becomes the input (the prompt arguments or stdin), which
# is otherwise added after a blank line. $$ is a literal $.
#
# description: Summarize a text in a given language
# system: You are a careful editor.
# prompt: |
#   Summarize in $lang, in three bullets:
#
#   $input
# defaults:
#   lang: English
# model: openai/gpt-4.1-mini      # an alias, a model, or provider/model
# temperature: 0.2
# maxTokens: 500
# schema:                         # a JSON Schema: answer with a validated JSON object
#   type: object
#   properties:
#     bullets: { type: array, items: { type: string } }
#   required: [bullets]
`;
}

/** The first non-blank line of a text. */
function firstLine(text: string | undefined): string | undefined {
  return text?.split("\n").find((l) => l.trim() !== "");
}

function summary(t: Template): string {
  return oneLine(
    t.description ?? firstLine(t.system) ?? firstLine(t.prompt) ?? "",
    MAX_SUMMARY_CHARS,
  );
}

function pad(text: string, width: number): string {
  return text + " ".repeat(Math.max(0, width - text.length));
}

/** `rephysco templates list`: each template's name and description (or first line), aligned. */
export function runTemplatesList(term: Terminal): void {
  const names = listTemplateNames();
  if (names.length === 0) {
    term.stderr.write("No templates yet. Create one with: rephysco templates edit <name>\n");
    return;
  }
  const width = Math.max(...names.map((n) => n.length)) + 2;
  for (const name of names) {
    let text: string;
    try {
      text = summary(loadTemplate(name));
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      text = term.out.yellow(`(not valid: ${oneLine(message, MAX_SUMMARY_CHARS * 2)})`);
    }
    term.stdout.write(text === "" ? `${name}\n` : `${pad(name, width)}${text}\n`);
  }
}

/** `rephysco templates show <name>`: the file as stored (a warning on stderr when not valid). */
export function runTemplatesShow(term: Terminal, name: string): void {
  const text = readTemplateText(name);
  if (text === undefined) loadTemplate(name); // throws "no template named ..."
  const shown = stripTerminalControls(text ?? "");
  term.stdout.write(shown.endsWith("\n") || shown === "" ? shown : `${shown}\n`);
  try {
    parseTemplate(text ?? "", name, templatePath(name));
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    term.stderr.write(
      `${term.err.yellow("warning:")} not valid: ${oneLine(message, 500)}. Fix it with: rephysco templates edit ${name}\n`,
    );
  }
}

/** The editor to run: $VISUAL, else $EDITOR, else `vi`. */
export function editorCommand(env: NodeJS.ProcessEnv = process.env): string {
  for (const value of [env.VISUAL, env.EDITOR]) {
    if (value !== undefined && value.trim() !== "") return value;
  }
  return "vi";
}

/**
 * Runs the editor on `file` as git does: through the shell, so that `EDITOR="code --wait"`
 * works, with the file as `"$@"` (never pasted into the command). Resolves to its exit code.
 */
function runEditor(editor: string, file: string): Promise<number> {
  const child =
    process.platform === "win32"
      ? spawn(`${editor} "${file}"`, { stdio: "inherit", shell: true })
      : spawn("sh", ["-c", `${editor} "$@"`, editor, file], { stdio: "inherit" });
  return new Promise((resolve, reject) => {
    child.on("error", (error) =>
      reject(new UsageError(`could not run the editor ${editor}: ${error.message}`)),
    );
    child.on("close", (code, signal) => resolve(code ?? (signal ? 128 : 1)));
  });
}

/**
 * `rephysco templates edit <name>`: opens the template in the editor (creating it with a
 * commented skeleton when new), then validates it. A new template left as the skeleton is
 * removed again.
 *
 * @throws {UsageError} when the editor fails, or when the template is not valid afterwards (the
 * file is kept so that it can be fixed).
 */
export async function runTemplatesEdit(term: Terminal, name: string): Promise<void> {
  const path = templatePath(name);
  const before = readTemplateText(name);
  const skeleton = templateSkeleton(name);
  if (before === undefined) writeTemplateText(name, skeleton);
  const editor = editorCommand();
  const code = await runEditor(editor, path);
  const after = readTemplateText(name);
  const untouchedNew = before === undefined && (after === undefined || after === skeleton);
  if (untouchedNew) rmSync(path, { force: true });
  if (code !== 0) {
    throw new UsageError(
      `the editor (${editor}) exited with code ${code}; ${untouchedNew ? "nothing was saved" : `the template is at ${path}`}`,
    );
  }
  if (untouchedNew) {
    term.stderr.write(`Template ${name} was not created: the file was left unchanged.\n`);
    return;
  }
  if (after === undefined) throw new UsageError(`${path} is gone: the editor did not save it`);
  try {
    parseTemplate(after, name, path);
  } catch (error) {
    if (error instanceof UsageError) {
      throw new UsageError(
        `${error.message}. The file is kept: fix it with rephysco templates edit ${name}`,
      );
    }
    throw error;
  }
  if (after !== before) {
    term.stderr.write(`Template ${name} ${before === undefined ? "created" : "saved"}.\n`);
  }
}

/** `rephysco templates delete <name>`. */
export function runTemplatesDelete(term: Terminal, name: string): void {
  deleteTemplate(name);
  term.stderr.write(`Template ${name} deleted.\n`);
}

/**
 * Adds `templates list|show|edit|path|delete` to the program.
 *
 * @param term - the run's terminal.
 */
export function registerTemplatesCommand(program: Command, term: Terminal): void {
  const templates = program
    .command("templates")
    .description("manage prompt templates (system prompt, prompt, model, options, $parameters)");
  templates
    .command("list", { isDefault: true })
    .description("list the templates with their descriptions")
    .action(() => runTemplatesList(term));
  templates
    .command("show")
    .description("print a template as stored")
    .argument("<name>", "the template")
    .action((name: string) => runTemplatesShow(term, name));
  templates
    .command("edit")
    .description("edit a template in $VISUAL or $EDITOR (created when new), then check it")
    .argument("<name>", "the template")
    .action((name: string) => runTemplatesEdit(term, name));
  templates
    .command("path")
    .description("print the directory the templates are stored in")
    .action(() => {
      term.stdout.write(`${stripTerminalControls(templatesDir())}\n`);
    });
  templates
    .command("delete")
    .alias("rm")
    .description("delete a template")
    .argument("<name>", "the template")
    .action((name: string) => runTemplatesDelete(term, name));
}
