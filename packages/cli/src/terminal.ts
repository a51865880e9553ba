import pc from "picocolors";
import type { Colors } from "picocolors/types";

/** A readable stream the CLI reads prompts and chat lines from. */
export type CliInput = NodeJS.ReadableStream & { readonly isTTY?: boolean };

/** A writable stream the CLI prints to. */
export type CliOutput = NodeJS.WritableStream & {
  readonly isTTY?: boolean;
  readonly columns?: number;
};

/** The streams the CLI talks through; defaults to the process's own. */
export interface CliStreams {
  /** Where prompts (generate) and chat lines come from. */
  readonly stdin?: CliInput;
  /** Answers (and `--json` output) go here, nothing else. */
  readonly stdout?: CliOutput;
  /** Spinner, reasoning, notices and errors go here. */
  readonly stderr?: CliOutput;
}

/** The streams plus what the CLI decided about them (colour, TTY). */
export interface Terminal {
  readonly stdin: CliInput;
  readonly stdout: CliOutput;
  readonly stderr: CliOutput;
  /** Colours for text written to stdout (no-ops when stdout is not a colour terminal). */
  readonly out: Colors;
  /** Colours for text written to stderr. */
  readonly err: Colors;
}

/**
 * Colour only on a terminal and never when NO_COLOR is set (https://no-color.org: any non-empty
 * value), nor on a dumb terminal that would print the escapes literally.
 */
export function colorEnabled(stream: CliOutput, env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== "") return false;
  if (env.TERM === "dumb") return false;
  return stream.isTTY === true;
}

/** Builds the {@link Terminal} for a run. */
export function createTerminal(
  streams: CliStreams = {},
  env: NodeJS.ProcessEnv = process.env,
): Terminal {
  const stdin = streams.stdin ?? process.stdin;
  const stdout = streams.stdout ?? process.stdout;
  const stderr = streams.stderr ?? process.stderr;
  return {
    stdin,
    stdout,
    stderr,
    out: pc.createColors(colorEnabled(stdout, env)),
    err: pc.createColors(colorEnabled(stderr, env)),
  };
}
