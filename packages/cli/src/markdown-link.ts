/**
 * The part of an inline link after its label, `(destination "title")`, parsed as CommonMark
 * does: `(`, optional white space, a destination without white space (balanced parentheses
 * allowed) or one in `<...>`, optional white space and a title in `"..."`, `'...'` or `(...)`
 * after at least one white space character, optional white space, then `)`. Anything else is not
 * a link, and its brackets stay as text.
 *
 * Every question (where does a destination starting here end, where is the next unescaped `"`)
 * is answered from tables built once per line, so trying a link at each of 100,000 `[` costs
 * linear time, not a scan of the rest of the line each.
 */

/** A link tail that parsed. */
export interface LinkTail {
  /** The destination without its `<>` and with backslash escapes resolved. */
  readonly destination: string;
  /** The title as written, its quotes or parentheses included; empty when there is none. */
  readonly title: string;
  /** Where the text after the closing `)` starts. */
  readonly end: number;
}

/**
 * What {@link LinkTails.at} found: the tail, `"none"` (not a link, whatever follows), or
 * `"open"` (the text ended before it was decided: more text could still make it a link).
 */
export type LinkTailResult = LinkTail | "none" | "open";

const ASCII_PUNCTUATION = /[!-/:-@[-`{-~]/;
const WHITE_SPACE = /\s/;

/** The link tails of one line of text (no line breaks in it). */
export class LinkTails {
  readonly #text: string;
  #tables: Tables | undefined;
  #lastOpen = -1;
  #lastResult: LinkTailResult = "none";

  constructor(text: string) {
    this.#text = text;
  }

  /** The link tail whose `(` is at `open` (the character after a label's `]`). */
  at(open: number): LinkTailResult {
    // Every `[` before the same `]` asks about the same tail: answer it once.
    if (open !== this.#lastOpen) {
      this.#lastOpen = open;
      this.#lastResult = this.#parse(open);
    }
    return this.#lastResult;
  }

  #parse(open: number): LinkTailResult {
    const text = this.#text;
    if (open >= text.length) return "open";
    if (text[open] !== "(") return "none";
    this.#tables ??= new Tables(text);
    const t = this.#tables;
    const start = t.nextNonSpace[open + 1]!;
    if (start < 0) return "open";
    let destination: string;
    let after: number;
    if (text[start] === "<") {
      const close = t.next(">", start + 1);
      const inner = t.next("<", start + 1);
      if (inner >= 0 && (close < 0 || inner < close)) return "none";
      if (close < 0) return "open";
      destination = text.slice(start + 1, close);
      after = close + 1;
    } else {
      const drop = t.dropAt[start]!;
      const space = t.nextSpace[start]!;
      if (drop >= 0 && (space < 0 || drop < space)) {
        // The first `)` that no `(` of the destination matches ends the destination and the link.
        if (drop === start) return "none";
        return { destination: resolveEscapes(text.slice(start, drop)), title: "", end: drop + 1 };
      }
      if (space < 0) return "open";
      if (t.balance[space] !== t.balance[start]) return "none";
      destination = text.slice(start, space);
      after = space;
    }
    if (!destination) return "none";
    let close = t.nextNonSpace[after]!;
    if (close < 0) return "open";
    let title = "";
    const quote = text[close]!;
    if (close > after && (quote === '"' || quote === "'" || quote === "(")) {
      const titleEnd = t.next(quote === "(" ? ")" : quote, close + 1);
      if (quote === "(") {
        const nested = t.next("(", close + 1);
        if (nested >= 0 && (titleEnd < 0 || nested < titleEnd)) return "none";
      }
      if (titleEnd < 0) return "open";
      title = text.slice(close, titleEnd + 1);
      close = t.nextNonSpace[titleEnd + 1]!;
      if (close < 0) return "open";
    }
    if (text[close] !== ")") return "none";
    return { destination: resolveEscapes(destination), title, end: close + 1 };
  }
}

/** Backslash escapes of ASCII punctuation resolved (`a\)b` is `a)b`). */
function resolveEscapes(text: string): string {
  return text.includes("\\") ? text.replace(/\\([!-/:-@[-`{-~])/g, "$1") : text;
}

/** Tables over one line, each built in one pass. */
class Tables {
  readonly #text: string;
  /** Characters escaped by a backslash. */
  readonly #escaped: Uint8Array;
  /** Unescaped `(` minus unescaped `)` before each index (one more entry than characters). */
  readonly balance: Int32Array;
  /**
   * For each index, the first unescaped `)` at or after it that brings the balance below its
   * value there: where a destination starting at that index stops being balanced (or -1).
   */
  readonly dropAt: Int32Array;
  /** For each index (and the end), the first white space at or after it (or -1). */
  readonly nextSpace: Int32Array;
  /** For each index (and the end), the first character that is not white space, at or after it (or -1). */
  readonly nextNonSpace: Int32Array;
  /** Unescaped positions of a character, ascending, built when first asked for. */
  readonly #positions = new Map<string, number[]>();

  constructor(text: string) {
    this.#text = text;
    const n = text.length;
    this.#escaped = new Uint8Array(n);
    this.balance = new Int32Array(n + 1);
    for (let i = 0; i < n; i++) {
      const char = text[i]!;
      let delta = 0;
      if (!this.#escaped[i]) {
        if (char === "\\" && i + 1 < n && ASCII_PUNCTUATION.test(text[i + 1]!)) {
          this.#escaped[i + 1] = 1;
        } else if (char === "(") delta = 1;
        else if (char === ")") delta = -1;
      }
      this.balance[i + 1] = this.balance[i]! + delta;
    }
    this.dropAt = new Int32Array(n);
    this.nextSpace = new Int32Array(n + 1);
    this.nextNonSpace = new Int32Array(n + 1);
    this.nextSpace[n] = -1;
    this.nextNonSpace[n] = -1;
    /** For each balance value, the nearest unescaped `)` seen (scanning from the right) at it. */
    const closeAt = new Map<number, number>();
    for (let i = n - 1; i >= 0; i--) {
      const char = text[i]!;
      if (char === ")" && !this.#escaped[i]) closeAt.set(this.balance[i]!, i);
      this.dropAt[i] = closeAt.get(this.balance[i]!) ?? -1;
      const space = WHITE_SPACE.test(char);
      this.nextSpace[i] = space ? i : this.nextSpace[i + 1]!;
      this.nextNonSpace[i] = space ? this.nextNonSpace[i + 1]! : i;
    }
  }

  /** The first unescaped `char` at or after `from` (or -1), by binary search. */
  next(char: string, from: number): number {
    let positions = this.#positions.get(char);
    if (!positions) {
      positions = [];
      for (let i = this.#text.indexOf(char); i >= 0; i = this.#text.indexOf(char, i + 1)) {
        if (!this.#escaped[i]) positions.push(i);
      }
      this.#positions.set(char, positions);
    }
    let low = 0;
    let high = positions.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (positions[mid]! < from) low = mid + 1;
      else high = mid;
    }
    return positions[low] ?? -1;
  }
}
