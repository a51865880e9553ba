import { Option } from "commander";
import { UsageError } from "./usage-error.js";

/** The option that gives a template parameter: `--param <key> <value>` (two words). */
export const PARAM_FLAG = "--param";

/** A parameter name: what `$name` and `${name}` in a template can refer to. */
export const PARAM_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

const HOW = "Write --param <key> <value>, for example --param lang French";

/**
 * Rewrites every `--param key value` (two words) before a lone `--` into the one word
 * `--param=key=value`, which commander can take as a single option value; {@link parseParamOption}
 * splits it again at the first `=`, so the value may hold `=`, spaces, or start with `-`.
 * `--param=key=value` written as one word is left as it is. Words after `--` are never touched.
 *
 * Known limit: the scan does not know which options take a value, so a literal `--param` given
 * as another option's value (`-s --param`) is rewritten too; write `-s=--param` for that.
 *
 * @throws {UsageError} when the key or the value is missing, or the key holds `=`.
 * @example
 * ```ts
 * expandParamArgs(["generate", "--param", "lang", "a = b", "--", "--param"]);
 * // ["generate", "--param=lang=a = b", "--", "--param"]
 * ```
 */
export function expandParamArgs(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i] as string;
    if (word === "--") {
      out.push(...argv.slice(i));
      break;
    }
    if (word !== PARAM_FLAG) {
      out.push(word);
      continue;
    }
    const key = argv[i + 1];
    const value = argv[i + 2];
    if (key === undefined || key === "--") {
      throw new UsageError(`--param needs a key and a value. ${HOW}.`);
    }
    if (key.includes("=")) {
      throw new UsageError(
        `--param takes two words, a key and a value; got "${key}". ${HOW} (not key=value).`,
      );
    }
    if (value === undefined || value === "--") {
      throw new UsageError(`--param ${key} needs a value. ${HOW}.`);
    }
    out.push(`${PARAM_FLAG}=${key}=${value}`);
    i += 2;
  }
  return out;
}

/**
 * Commander parser of the `--param` option (after {@link expandParamArgs}): splits `key=value` at
 * the first `=` and adds it to the parameters given so far.
 *
 * @throws {UsageError} for a key that is not a parameter name (letters, digits, `_`, not starting
 * with a digit), the reserved `input`, or a key given twice.
 */
export function parseParamOption(
  word: string,
  previous: Readonly<Record<string, string>> = {},
): Record<string, string> {
  const at = word.indexOf("=");
  if (at < 0) throw new UsageError(`--param needs a key and a value. ${HOW}.`);
  const key = word.slice(0, at);
  const value = word.slice(at + 1);
  if (!PARAM_NAME.test(key)) {
    throw new UsageError(
      `--param ${JSON.stringify(key)} is not a parameter name: use letters, digits and _, not starting with a digit.`,
    );
  }
  if (key === "input") {
    throw new UsageError(
      "--param input is not allowed: $input is the input itself (the prompt arguments or stdin).",
    );
  }
  if (Object.hasOwn(previous, key)) throw new UsageError(`--param ${key} is given twice.`);
  return { ...previous, [key]: value };
}

/**
 * The `--param <key> <value>` option for `generate` and `chat` (repeatable), parsed by
 * {@link parseParamOption} into a `Record<string, string>`. Needs {@link expandParamArgs} run on
 * the arguments first.
 */
export function paramOption(): Option {
  return new Option(
    "--param <key> <value>",
    "a template parameter: $key in the template becomes value (repeatable)",
  ).argParser(parseParamOption);
}
