import type { Command } from "commander";
import type { ClientContext } from "../create-client.js";
import {
  envKeyVar,
  keysPath,
  listKeyNames,
  MAX_KEY_CHARS,
  normalizeKey,
  removeKey,
  resolveProvider,
  setKey,
} from "../store/keys.js";
import type { CliInput, Terminal } from "../terminal.js";
import { stripTerminalControls } from "../terminal-text.js";
import { UsageError } from "../usage-error.js";

/** A terminal stdin whose echo can be turned off. */
type RawInput = CliInput & { setRawMode(mode: boolean): unknown };

function canGoRaw(input: CliInput): input is RawInput {
  return input.isTTY === true && typeof (input as Partial<RawInput>).setRawMode === "function";
}

/** Most bytes read from piped stdin: a key, its line break, and room for surrounding spaces. */
const MAX_PIPED_BYTES = MAX_KEY_CHARS * 4 + 2;

/** Reads piped stdin to its end, refusing more than a key could be (`cat /dev/zero | ...`). */
async function readPiped(input: CliInput): Promise<string> {
  const parts: Buffer[] = [];
  let total = 0;
  for await (const chunk of input) {
    const part = typeof chunk === "string" ? Buffer.from(chunk) : (chunk as Buffer);
    total += part.length;
    if (total > MAX_PIPED_BYTES) {
      throw new UsageError(
        `stdin holds more than ${MAX_PIPED_BYTES} bytes: pipe the key alone (echo "$KEY" | rephysco keys set <provider>).`,
      );
    }
    parts.push(part);
  }
  return Buffer.concat(parts).toString("utf8");
}

/** Terminal input sequences that are keys, not text: arrows, function keys, Alt+ combinations. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching terminal input is the point
const KEY_SEQUENCE = /\u001b(?:\[[0-?]*[ -/]*[@-~]|O.|.)?/gs;

/**
 * Reads a line from a terminal without echoing it: raw mode, so nothing typed is shown, and the
 * editing a terminal would do is done here. Enter ends; Backspace removes the last character;
 * Ctrl+U clears the line; Ctrl+C, or Ctrl+D on an empty line, cancels. Other keys (arrows,
 * function keys) are ignored.
 *
 * @throws {UsageError} when cancelled or when stdin ends first.
 */
export function readHidden(input: RawInput, term: Terminal, prompt: string): Promise<string> {
  // Echo off before the prompt shows, as getpass does: what is typed once it is up is never shown.
  input.setRawMode(true);
  term.stderr.write(prompt);
  return new Promise((resolve, reject) => {
    let line: string[] = [];
    const finish = (error?: Error): void => {
      input.removeListener("data", onData);
      input.removeListener("end", onEnd);
      input.setRawMode(false);
      input.pause();
      term.stderr.write("\n");
      if (error) reject(error);
      else resolve(line.join(""));
    };
    const cancelled = (): Error => new UsageError("Cancelled: no key was stored.");
    const onEnd = (): void =>
      finish(new UsageError("stdin ended before Enter: no key was stored."));
    const onData = (chunk: Buffer | string): void => {
      for (const ch of String(chunk).replace(KEY_SEQUENCE, "")) {
        if (ch === "\r" || ch === "\n") {
          finish();
          return;
        }
        if (ch === "\u0003" || (ch === "\u0004" && line.length === 0)) {
          finish(cancelled());
          return;
        }
        if (ch === "\u007f" || ch === "\b") line.pop();
        else if (ch === "\u0015") line = [];
        else if (ch !== "\u0004") line.push(ch);
      }
    };
    input.on("data", onData);
    input.on("end", onEnd);
    input.resume();
  });
}

/** Where `keys set` takes the key from: typed without echo on a terminal, else piped stdin. */
async function readKey(term: Terminal, provider: string): Promise<string> {
  const input = term.stdin;
  if (canGoRaw(input)) return readHidden(input, term, `Enter key for ${provider}: `);
  if (input.isTTY) {
    throw new UsageError(
      "Cannot turn off echo on this terminal: pipe the key instead (rephysco keys set <provider> < key.txt).",
    );
  }
  return readPiped(input);
}

/** Why a stored key is not used: the variable that is set, and where from. */
function overriddenBy(id: string, ctx: ClientContext): string | undefined {
  let info: ReturnType<typeof resolveProvider> | undefined;
  try {
    info = resolveProvider(id);
  } catch {
    // A key stored for a provider whose package is not loaded: nothing can override it.
    return undefined;
  }
  const name = envKeyVar(info);
  if (name === undefined) return undefined;
  const file = ctx.envFile?.names.has(name) ? ` by ${stripTerminalControls(ctx.envFile.path)}` : "";
  return `${name} is set${file} and wins over the stored key`;
}

/** `keys set <provider>`: reads the key, checks it, stores it. The key is never printed. */
async function runSet(provider: string, ctx: ClientContext): Promise<void> {
  const { term } = ctx;
  // Checked before the key is asked for, so that a typo costs no typing.
  const id = resolveProvider(provider).id;
  const key = normalizeKey(await readKey(term, id));
  setKey(id, key);
  term.stderr.write(`Stored the key for ${id} in ${stripTerminalControls(keysPath())}.\n`);
  const note = overriddenBy(id, ctx);
  if (note) term.stderr.write(`${term.err.yellow("note:")} ${note}.\n`);
}

/** `keys list`: provider ids with a stored key on stdout; on stderr, which ones are overridden. */
function runList(ctx: ClientContext): void {
  const { term } = ctx;
  const names = listKeyNames();
  for (const id of names) term.stdout.write(`${stripTerminalControls(id)}\n`);
  for (const id of names) {
    const note = overriddenBy(id, ctx);
    if (note) term.stderr.write(`${term.err.yellow("note:")} ${id}: ${note}.\n`);
  }
  if (names.length === 0) {
    term.stderr.write("No keys stored. Store one with `rephysco keys set <provider>`.\n");
  }
}

/**
 * Adds `rephysco keys` (`set`, `list`, `remove`, `path`) to the program. Keys live in `keys.json`
 * in the config directory (0600); see `store/keys.ts`.
 *
 * @param ctx - the terminal and loaded `.env`, read when a subcommand runs.
 */
export function registerKeysCommand(program: Command, ctx: () => ClientContext): void {
  const keys = program
    .command("keys")
    .description("store API keys (in the config directory, readable by you only)");
  keys
    .command("set")
    .description("store the key for a provider: typed without echo, or piped on stdin")
    .argument("<provider>", "provider id (see `rephysco providers`)")
    .action((provider: string) => runSet(provider, ctx()));
  keys
    .command("list")
    .description("list the providers that have a stored key (names only, never the keys)")
    .action(() => runList(ctx()));
  keys
    .command("remove")
    .alias("rm")
    .description("delete the stored key of a provider")
    .argument("<provider>", "provider id")
    .action((provider: string) => {
      const { term } = ctx();
      const id = removeKey(provider);
      term.stderr.write(`Removed the key for ${stripTerminalControls(id)}.\n`);
    });
  keys
    .command("path")
    .description("print the path of the key file")
    .action(() => {
      ctx().term.stdout.write(`${keysPath()}\n`);
    });
}
