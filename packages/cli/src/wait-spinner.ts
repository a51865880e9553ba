import { isatty } from "node:tty";
import { createSpinner, type Spinner } from "nanospinner";
import type { CliOutput, Terminal } from "./terminal.js";

/** What the CLI shows while it waits for the first token. */
export interface WaitSpinner {
  /** Changes the text next to the spinner. */
  update(text: string): void;
  /** Removes the spinner from the screen (safe to call more than once). */
  stop(): void;
}

const NONE: WaitSpinner = { update() {}, stop() {} };

/**
 * Whether a spinner can animate on `stderr` without leaving a mess behind.
 *
 * - stderr must be a terminal that reports its width: nanospinner divides by `columns`, and with
 *   0 (a pty with no size) its clear() never ends.
 * - nanospinner switches to printing plain lines when `CI` is set, `TERM` is `dumb`, or fd 1 is
 *   not a terminal; each of those would leave a stray line on stderr, so no spinner at all.
 *
 * @param stderr - the stream the spinner would draw on.
 * @param env - the environment (nanospinner reads `process.env` itself).
 * @param stdoutIsTTY - whether fd 1 is a terminal (nanospinner checks fd 1, not our stream).
 */
export function canSpin(
  stderr: CliOutput,
  env: NodeJS.ProcessEnv = process.env,
  stdoutIsTTY: boolean = isatty(1),
): boolean {
  return (
    stderr.isTTY === true &&
    (stderr.columns ?? 0) > 0 &&
    !("CI" in env) &&
    env.TERM !== "dumb" &&
    stdoutIsTTY
  );
}

/** Starts a spinner on stderr when {@link canSpin} allows it; otherwise shows nothing. */
export function startSpinner(term: Terminal, text: string, enabled = true): WaitSpinner {
  if (!enabled || !canSpin(term.stderr)) return NONE;
  let spinner: Spinner | undefined = createSpinner(term.err.dim(text), {
    stream: term.stderr as NodeJS.WriteStream,
    color: "cyan",
  }).start();
  return {
    update(next) {
      spinner?.update({ text: term.err.dim(next) });
    },
    stop() {
      // stop() without arguments clears the line and restores the cursor.
      spinner?.stop();
      spinner = undefined;
    },
  };
}
