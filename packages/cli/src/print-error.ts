import type { ExitCode } from "./exit-codes.js";
import { formatError } from "./format-error.js";
import type { Terminal } from "./terminal.js";
import { oneLine, stripTerminalControls } from "./terminal-text.js";

/** Longest message shown per error of the cause chain under `--debug`. */
const MAX_DEBUG_MESSAGE_CHARS = 4000;

/**
 * One error of the chain for `--debug`: its name and message as one safe line, then the stack's
 * frames. The stack's own first lines are not used, since they repeat the message unfiltered.
 */
function debugText(error: unknown): string {
  if (!(error instanceof Error)) return oneLine(String(error), MAX_DEBUG_MESSAGE_CHARS);
  const head = oneLine(`${error.name}: ${error.message}`, MAX_DEBUG_MESSAGE_CHARS);
  const frames = (error.stack ?? "")
    .split("\n")
    .filter((line) => /^\s+at /.test(line))
    .map((line) => stripTerminalControls(line));
  return [head, ...frames].join("\n");
}

/**
 * Prints an error as one `error: ...` line on stderr (with the stack and cause chain only under
 * `--debug`) and returns the exit code it deserves. Nothing the error carries reaches the
 * terminal raw: see {@link formatError} and `terminal-text.ts`.
 */
export function printError(term: Terminal, error: unknown, debug: boolean): ExitCode {
  const { message, exitCode } = formatError(error);
  term.stderr.write(`${term.err.red(term.err.bold("error:"))} ${message}\n`);
  if (debug) {
    for (let e: unknown = error, depth = 0; e !== undefined && depth < 5; depth++) {
      const text = debugText(e);
      term.stderr.write(`${term.err.dim(depth === 0 ? text : `Caused by: ${text}`)}\n`);
      e = e instanceof Error ? e.cause : undefined;
    }
  }
  return exitCode;
}
