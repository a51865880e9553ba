import { listProviders, type ProviderInfo } from "@rephysco/core";
import type { ProviderLoadFailure } from "../load-providers.js";
import { readKeys, type StoredKeys } from "../store/keys.js";
import type { Terminal } from "../terminal.js";
import { oneLine } from "../terminal-text.js";

function isSet(name: string): boolean {
  const value = process.env[name];
  return value !== undefined && value.trim() !== "";
}

/** The stored keys, or why `keys.json` could not be read. */
type KeyFile = { readonly keys: StoredKeys } | { readonly unreadable: string };

function keyStatus(
  info: ProviderInfo | undefined,
  stored: () => KeyFile,
): { set: boolean; text: string } {
  const vars = info?.apiKeyEnvVars ?? [];
  if (vars.length === 0) return { set: true, text: "no key needed" };
  const found = vars.find(isSet);
  // Only the variable's name is ever shown, never its value.
  if (found) return { set: true, text: `${found} set` };
  // The environment wins; a key stored with `rephysco keys set` is used otherwise.
  const file = stored();
  const unset = `${vars.join(" or ")} not set`;
  // A broken key file is a note on the rows that would read it, not the end of the listing.
  if ("unreadable" in file) return { set: false, text: `${unset}; keys.json unreadable` };
  if (info && Object.hasOwn(file.keys, info.id)) return { set: true, text: "stored" };
  return { set: false, text: unset };
}

function pad(text: string, width: number): string {
  return text + " ".repeat(Math.max(0, width - text.length));
}

/**
 * `rephysco providers`: every registered provider with its default model and whether its key
 * variable is set (or, failing that, a key is stored). Aliases point at the provider they stand
 * for.
 */
export function runProviders(term: Terminal, loadFailures: readonly ProviderLoadFailure[]): void {
  const { out } = term;
  const providers = listProviders();
  const byId = new Map(providers.map((p) => [p.id, p]));
  let file: KeyFile | undefined;
  const stored = (): KeyFile => {
    if (file) return file;
    try {
      file = { keys: readKeys() };
    } catch (error) {
      file = { unreadable: oneLine((error as Error).message, 500) };
    }
    return file;
  };
  const rows = providers.map((p) => {
    const target = p.aliasOf ? byId.get(p.aliasOf) : p;
    const key = keyStatus(target ?? p, stored);
    return {
      id: p.id,
      model: p.aliasOf ? `alias of ${p.aliasOf}` : (p.defaultModel ?? "-"),
      key,
      alias: p.aliasOf !== undefined,
    };
  });
  const header = { id: "PROVIDER", model: "DEFAULT MODEL" };
  const idWidth = Math.max(header.id.length, ...rows.map((r) => r.id.length)) + 2;
  const modelWidth = Math.max(header.model.length, ...rows.map((r) => r.model.length)) + 2;
  term.stdout.write(
    `${out.bold(pad(header.id, idWidth) + pad(header.model, modelWidth))}${out.bold("API KEY")}\n`,
  );
  for (const r of rows) {
    const model = r.alias ? out.dim(pad(r.model, modelWidth)) : pad(r.model, modelWidth);
    const key = r.key.set ? out.green(r.key.text) : out.yellow(r.key.text);
    term.stdout.write(`${pad(r.id, idWidth)}${model}${key}\n`);
  }
  if (rows.length === 0) term.stdout.write("No providers registered.\n");
  if (file && "unreadable" in file) {
    term.stderr.write(`${term.err.yellow("warning:")} keys.json unreadable: ${file.unreadable}\n`);
  }
  for (const f of loadFailures) {
    term.stderr.write(`${term.err.yellow("warning:")} ${f.packageName} could not be loaded.\n`);
  }
}
