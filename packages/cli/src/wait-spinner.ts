import { isatty } from "node:tty";
import { createSpinner, type Spinner } from "nanospinner";
import type { Terminal } from "./terminal.js";

/** What the CLI shows while it waits for the first token. */
export interface WaitSpinner {
  /** Changes the text next to the spinner. */
  update(text: string): void;
  /** Removes the spinner from the screen (safe to call more than once). */
  stop(): void;
}

const NONE: WaitSpinner = { update() {}, stop() {} };

/**
 * Starts a spinner on stderr, only when stderr is a terminal. nanospinner decides between
 * animating and printing plain lines by looking at fd 1, so stdout must be a terminal too or it
 * would leave a stray line on stderr; when either is redirected, there is no spinner at all.
 */
export function startSpinner(term: Terminal, text: string, enabled = true): WaitSpinner {
  if (!enabled || term.stderr.isTTY !== true || !isatty(1)) return NONE;
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
