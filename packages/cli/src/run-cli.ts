import { Command, CommanderError, Option } from "commander";
import { version } from "../package.json";
import { registerAliasesCommand } from "./commands/aliases.js";
import { type ChatFlags, runChat } from "./commands/chat.js";
import { type GenerateFlags, runGenerate } from "./commands/generate.js";
import { registerKeysCommand } from "./commands/keys.js";
import { registerLogsCommand } from "./commands/logs.js";
import { registerModelsCommand } from "./commands/models.js";
import { runProviders } from "./commands/providers.js";
import { registerServeCommand } from "./commands/serve.js";
import { registerTemplatesCommand } from "./commands/templates.js";
import type { ClientContext } from "./create-client.js";
import { ExitCode } from "./exit-codes.js";
import { formatError } from "./format-error.js";
import { type EnvFile, loadEnvFile } from "./load-env-file.js";
import { loadProviders } from "./load-providers.js";
import { expandParamArgs, paramOption } from "./param-args.js";
import {
  collect,
  parseCount,
  parsePositiveInt,
  parseTemperature,
  parseTimeout,
} from "./parse-number.js";
import { printError } from "./print-error.js";
import type { ProviderSource } from "./resolve-model.js";
import { type CliStreams, createTerminal } from "./terminal.js";
import { stripTerminalControls } from "./terminal-text.js";

/** Options of {@link runCli}. */
export interface RunCliOptions extends CliStreams {
  /**
   * Directory whose `.env` is loaded into `process.env` (variables already set win).
   * Default: `process.cwd()`. Pass `false` to skip loading `.env`.
   */
  readonly cwd?: string | false;
}

/**
 * `--debug` after the command name too (`rephysco generate hi --debug`). Hidden: help lists the
 * program's own `--debug` under global options already.
 */
function addDebugOption(cmd: Command): Command {
  return cmd.addOption(
    new Option("--debug", "show requests, retries and full error stacks").hideHelp(),
  );
}

/** The options `generate` and `chat` share. */
function addModelOptions(cmd: Command): Command {
  return cmd
    .addOption(
      new Option("-p, --provider <id>", "provider id (see `rephysco providers`)")
        .env("REPHYSCO_PROVIDER")
        .default("openai"),
    )
    .option("-m, --model <id>", "model id (default: the provider's default model)")
    .option("-s, --system <prompt>", "system prompt")
    .option("-t, --temperature <number>", "sampling temperature", parseTemperature)
    .option("--max-tokens <n>", "upper bound on answer tokens", parsePositiveInt)
    .option("--no-stream", "wait for the whole answer instead of streaming it")
    .option("--base-url <url>", "API base URL (overrides the provider's base URL variable)")
    .option(
      "--trust-env-file",
      "use a base URL set by .env even when the API key comes from the environment",
    )
    .option("--cache", "answer repeated requests from the on-disk cache")
    .option("--retries <n>", "retries after a failed attempt (0 turns them off)", parseCount)
    .option(
      "--timeout <ms>",
      "timeout in milliseconds for the whole call, retries included (and for each attempt)",
      parseTimeout,
    )
    .option("--show-reasoning", "show the model's reasoning (dimmed, on stderr)")
    .option(
      "--raw",
      "print the answer's raw bytes, as cat would (the default when stdout is not a terminal)",
    );
}

/** Where `-p` came from: the command line, `REPHYSCO_PROVIDER`, or the default. */
function providerSource(cmd: Command): ProviderSource {
  const source = cmd.getOptionValueSource("provider");
  if (source === "cli") return "cli";
  return source === "env" ? "env" : "default";
}

/**
 * Runs the `rephysco` command line and resolves to its exit code (0 success, 1 provider or
 * network error, 2 usage error). Never calls `process.exit`, so it can run inside tests.
 *
 * @param argv - arguments after the executable and script, e.g. `["generate", "hi", "-p", "openai"]`.
 * @example
 * ```ts
 * const code = await runCli(["providers"]);
 * ```
 */
