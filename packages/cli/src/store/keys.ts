import { join } from "node:path";
import { hasProvider, listProviders, type ProviderInfo } from "@rephysco/core";
import { UsageError } from "../usage-error.js";
import { configDir, type DirContext, readPrivateFile, writePrivateFile } from "./dirs.js";
import { isRecordOfStrings } from "./settings.js";

/** Longest key accepted, in characters: far above any provider's, far below the file's cap. */
export const MAX_KEY_CHARS = 16 * 1024;

/** Provider id → API key, as `keys.json` holds them. */
export type StoredKeys = Readonly<Record<string, string>>;

/** Path of the key file, `keys.json` in the config directory. */
export function keysPath(context: DirContext = {}): string {
  return join(configDir(context), "keys.json");
}

/**
 * Reads the stored keys; `{}` when there are none yet.
 *
 * @throws {UsageError} naming the file when it is not a JSON object of strings (fix or delete
 * it). The parser's own message is left out: it quotes the text around the error, a key perhaps.
 */
export function readKeys(context: DirContext = {}): StoredKeys {
  const path = keysPath(context);
  let text: string | undefined;
  try {
    text = readPrivateFile(path);
  } catch (error) {
    throw new UsageError(`Cannot read ${path}: ${(error as Error).message}`);
  }
  if (text === undefined) return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new UsageError(`${path} is not valid JSON: fix it or delete it and set the keys again.`);
  }
  if (!isRecordOfStrings(value)) {
    throw new UsageError(
      `${path} must hold a JSON object of provider ids to keys (strings): fix it or delete it and set the keys again.`,
    );
  }
  // A null prototype: a provider id such as "__proto__" or "toString" is only ever data.
  return Object.assign(Object.create(null) as Record<string, string>, value);
}

function writeKeys(keys: StoredKeys, context: DirContext): void {
  const sorted = Object.fromEntries(Object.entries(keys).sort(([a], [b]) => a.localeCompare(b)));
  writePrivateFile(keysPath(context), `${JSON.stringify(sorted, null, 2)}\n`);
}

/**
 * The registry entry a provider id (or alias) stands for: an alias such as `qwen` is followed to
 * the provider it names, so that a key is stored once, under the real id.
 *
 * @throws {UsageError} for an id nobody registered, listing the ones that are.
 */
export function resolveProvider(provider: string): ProviderInfo {
  const providers = listProviders();
  const info = hasProvider(provider) ? providers.find((p) => p.id === provider) : undefined;
  if (!info) {
    const known = providers.map((p) => p.id);
    throw new UsageError(
      `Unknown provider "${provider}". Use one of: ${known.join(", ") || "none"}. Run \`rephysco providers\` to see them all.`,
    );
  }
  return (info.aliasOf ? providers.find((p) => p.id === info.aliasOf) : undefined) ?? info;
}

/**
 * Checks a key as typed or piped and returns it ready to store: one trailing line break (what
 * `echo` and most files end with) and surrounding white space are removed.
 *
 * @throws {UsageError} for an empty key, white space or control characters inside it, anything
 * but printable ASCII (no HTTP header could carry it), or more than {@link MAX_KEY_CHARS}
 * characters. The key itself is never part of the message.
 */
export function normalizeKey(raw: string): string {
  const key = raw.replace(/\r?\n$/, "").trim();
  if (key === "") throw new UsageError("The key is empty: type or pipe the key itself.");
  if (key.length > MAX_KEY_CHARS) {
    throw new UsageError(
      `The key is ${key.length} characters long, more than ${MAX_KEY_CHARS}: is this really a key?`,
    );
  }
  if (/\s/.test(key)) {
    throw new UsageError(
      "The key contains white space (a space, tab or line break): store one key, with nothing around it.",
    );
  }
  // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
  if (/[\u0000-\u001f\u007f-\u009f]/.test(key)) {
    throw new UsageError(
      "The key contains control characters (escape sequences, a Ctrl+ key?): type or paste the key again.",
    );
  }
  if (/[^\x21-\x7e]/.test(key)) {
    throw new UsageError(
      "The key contains characters that are not printable ASCII, which an HTTP header cannot carry: check what was copied.",
    );
  }
  return key;
}

