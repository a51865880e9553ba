import type { Terminal } from "./terminal.js";

const PREFIX = "> ";

/**
 * Writes reasoning ("thinking") text to stderr as it streams, every line prefixed with `> ` and
 * dimmed on a colour terminal, so it never mixes with the answer on stdout.
 */
export class ReasoningWriter {
  readonly #term: Terminal;
  #atLineStart = true;
  #written = false;

  constructor(term: Terminal) {
    this.#term = term;
  }

  /** `true` once any reasoning text was written. */
  get written(): boolean {
    return this.#written;
  }

  /** Writes a piece of reasoning text. */
  write(text: string): void {
    if (!text) return;
    const { stderr, err } = this.#term;
    const lines = text.split("\n");
    lines.forEach((part, i) => {
      if (part) {
        if (this.#atLineStart) stderr.write(err.dim(PREFIX));
        stderr.write(err.dim(part));
        this.#atLineStart = false;
      }
      if (i < lines.length - 1) {
        stderr.write("\n");
        this.#atLineStart = true;
      }
    });
    this.#written = true;
  }

  /** Ends the reasoning block on its own line, so that the answer starts on a fresh one. */
  end(): void {
    if (this.#written && !this.#atLineStart) {
      this.#term.stderr.write("\n");
      this.#atLineStart = true;
    }
  }
}
