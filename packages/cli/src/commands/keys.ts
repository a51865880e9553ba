import type { Command } from "commander";
import type { ClientContext } from "../create-client.js";
import { canGoRaw, readHidden } from "../read-hidden.js";
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
    if (note) {
      term.stderr.write(`${term.err.yellow("note:")} ${stripTerminalControls(id)}: ${note}.\n`);
    }
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
      ctx().term.stdout.write(`${stripTerminalControls(keysPath())}\n`);
    });
}
