import type { Colors } from "picocolors/types";
import { LinkTails } from "./markdown-link.js";

/**
 * Inline Markdown of one line for the terminal: `**bold**`, `*italic*` / `_italic_`, `` `code` ``,
 * `~~strike~~`, `[text](url)` as `text (url)`, and backslash escapes. One pass over the line:
 * closing delimiters are found through positions collected beforehand, never by searching the
 * rest of the line again, so a line of a million unmatched `*` or `[` still costs linear time.
 *
 * Nothing the model wrote is dropped except the markers of constructs that were rendered: a `[`
 * that does not start a well-formed link, a `*` that closes nothing, stay as they are.
 */

/** The emphasis delimiters; at most one frame of each kind is open, so the stack stays tiny. */
type Kind = "*" | "**" | "_" | "__" | "~~";

/** An open emphasis: its delimiter and what was rendered inside it so far. */
interface Frame {
  readonly kind: Kind | "";
  readonly parts: string[];
}

const SPECIAL = /[\\`*_~[!]/g;
const ASCII_PUNCTUATION = /[!-/:-@[-`{-~]/;
const WHITE_SPACE = /\s/;
const ALPHANUMERIC = /[\p{L}\p{N}]/u;

/** Positions of `char` in `text`, ascending. */
function positionsOf(text: string, char: string): number[] {
  const found: number[] = [];
  for (let i = text.indexOf(char); i >= 0; i = text.indexOf(char, i + 1)) found.push(i);
  return found;
}

/** Walks an ascending list of positions forward only: the first one after a given index. */
class Cursor {
  readonly #positions: readonly number[];
  #next = 0;

  constructor(positions: readonly number[]) {
    this.#positions = positions;
  }

  /** The first position greater than `index` (or -1). `index` never goes down between calls. */
  after(index: number): number {
    while (this.#next < this.#positions.length && this.#positions[this.#next]! <= index) {
      this.#next++;
    }
    return this.#positions[this.#next] ?? -1;
  }
}

/**
 * Backtick runs and, for each opening run, where the next run of the same length starts (the
 * end of the code span), computed once from the right.
 */
function codeSpans(text: string): Map<number, { length: number; close: number }> {
  const runs: { start: number; length: number }[] = [];
  for (let i = text.indexOf("`"); i >= 0; ) {
    let end = i;
    while (text[end] === "`") end++;
    runs.push({ start: i, length: end - i });
    i = text.indexOf("`", end);
  }
  const spans = new Map<number, { length: number; close: number }>();
  const nextOfLength = new Map<number, number>();
  for (let r = runs.length - 1; r >= 0; r--) {
    const { start, length } = runs[r]!;
    spans.set(start, { length, close: nextOfLength.get(length) ?? -1 });
    nextOfLength.set(length, start);
  }
  return spans;
}

/** Renders the inline Markdown of one line (no line breaks in `text`) with `c`'s styles. */
export function renderInline(text: string, c: Colors): string {
  if (!/[\\`*_~[]/.test(text)) return text;
  return new InlineRenderer(text, c).render();
}

/**
 * How much of `text`, the beginning of a line whose rest has not arrived yet, can be rendered
 * already: the length of its longest prefix that ends with white space outside every inline
 * construct, each construct before it decided without looking past the end of `text` (an
 * unmatched `*`, `` ` `` or `[` might still be closed by what follows, so the prefix stops before
 * it). For such a length `n`, `renderInline(text.slice(0, n)) + renderInline(rest)` is exactly
 * `renderInline(text.slice(0, n) + rest)`, whatever `rest` turns out to be. 0 when there is none.
 */
export function stableLength(text: string, c: Colors): number {
  if (!/[\\`*_~[]/.test(text)) return lastWhiteSpace(text, 0, text.length) + 1;
  const renderer = new InlineRenderer(text, c);
  renderer.render();
  return renderer.stable;
}

/** The index of the last white space character in `text[from, to)`, or -1. */
function lastWhiteSpace(text: string, from: number, to: number): number {
  for (let i = to - 1; i >= from; i--) {
    if (WHITE_SPACE.test(text[i]!)) return i;
  }
  return -1;
}

class InlineRenderer {
  readonly #text: string;
  readonly #c: Colors;
  readonly #stack: Frame[] = [{ kind: "", parts: [] }];
  readonly #spans: Map<number, { length: number; close: number }>;
  readonly #brackets: Cursor;
  readonly #tails: LinkTails;
  /**
   * Set once a decision depended on the end of the text (a `*` at the very end, a `[` with no
   * `]` after it): what follows could change it, so no later position is stable.
   */
  #undecided = false;
  /** See {@link stableLength}: the end of the last white space met in plain text at top level. */
  #stable = 0;

  constructor(text: string, c: Colors) {
    this.#text = text;
    this.#c = c;
    this.#spans = codeSpans(text);
    this.#brackets = new Cursor(positionsOf(text, "]"));
    this.#tails = new LinkTails(text);
  }

  /** After {@link render}: the length {@link stableLength} returns. */
  get stable(): number {
    return this.#stable;
  }

  render(): string {
    const text = this.#text;
    let plain = 0;
    let i = 0;
    while (i < text.length) {
      SPECIAL.lastIndex = i;
      const match = SPECIAL.exec(text);
      if (!match) break;
      i = match.index;
      this.#plain(plain, i);
      i = this.#special(i);
      plain = i;
    }
    this.#plain(plain, text.length);
    // Whatever is still open had no closing delimiter: it was plain text after all.
    while (this.#stack.length > 1) this.#collapse();
    return this.#stack[0]!.parts.join("");
  }

  #emit(part: string): void {
    if (part) this.#stack.at(-1)!.parts.push(part);
  }

  /** Emits the plain text `[from, to)`, noting a white space in it at top level as stable. */
  #plain(from: number, to: number): void {
    if (from >= to) return;
    this.#emit(this.#text.slice(from, to));
    if (this.#undecided || this.#stack.length > 1) return;
    const space = lastWhiteSpace(this.#text, from, to);
    if (space >= 0) this.#stable = space + 1;
  }

  /** Handles the special character at `i`; returns where plain text resumes. */
  #special(i: number): number {
    const text = this.#text;
    const char = text[i]!;
    if (char === "\\") {
      const next = text[i + 1];
      if (next !== undefined && ASCII_PUNCTUATION.test(next)) {
        this.#emit(next);
        return i + 2;
      }
      if (next === undefined) this.#undecided = true;
      this.#emit("\\");
      return i + 1;
    }
    if (char === "`") return this.#code(i);
    if (char === "[") return this.#link(i, i + 1);
    if (char === "!") {
      if (text[i + 1] === "[") return this.#link(i, i + 2);
      if (i + 1 === text.length) this.#undecided = true;
      this.#emit("!");
      return i + 1;
    }
    let end = i;
    while (text[end] === char) end++;
    // Whether a run opens or closes depends on the character after it.
    if (end === text.length) this.#undecided = true;
    if (char === "~") this.#strike(i, end);
    else this.#emphasis(char as "*" | "_", i, end);
    return end;
  }

  #code(i: number): number {
    const span = this.#spans.get(i);
    // An escaped backtick may have split a run: treat what is left as plain backticks.
    if (!span) {
      let end = i;
      while (this.#text[end] === "`") end++;
      this.#emit(this.#text.slice(i, end));
      return end;
    }
    if (span.close < 0) {
      // A run of the same length may still come.
      this.#undecided = true;
      this.#emit("`".repeat(span.length));
      return i + span.length;
    }
    let code = this.#text.slice(i + span.length, span.close);
    // As in CommonMark: one space on both sides is padding (so that `` ` `` can hold a backtick).
    if (code.length > 2 && code.startsWith(" ") && code.endsWith(" ") && code.trim()) {
      code = code.slice(1, -1);
    }
    this.#emit(code ? this.#c.cyan(code) : "");
    return span.close + span.length;
  }

  /** `[label](url)` (or `![alt](url)` from `start`), `label` starting at `labelStart`. */
  #link(start: number, labelStart: number): number {
    const text = this.#text;
    const close = this.#brackets.after(labelStart - 1);
    const tail = close < 0 ? "open" : this.#tails.at(close + 1);
    if (typeof tail === "string") {
      // Not a link (yet): the brackets and everything after them are text.
      if (tail === "open") this.#undecided = true;
      this.#emit(text.slice(start, labelStart));
      return labelStart;
    }
    const image = start !== labelStart - 1;
    const label = renderInline(text.slice(labelStart, close), this.#c) || (image ? "image" : "");
    const c = this.#c;
    const title = tail.title ? ` ${tail.title}` : "";
    if (label === tail.destination && !title) this.#emit(c.dim(tail.destination));
    else this.#emit(`${label} (${c.dim(tail.destination)}${title})`);
    return tail.end;
  }

  #strike(i: number, end: number): void {
    const text = this.#text;
    if (end - i === 2) {
      const open = this.#find((kind) => kind === "~~");
      if (open >= 0 && i > 0 && !WHITE_SPACE.test(text[i - 1]!)) {
        this.#close(open);
        return;
      }
      const next = text[end];
      if (open < 0 && next !== undefined && !WHITE_SPACE.test(next)) {
        this.#stack.push({ kind: "~~", parts: [] });
        return;
      }
    }
    this.#emit(text.slice(i, end));
  }

  #emphasis(char: "*" | "_", i: number, end: number): void {
    const text = this.#text;
    const before = text[i - 1];
    const after = text[end];
    let canOpen = after !== undefined && !WHITE_SPACE.test(after);
    let canClose = before !== undefined && !WHITE_SPACE.test(before);
    // snake_case_names stay as they are: `_` never opens or closes inside a word.
    if (char === "_") {
      canOpen &&= before === undefined || !ALPHANUMERIC.test(before);
      canClose &&= after === undefined || !ALPHANUMERIC.test(after);
    }
    let rest = end - i;
    const single = char;
    const double = `${char}${char}` as "**" | "__";
    while (canClose && rest > 0) {
      // A delimiter of exactly this length closes first (`**a *b**` is bold), else the innermost.
      let open = this.#find((kind) => kind.length === rest && kind[0] === char);
      if (open < 0) open = this.#find((kind) => kind.length <= rest && kind[0] === char);
      if (open < 0) break;
      rest -= this.#stack[open]!.kind.length;
      this.#close(open);
    }
    if (canOpen && rest >= 2 && this.#find((kind) => kind === double) < 0) {
      this.#stack.push({ kind: double, parts: [] });
      rest -= 2;
    }
    if (canOpen && rest >= 1 && this.#find((kind) => kind === single) < 0) {
      this.#stack.push({ kind: single, parts: [] });
      rest -= 1;
    }
    if (rest > 0) this.#emit(char.repeat(rest));
  }

  /** The innermost open frame whose kind passes `test`, or -1. */
  #find(test: (kind: Kind) => boolean): number {
    for (let f = this.#stack.length - 1; f > 0; f--) {
      if (test(this.#stack[f]!.kind as Kind)) return f;
    }
    return -1;
  }

  /** Turns the innermost frame back into plain text (its delimiter and content). */
  #collapse(): void {
    const frame = this.#stack.pop()!;
    const parent = this.#stack.at(-1)!.parts;
    parent.push(frame.kind);
    for (const part of frame.parts) parent.push(part);
  }

  /** Closes the frame at `index`, frames opened inside it becoming plain text. */
  #close(index: number): void {
    while (this.#stack.length - 1 > index) this.#collapse();
    const frame = this.#stack.pop()!;
    const content = frame.parts.join("");
    const parent = this.#stack.at(-1)!.parts;
    if (!content) {
      parent.push(frame.kind, frame.kind);
      return;
    }
    const c = this.#c;
    const style =
      frame.kind === "~~" ? c.strikethrough : frame.kind.length === 2 ? c.bold : c.italic;
    parent.push(style(content));
  }
}
