import { StringDecoder } from "node:string_decoder";
import { CancelledError } from "./cancelled-error.js";
import type { CliInput, Terminal } from "./terminal.js";
import { UsageError } from "./usage-error.js";

/** A terminal stdin whose echo can be turned off. */
export type RawInput = CliInput & { setRawMode(mode: boolean): unknown };

/** Is `input` a terminal that {@link readHidden} can read from? */
export function canGoRaw(input: CliInput): input is RawInput {
  return input.isTTY === true && typeof (input as Partial<RawInput>).setRawMode === "function";
}

const ESC = "\u001b";
/** What a terminal sends before and after pasted text once bracketed paste is on. */
const PASTE_START = `${ESC}[200~`;
const PASTE_END = `${ESC}[201~`;
/** Longest escape sequence waited for; anything longer is dropped as noise. */
const MAX_SEQUENCE_CHARS = 64;

/** What {@link HiddenLineEditor.feed} saw: the line ended, or the user gave up. */
export type HiddenLineResult =
  | { readonly kind: "line"; readonly line: string }
  | { readonly kind: "cancelled" }
  | { readonly kind: "eof" };

/**
 * How many characters of `chars`, from `start` (an ESC), one escape sequence takes: CSI
 * (`ESC [` parameters, intermediates, a final byte), SS3 (`ESC O` and one character), or ESC and
 * any one character (Alt+key). `undefined` when the sequence is not complete yet.
 */
function sequenceLength(chars: readonly string[], start: number): number | undefined {
  const next = chars[start + 1];
  if (next === undefined) return undefined;
  // ESC ESC: a lone Escape, or the Alt+ prefix of the sequence that follows. Drop one ESC.
  if (next === ESC) return 1;
  if (next === "O") return start + 2 < chars.length ? 3 : undefined;
  if (next !== "[") return 2;
  let i = start + 2;
  while (i < chars.length && /[0-?]/.test(chars[i] as string)) i++;
  while (i < chars.length && /[ -/]/.test(chars[i] as string)) i++;
  if (i >= chars.length) return undefined;
  // A final byte ends it; anything else ends a malformed sequence, and is read as typed.
  return /[@-~]/.test(chars[i] as string) ? i - start + 1 : i - start;
}

/**
 * The line editing of {@link readHidden}, apart from any stream so that it can be fed by hand.
 * Enter ends the line; Backspace removes the last character; Ctrl+U clears the line; Ctrl+C
 * cancels, and so does Ctrl+D on an empty line. Escape sequences (arrows, function keys, Alt+
 * combinations) are dropped, even when a read splits one; a multi-byte character split across
 * reads is decoded whole. Bracketed paste (`ESC[200~` ... `ESC[201~`) is taken as typed text,
 * line breaks included, without its brackets: a pasted line break does not end the line.
 */
export class HiddenLineEditor {
  readonly #decoder = new StringDecoder("utf8");
  #line: string[] = [];
  /** The start of an escape sequence that the next read completes. */
  #pending = "";
  #pasting = false;

  /**
   * Takes one read from the terminal.
   *
   * @returns how the line ended, or `undefined` while it goes on (what follows the end in the same
   * read is ignored).
   */
  feed(chunk: Buffer | string): HiddenLineResult | undefined {
    const text = this.#pending + (typeof chunk === "string" ? chunk : this.#decoder.write(chunk));
    this.#pending = "";
    const chars = Array.from(text);
    for (let i = 0; i < chars.length; ) {
      const ch = chars[i] as string;
      if (ch === ESC) {
        const length = sequenceLength(chars, i);
        if (length === undefined) {
          const rest = chars.slice(i).join("");
          if (rest.length <= MAX_SEQUENCE_CHARS) this.#pending = rest;
          return undefined;
        }
        const sequence = chars.slice(i, i + length).join("");
        if (sequence === PASTE_START) this.#pasting = true;
        else if (sequence === PASTE_END) this.#pasting = false;
        i += length;
        continue;
      }
      i++;
      // Ctrl+C cancels even inside a paste, so that a lost end of paste cannot trap the user.
      if (ch === "\u0003") return { kind: "cancelled" };
      if (this.#pasting) {
        this.#line.push(ch);
        continue;
      }
      if (ch === "\r" || ch === "\n") return { kind: "line", line: this.#line.join("") };
      if (ch === "\u0004") {
        if (this.#line.length === 0) return { kind: "eof" };
      } else if (ch === "\u007f" || ch === "\b") this.#line.pop();
      else if (ch === "\u0015") this.#line = [];
      else this.#line.push(ch);
    }
    return undefined;
  }
}

/**
 * Reads a line from a terminal without echoing it: raw mode, so nothing typed is shown, and the
 * editing a terminal would do is done here (see {@link HiddenLineEditor}). Raw mode is turned off
 * again however the read ends, and the promise always settles.
 *
 * @throws {CancelledError} on Ctrl+C (exit code 130).
 * @throws {UsageError} on Ctrl+D on an empty line, or when stdin ends before Enter.
 * @throws {Error} when reading the terminal fails.
 */
export function readHidden(input: RawInput, term: Terminal, prompt: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const editor = new HiddenLineEditor();
    let settled = false;
    const finish = (result: string | Error): void => {
      if (settled) return;
      settled = true;
      input.removeListener("data", onData);
      input.removeListener("end", onEnd);
      input.removeListener("error", onError);
      try {
        input.setRawMode(false);
      } catch {
        // Nothing more can be done for a terminal that refuses; the answer still comes.
      }
      input.pause();
      term.stderr.write("\n");
      if (typeof result === "string") resolve(result);
      else reject(result);
    };
    const onData = (chunk: Buffer | string): void => {
      const result = editor.feed(chunk);
      if (result === undefined) return;
      if (result.kind === "line") finish(result.line);
      else if (result.kind === "cancelled")
        finish(new CancelledError("Cancelled: no key was stored."));
      else finish(new UsageError("Cancelled: no key was stored."));
    };
    const onEnd = (): void =>
      finish(new UsageError("stdin ended before Enter: no key was stored."));
    const onError = (error: Error): void =>
      finish(
        new Error(`Cannot read the key from the terminal: ${error.message}`, { cause: error }),
      );
    try {
      // Echo off before the prompt shows, as getpass does: what is typed once it is up is never shown.
      input.setRawMode(true);
    } catch (error) {
      reject(
        new UsageError(
          `Cannot turn off echo on this terminal (${(error as Error).message}): pipe the key instead (rephysco keys set <provider> < key.txt).`,
        ),
      );
      return;
    }
    term.stderr.write(prompt);
    input.on("data", onData);
    input.on("end", onEnd);
    input.on("error", onError);
    input.resume();
  });
}
