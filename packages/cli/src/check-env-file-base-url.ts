import { listProviders, type ProviderInfo } from "@rephysco/core";
import type { EnvFile } from "./load-env-file.js";
import { UsageError } from "./usage-error.js";

/** Where the CLI's settings for one call come from. */
export interface EnvFileCheck {
  /** Registry id of the provider (an alias is followed to the provider it stands for). */
  readonly provider: string;
  /** The `.env` that was loaded, if any. */
  readonly envFile: EnvFile | undefined;
  /** `--base-url` was given: the user chose the server, whatever `.env` says. */
  readonly baseUrlFlag: boolean;
  /** `--trust-env-file` was given (a flag with no variable: a `.env` must not vouch for itself). */
  readonly trusted: boolean;
  /**
   * The key is the one stored with `rephysco keys set` (no key variable is set): like an
   * exported key, it does not come from the file.
   */
  readonly storedKey?: boolean;
}

function providerInfo(id: string): ProviderInfo | undefined {
  const providers = listProviders();
  const info = providers.find((p) => p.id === id);
  return (info?.aliasOf ? providers.find((p) => p.id === info.aliasOf) : undefined) ?? info;
}

/** The variable a provider will read, by the same rule as core: the first one set and not blank. */
function firstSet(names: readonly string[] | undefined): string | undefined {
  return names?.find((n) => (process.env[n] ?? "").trim() !== "");
}

/**
 * A `.env` in the working directory is not necessarily the user's: a cloned repository can ship
 * one. If it could set the base URL alone, the key the user exported would be sent to whatever
 * server the file names. So a base URL read from `.env` is used only with a key read from that
 * same file, unless `--trust-env-file` says otherwise.
 *
 * The CLI takes a key from the environment, from `.env`, or from its stored keys (`rephysco
 * keys`, used when no key variable is set); a key from anywhere but the file counts as "not from
 * the file".
 *
 * @throws {UsageError} when the provider's base URL variable came from `.env` and its key did not.
 */
export function checkEnvFileBaseURL(check: EnvFileCheck): void {
  const { envFile } = check;
  if (!envFile || check.baseUrlFlag || check.trusted) return;
  const info = providerInfo(check.provider);
  const baseVar = firstSet(info?.baseURLEnvVars);
  if (baseVar === undefined || !envFile.names.has(baseVar)) return;
  const keyVar = firstSet(info?.apiKeyEnvVars);
  // No key at all (none set, none stored): nothing to leak (the provider then needs none, or
  // reports the missing key).
  if (keyVar === undefined && !check.storedKey) return;
  if (keyVar !== undefined && envFile.names.has(keyVar)) return;
  const source =
    keyVar === undefined
      ? "the API key is the one stored with `rephysco keys set`"
      : `the API key (${keyVar}) comes from the environment`;
  throw new UsageError(
    `${baseVar} is set by ${envFile.path}, but ${source}, ` +
      "not from that file: refusing to send the key to a server chosen by a .env file. " +
      `Put the key in that file too, give the server with --base-url, or pass --trust-env-file if you trust ${envFile.path}.`,
  );
}
