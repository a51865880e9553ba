import { closeSync, constants, existsSync, fstatSync, openSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parseEnv } from "node:util";

/** What {@link loadEnvFile} loaded. */
export interface EnvFile {
  /** Path of the `.env` file. */
  readonly path: string;
  /**
   * The variables this file set. Variables the environment already had are not among them: the
   * environment wins, and a value is traced to where it really came from.
   */
  readonly names: ReadonlySet<string>;
  /** Variables in the file that were not loaded because they control the runtime (TLS, proxies, Node). */
  readonly ignored: readonly string[];
}

/**
 * Variables that change how the process itself behaves (TLS checks, proxies, certificates,
 * Node's options, programs it runs, where it keeps the user's files) rather than which provider
 * is asked: a `.env` that is not necessarily the user's must not set them.
 * `NODE_TLS_REJECT_UNAUTHORIZED=0` would turn off certificate checks for the run; a proxy
 * variable would route requests, keys included, elsewhere; `VISUAL`/`EDITOR` would run a command
 * of the file's choosing (`templates edit`); `REPHYSCO_*_DIR`, `XDG_*` and `HOME` would move the
 * stored keys, the log and the cache into the repository the file came with; `LD_*`, `DYLD_*`,
 * `BASH_ENV`, `ENV`, `SHELL` and `PATH` change what a spawned shell runs.
 */
const RUNTIME_CONTROL =
  /^(?:NODE_|UV_|OPENSSL_|SSL_CERT_|XDG_|LD_|DYLD_)|_PROXY$|^REPHYSCO_\w*_DIR$|^(?:VISUAL|EDITOR|HOME|SHELL|BASH_ENV|ENV|PATH|TMPDIR|APPDATA|LOCALAPPDATA)$/i;

/** No real `.env` comes near this; a larger one (or `.env -> /dev/zero`) is not read. */
const MAX_ENV_FILE_BYTES = 1024 * 1024;

function readEnvText(path: string): string {
  // O_NONBLOCK: a `.env` that is a FIFO (or a symlink to one) would otherwise block the open.
  const fd = openSync(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  try {
    const info = fstatSync(fd);
    if (!info.isFile()) throw new Error(`${path} is not a regular file.`);
    if (info.size > MAX_ENV_FILE_BYTES) {
      throw new Error(`${path} is ${info.size} bytes, above the limit of ${MAX_ENV_FILE_BYTES}.`);
    }
    return readFileSync(fd, "utf8");
  } finally {
    closeSync(fd);
  }
}

/**
 * Loads `.env` from `cwd` into `process.env` with Node's own parser (`util.parseEnv`, the one
 * behind `process.loadEnvFile`). Variables already set in the environment win, so
 * `OPENAI_API_KEY=... rephysco ...` overrides the file.
 *
 * It records which variables the file set, because a `.env` is not necessarily the user's (a
 * cloned repository can ship one): see `checkEnvFileBaseURL`.
 *
 * Variables that control the runtime rather than which provider is asked (`NODE_*`, `*_PROXY`,
 * `SSL_CERT_*`, `OPENSSL_*`, `UV_*`, the editor, the shell, the CLI's own directories: see
 * `RUNTIME_CONTROL`) are never taken from the file: they are listed in `ignored`.
 *
 * @returns the file and the variables it set, or `undefined` when there is no `.env`.
 * @throws when the file exists but cannot be read, is not a regular file, or is over 1 MiB.
 */
export function loadEnvFile(cwd: string = process.cwd()): EnvFile | undefined {
  const path = join(cwd, ".env");
  if (!existsSync(path)) return undefined;
  const names = new Set<string>();
  const ignored: string[] = [];
  for (const [name, value] of Object.entries(parseEnv(readEnvText(path)))) {
    if (value === undefined || name in process.env) continue;
    if (RUNTIME_CONTROL.test(name)) {
      ignored.push(name);
      continue;
    }
    process.env[name] = value;
    names.add(name);
  }
  return { path, names, ignored };
}