export async function runCli(
  argv: readonly string[],
  options: RunCliOptions = {},
): Promise<ExitCode> {
  const term = createTerminal(options);
  // Set from commander's parsed options just before the command runs: a `--debug` that is an
  // option's value (`-s --debug`) or a prompt word (after `--`) does not count, and errors raised
  // while parsing stay one line.
  let debug = false;
  let envFile: EnvFile | undefined;
  try {
    if (options.cwd !== false) envFile = loadEnvFile(options.cwd ?? process.cwd());
    if (envFile && envFile.ignored.length > 0) {
      term.stderr.write(
        `${term.err.yellow("warning:")} ${stripTerminalControls(envFile.path)} sets ${envFile.ignored.map(stripTerminalControls).join(", ")}, which control the runtime (TLS, proxies, Node); they were not loaded. Set them in your environment if you mean them.
`,
      );
    }
  } catch (error) {
    term.stderr.write(
      `${term.err.yellow("warning:")} could not read .env: ${formatError(error).message}\n`,
    );
  }
  const loadFailures = await loadProviders();
  const ctx = (): ClientContext => ({ term, debug, loadFailures, envFile });
  let exitCode: ExitCode = ExitCode.OK;

  const program = new Command("rephysco")
    .description("Generate and chat with any LLM provider from the terminal.")
    .version(version, "-V, --version")
    .option("--debug", "show requests, retries and full error stacks on stderr")
    .configureHelp({ showGlobalOptions: true })
    // Program options only before the command name, so that commander never takes a word meant
    // for the command (such as the value of -s) as the program's own --debug.
    .enablePositionalOptions()
    .hook("preAction", (_program, command) => {
      debug = command.optsWithGlobals<{ debug?: boolean }>().debug === true;
    })
    .showSuggestionAfterError()
    .exitOverride()
    .configureOutput({
      writeOut: (s) => term.stdout.write(s),
      writeErr: (s) => term.stderr.write(s),
      // Commander's messages quote the command line, which a script may have built from input.
      outputError: (s, write) =>
        write(stripTerminalControls(s).replace(/^error:/, term.err.red(term.err.bold("error:")))),
    });

  addModelOptions(
    addDebugOption(program.command("generate"))
      .alias("gen")
      .description("generate one answer; the prompt comes from the arguments or stdin")
      .argument("[prompt...]", "the prompt (read from stdin when omitted)")
      .option("--image <path|url>", "attach an image file or http(s) URL (repeatable)", collect)
      .option(
        "-a, --attach <file|url>",
        "attach an image (file or http(s) URL) or inline a UTF-8 text file as context (repeatable)",
        collect,
      )
      .option("--json", "print the final response as JSON (and nothing else on stdout)")
      .option(
        "--schema <file|json>",
        "answer with a JSON object matching this JSON Schema (a file, or inline JSON starting with {); prints the validated object",
      )
      .option("--usage", "print token counts and cost on stderr after the answer")
      .option("-c, --continue", "continue the latest conversation (its model unless -m)")
      .option("--cid <id>", "continue this conversation (an id or a unique prefix of one)")
      .option("--no-log", "do not record this prompt and answer in the log")
      .option("--template <name>", "fill in a template (see `rephysco templates`)")
      .addOption(paramOption()),
  ).action(async (words: string[], flags: Omit<GenerateFlags, "providerSource">, cmd: Command) => {
    exitCode = await runGenerate(words, { ...flags, providerSource: providerSource(cmd) }, ctx());
  });

  addModelOptions(
    addDebugOption(program.command("chat")).description(
      "chat with history; commands: system: <prompt>, temp: <value>, clear, exit",
    ),
  )
    .option("-c, --continue", "resume the latest conversation with its history")
    .option("--cid <id>", "resume this conversation (an id or a unique prefix of one)")
    .option("--no-log", "do not record this chat in the log")
    .option(
      "--template <name>",
      "system prompt, model and options from a template; each line fills its prompt",
    )
    .addOption(paramOption())
    .action(async (flags: Omit<ChatFlags, "providerSource">, cmd: Command) => {
      exitCode = await runChat({ ...flags, providerSource: providerSource(cmd) }, ctx());
    });

  addDebugOption(program.command("providers"))
    .description("list the providers, their default models, and whether their key is set")
    .action(() => runProviders(term, loadFailures));

  registerKeysCommand(program, ctx);
  registerLogsCommand(program, term, (code) => {
    exitCode = code;
  });
  registerTemplatesCommand(program, term);
  registerModelsCommand(program, term);
  registerAliasesCommand(program, term);
  registerServeCommand(program, term, (code) => (exitCode = code));

  try {
    await program.parseAsync(expandParamArgs(argv), { from: "user" });
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Commander has already printed its message. --help and --version end with exit code 0;
      // a missing command (help shown as an error) or a bad option is a usage error.
      return error.exitCode === 0 ? ExitCode.OK : ExitCode.USAGE_ERROR;
    }
    return printError(term, error, debug);
  }
}

/**
 * The binary's entry point: runs {@link runCli} on `process.argv` and sets `process.exitCode`.
 *
 * @param argv - the full `process.argv` (node, script, arguments...).
 */
export async function main(argv: readonly string[] = process.argv): Promise<void> {
  // `rephysco ... | head -1` closes the pipe early: stop quietly, as other Unix tools do.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on("error", (error: NodeJS.ErrnoException) => {
      if (error.code !== "EPIPE") throw error;
      process.exit(process.exitCode ?? ExitCode.OK);
    });
  }
  process.exitCode = await runCli(argv.slice(2));
}
