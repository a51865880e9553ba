import { existsSync } from "node:fs";
import { join } from "node:path";

/**
 * Loads `.env` from `cwd` into `process.env` with Node's own parser. Variables already set in
 * the environment win, so `OPENAI_API_KEY=... rephysco ...` overrides the file.
 *
 * @returns the path loaded, or `undefined` when there is no `.env`.
 * @throws when the file exists but cannot be read.
 */
export function loadEnvFile(cwd: string = process.cwd()): string | undefined {
  const file = join(cwd, ".env");
  if (!existsSync(file)) return undefined;
  process.loadEnvFile(file);
  return file;
}
