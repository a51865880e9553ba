import {
  chmodSync,
  closeSync,
  fsyncSync,
  mkdirSync,
  openSync,
  renameSync,
  rmSync,
  writeSync,
} from "node:fs";
import { homedir } from "node:os";
import { dirname, isAbsolute, join, resolve, sep } from "node:path";
import { readTextFile } from "./read-text-file.js";

/** What {@link dataDir} and {@link configDir} read; defaults to the running process's. */
export interface DirContext {
  readonly env?: NodeJS.ProcessEnv;
  readonly platform?: NodeJS.Platform;
  readonly homedir?: string;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value !== undefined && value.trim() !== "" ? value : undefined;
}

/**
 * Where the CLI keeps what it records (the log database): `REPHYSCO_DATA_DIR`, else
 * `$XDG_DATA_HOME/rephysco`, else the platform's usual place (`~/.local/share/rephysco`;
 * `~/Library/Application Support/rephysco` on macOS; `%LOCALAPPDATA%\rephysco\Data` on Windows).
 * The same rules as core's cache directory (`REPHYSCO_CACHE_DIR`, `XDG_CACHE_HOME`).
 */
export function dataDir(context: DirContext = {}): string {
  const env = context.env ?? process.env;
  const explicit = nonEmpty(env.REPHYSCO_DATA_DIR);
  if (explicit) return resolve(explicit);
  const xdg = nonEmpty(env.XDG_DATA_HOME);
  // The XDG spec says a relative path in these variables is invalid and must be ignored.
  if (xdg && isAbsolute(xdg)) return join(xdg, "rephysco");
  const home = context.homedir ?? homedir();
  const platform = context.platform ?? process.platform;
  if (platform === "darwin") return join(home, "Library", "Application Support", "rephysco");
  if (platform === "win32") {
    return join(nonEmpty(env.LOCALAPPDATA) ?? join(home, "AppData", "Local"), "rephysco", "Data");
  }
  return join(home, ".local", "share", "rephysco");
}

/**
 * Where the CLI keeps what the user set (keys, aliases, templates, settings):
 * `REPHYSCO_CONFIG_DIR`, else `$XDG_CONFIG_HOME/rephysco`, else the platform's usual place
 * (`~/.config/rephysco`; `~/Library/Preferences/rephysco` on macOS; `%APPDATA%\rephysco\Config`
 * on Windows).
 */
export function configDir(context: DirContext = {}): string {
  const env = context.env ?? process.env;
  const explicit = nonEmpty(env.REPHYSCO_CONFIG_DIR);
  if (explicit) return resolve(explicit);
  const xdg = nonEmpty(env.XDG_CONFIG_HOME);
  if (xdg && isAbsolute(xdg)) return join(xdg, "rephysco");
  const home = context.homedir ?? homedir();
  const platform = context.platform ?? process.platform;
  if (platform === "darwin") return join(home, "Library", "Preferences", "rephysco");
  if (platform === "win32") {
    return join(nonEmpty(env.APPDATA) ?? join(home, "AppData", "Roaming"), "rephysco", "Config");
  }
  return join(home, ".config", "rephysco");
}

/**
 * Creates `dir` (and its missing parents) readable by the user only (0700, never wider whatever
 * the umask). An existing directory is tightened to 0700 only when it is one of the CLI's own
 * (named `rephysco`, or inside one): `REPHYSCO_DATA_DIR` may name a shared directory, which must
 * not be locked; the files in it are 0600 anyway.
 */
export function ensurePrivateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  // Our own directories (the default places, named rephysco) are tightened even when they
  // already existed wider: the 0700. A directory named by REPHYSCO_*_DIR is left alone.
  if (process.platform !== "win32" && isOwnDir(dir)) chmodSync(dir, 0o700);
}

/** `…/rephysco`, or a directory inside one (`…/rephysco/templates`, `…\\rephysco\\Data`). */
function isOwnDir(dir: string): boolean {
  const parts = resolve(dir).split(sep);
  return parts.at(-1) === "rephysco" || parts.at(-2) === "rephysco";
}

/**
 * Writes `text` to `path` readable by the user only (0600), atomically: a temporary file in the
 * same directory, synced, then renamed over the old one. A reader (another `rephysco` process)
 * sees the old file or the new one, never half of one; a crash leaves the old one.
 */
export function writePrivateFile(path: string, text: string): void {
  ensurePrivateDir(dirname(path));
  const temp = `${path}.${process.pid}.${Date.now()}.tmp`;
  const fd = openSync(temp, "wx", 0o600);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } catch (error) {
    closeSync(fd);
    rmSync(temp, { force: true });
    throw error;
  }
  closeSync(fd);
  try {
    renameSync(temp, path);
  } catch (error) {
    rmSync(temp, { force: true });
    throw error;
  }
}

/** The CLI's own files are small; a larger one is not read. */
export const MAX_SETTINGS_BYTES = 1024 * 1024;

/** Reads one of the CLI's own files, or `undefined` when it does not exist. */
export function readPrivateFile(path: string): string | undefined {
  return readTextFile(path, MAX_SETTINGS_BYTES);
}
