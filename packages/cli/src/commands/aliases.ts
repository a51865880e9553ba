import type { Command } from "commander";
import { readSettings, settingsPath, updateSettings } from "../store/settings.js";
import { checkName } from "../store/templates.js";
import type { Terminal } from "../terminal.js";
import { stripTerminalControls } from "../terminal-text.js";
import { UsageError } from "../usage-error.js";

function pad(text: string, width: number): string {
  return text + " ".repeat(Math.max(0, width - text.length));
}

/** `rephysco aliases list`: `alias -> target`, aligned, sorted by alias. */
export function runAliasesList(term: Terminal): void {
  const aliases = Object.entries(readSettings().aliases ?? {})
    .map(([alias, target]) => [stripTerminalControls(alias), stripTerminalControls(target)])
    .sort(([a = ""], [b = ""]) => a.localeCompare(b));
  if (aliases.length === 0) {
    term.stderr.write("No aliases yet. Add one with: rephysco aliases set <alias> <model>\n");
    return;
  }
  const width = Math.max(...aliases.map(([alias = ""]) => alias.length));
  for (const [alias = "", target = ""] of aliases) {
    term.stdout.write(`${pad(alias, width)} -> ${target}\n`);
  }
}

/**
 * `rephysco aliases set <alias> <target>`: the target is a model or `provider/model`, resolved
 * when the alias is used.
 *
 * @throws {UsageError} for an alias name that breaks the template name rule, or a target that is
 * empty, holds spaces, or is the alias itself.
 */
export function runAliasesSet(term: Terminal, alias: string, target: string): void {
  checkName(alias, "alias");
  // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
  if (target.trim() === "" || /[\s\u0000-\u001f\u007f-\u009f]/.test(target)) {
    throw new UsageError(
      `${JSON.stringify(target)} is not a model: give a model or provider/model, without spaces.`,
    );
  }
  if (target === alias) throw new UsageError(`alias ${alias} cannot point at itself.`);
  updateSettings((s) => ({ ...s, aliases: { ...s.aliases, [alias]: target } }));
  term.stderr.write(`Alias ${alias} -> ${target} saved.\n`);
}

/**
 * `rephysco aliases remove <alias>`.
 *
 * @throws {UsageError} when there is no such alias.
 */
export function runAliasesRemove(term: Terminal, alias: string): void {
  const aliases = readSettings().aliases ?? {};
  if (!Object.hasOwn(aliases, alias)) {
    throw new UsageError(`no alias named ${JSON.stringify(alias)}; see rephysco aliases list`);
  }
  updateSettings((s) => {
    const { [alias]: _, ...rest } = s.aliases ?? {};
    return { ...s, aliases: Object.keys(rest).length > 0 ? rest : undefined };
  });
  term.stderr.write(`Alias ${stripTerminalControls(alias)} removed.\n`);
}

/**
 * Adds `aliases list|set|remove|path` to the program.
 *
 * @param term - the run's terminal.
 */
export function registerAliasesCommand(program: Command, term: Terminal): void {
  const aliases = program
    .command("aliases")
    .description("short names for models: rephysco aliases set fast openai/gpt-4.1-mini");
  aliases
    .command("list", { isDefault: true })
    .description("list the aliases and what they stand for")
    .action(() => runAliasesList(term));
  aliases
    .command("set")
    .description("add or change an alias")
    .argument("<alias>", "the short name (letters, digits, . _ -)")
    .argument("<target>", "a model or provider/model")
    .action((alias: string, target: string) => runAliasesSet(term, alias, target));
  aliases
    .command("remove")
    .alias("rm")
    .description("remove an alias")
    .argument("<alias>", "the alias")
    .action((alias: string) => runAliasesRemove(term, alias));
  aliases
    .command("path")
    .description("print the settings file the aliases are stored in")
    .action(() => {
      term.stdout.write(`${stripTerminalControls(settingsPath())}\n`);
    });
}