/**
 * Stores `key` for `provider` (an alias is stored under the provider it stands for) in
 * `keys.json`, 0600, atomically.
 *
 * @returns the provider id the key was stored under.
 * @throws {UsageError} for an unknown provider or a key {@link normalizeKey} refuses.
 */
export function setKey(provider: string, key: string, context: DirContext = {}): string {
  const id = resolveProvider(provider).id;
  const value = normalizeKey(key);
  writeKeys({ ...readKeys(context), [id]: value }, context);
  return id;
}

/**
 * Removes the key stored for `provider` (or for the provider an alias stands for). An id that is
 * in `keys.json` is removed even when no package registers it any more.
 *
 * @returns the provider id whose key was removed.
 * @throws {UsageError} when no key is stored for it, or the provider is unknown.
 */
export function removeKey(provider: string, context: DirContext = {}): string {
  const keys = readKeys(context);
  const id = Object.hasOwn(keys, provider) ? provider : resolveProvider(provider).id;
  if (!Object.hasOwn(keys, id)) {
    throw new UsageError(
      `No key is stored for ${id}. Run \`rephysco keys list\` to see the stored ones.`,
    );
  }
  const { [id]: _removed, ...rest } = keys;
  writeKeys(rest, context);
  return id;
}

/** The provider ids that have a stored key, sorted. Never the keys. */
export function listKeyNames(context: DirContext = {}): string[] {
  return Object.keys(readKeys(context)).sort((a, b) => a.localeCompare(b));
}

/**
 * The key stored for a provider id (an alias is followed), or `undefined`.
 *
 * @throws {UsageError} when `keys.json` cannot be read or is not valid.
 */
export function storedKey(provider: string, context: DirContext = {}): string | undefined {
  const keys = readKeys(context);
  if (Object.hasOwn(keys, provider)) return keys[provider];
  const info = listProviders().find((p) => p.id === provider);
  return info?.aliasOf && Object.hasOwn(keys, info.aliasOf) ? keys[info.aliasOf] : undefined;
}

/**
 * The first of `info`'s key variables that is set and not blank, by the same rule as core: the
 * key the provider reads from the environment (or from `.env`, loaded into it) when one is set.
 */
export function envKeyVar(
  info: ProviderInfo | undefined,
  env: NodeJS.ProcessEnv = process.env,
): string | undefined {
  return info?.apiKeyEnvVars?.find((n) => (env[n] ?? "").trim() !== "");
}

/** Provider ids (and aliases) → the provider whose stored key {@link storedKeyToUse} gave out. */
const handedOut = new Map<string, string>();

/** The registry entry whose key a call to `provider` uses: an alias's target, or itself. */
function keyOwner(provider: string): ProviderInfo | undefined {
  const providers = listProviders();
  const info = providers.find((p) => p.id === provider);
  return (info?.aliasOf ? providers.find((p) => p.id === info.aliasOf) : undefined) ?? info;
}

/**
 * The stored key a call to `provider` should use: only when none of the provider's key variables
 * is set and not blank, since the environment wins. `undefined` for an unknown provider.
 *
 * @throws {UsageError} when a key is needed and `keys.json` cannot be read or is not valid.
 */
export function storedKeyToUse(provider: string, context: DirContext = {}): string | undefined {
  const target = keyOwner(provider);
  if (!target || envKeyVar(target, context.env) !== undefined) return undefined;
  const key = storedKey(target.id, context);
  if (key !== undefined) handedOut.set(provider, target.id).set(target.id, target.id);
  return key;
}

/**
 * Which provider's stored key a call to `provider` was given, when {@link storedKeyToUse} gave it
 * one in this process and no key variable has been set since: so that a rejected key can be
 * named as the stored one (`rephysco keys set <id>` replaces it). `undefined` when the key came
 * from the environment, or none was given.
 */
export function storedKeyUsedFor(
  provider: string,
  env: NodeJS.ProcessEnv = process.env,
): string | undefined {
  const id = handedOut.get(provider);
  if (id === undefined) return undefined;
  return envKeyVar(keyOwner(id), env) === undefined ? id : undefined;
}
