import type { ExitCode } from "./exit-codes.js";
import { formatError } from "./format-error.js";
import type { Terminal } from "./terminal.js";

/**
 * Prints an error as one `error: ...` line on stderr (with the stack and cause chain only under
 * `--debug`) and returns the exit code it deserves.
 */
export function printError(term: Terminal, error: unknown, debug: boolean): ExitCode {
  const { message, exitCode } = formatError(error);
  term.stderr.write(`${term.err.red(term.err.bold("error:"))} ${message}\n`);
  if (debug) {
    for (let e: unknown = error, depth = 0; e !== undefined && depth < 5; depth++) {
      const text = e instanceof Error ? (e.stack ?? `${e.name}: ${e.message}`) : String(e);
      term.stderr.write(`${term.err.dim(depth === 0 ? text : `Caused by: ${text}`)}\n`);
      e = e instanceof Error ? e.cause : undefined;
    }
  }
  return exitCode;
}
