import { join } from "node:path";
import { UsageError } from "../usage-error.js";
import { configDir, type DirContext, readPrivateFile, writePrivateFile } from "./dirs.js";

/** What `settings.json` in the config directory holds. Every field is optional. */
export interface Settings {
  /** The model `-m` falls back to (after a template's model): an alias, a model or `provider/model`. */
  readonly defaultModel?: string;
  /** Short names for models: `fast` → `openai/gpt-4.1-mini`. */
  readonly aliases?: Readonly<Record<string, string>>;
  /** `false` after `rephysco logs off`: prompts and answers are not recorded. */
  readonly log?: boolean;
}

/** Path of the settings file. */
export function settingsPath(context: DirContext = {}): string {
  return join(configDir(context), "settings.json");
}

/** A JSON object whose values are all strings (aliases, stored keys). */
export function isRecordOfStrings(value: unknown): value is Record<string, string> {
  return (
    typeof value === "object" &&
    value !== null &&
    !Array.isArray(value) &&
    Object.values(value).every((v) => typeof v === "string")
  );
}

/**
 * Reads the settings; `{}` when there are none yet.
 *
 * @throws {UsageError} naming the file and the field when it is not valid (fix or delete it).
 */
export function readSettings(context: DirContext = {}): Settings {
  const path = settingsPath(context);
  const text = readPrivateFile(path);
  if (text === undefined) return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new UsageError(
      `${path} is not valid JSON (${(error as Error).message}): fix or delete it.`,
    );
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new UsageError(`${path} must hold a JSON object: fix or delete it.`);
  }
  const v = value as Record<string, unknown>;
  if (v.defaultModel !== undefined && typeof v.defaultModel !== "string") {
    throw new UsageError(`${path}: "defaultModel" must be a string.`);
  }
  if (v.aliases !== undefined && !isRecordOfStrings(v.aliases)) {
    throw new UsageError(`${path}: "aliases" must be an object of strings.`);
  }
  if (v.log !== undefined && typeof v.log !== "boolean") {
    throw new UsageError(`${path}: "log" must be true or false.`);
  }
  return v as Settings;
}

/**
 * Changes the settings: reads them, applies `change`, writes them back atomically (0600).
 * Fields set to `undefined` by `change` are removed.
 */
export function updateSettings(
  change: (current: Settings) => Settings,
  context: DirContext = {},
): Settings {
  const next = change(readSettings(context));
  writePrivateFile(settingsPath(context), `${JSON.stringify(next, null, 2)}\n`);
  return next;
}
