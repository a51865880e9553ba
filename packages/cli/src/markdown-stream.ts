/**
 * Markdown answers rendered for the terminal while they stream.
 *
 * Hand-written rather than built on a Markdown library: the libraries worth having (`marked`,
 * `markdown-it`, `remark`) parse whole documents, so showing a stream with them means parsing
 * everything received so far again on every chunk and redrawing the screen, which is quadratic
 * and fights the terminal's scrollback. Here each line is rendered once, as soon as its line break
 * arrives, with only the little block state that crosses lines kept (an open code fence, a
 * table), so the cost is linear in the answer. The price is what only hindsight can tell: a
 * setext heading's underline (`---` under a paragraph) shows as a rule, and lazy continuation
 * lines of a quote or list item show as plain text.
 *
 * A line of prose does not wait for its line break (a one-paragraph answer would otherwise show
 * nothing until the end): once its start can no longer be a heading, fence, table row or rule,
 * its head (bullet, number, quote bars) is written, then its text up to the last white space
 * before which every inline construct is closed and decided ({@link stableLength}). The rest of
 * the line is rendered later as a continuation of it. Those cuts are chosen so that the bytes
 * written are the same however the answer is split into pieces, and the same as rendering it
 * whole: the pieces of a line are exactly the rendering of the whole line.
 *
 * Text from the model is cleaned of terminal controls ({@link stripTerminalControls}) line by
 * line BEFORE any styling: the model cannot send escape sequences, hyperlinks or `\r`
 * overwrites, and the only escapes in the output are the styles added here. With colours off
 * (`NO_COLOR`, a dumb terminal) the structure is still rendered (bullets, `text (url)` links,
 * no `**` markers) but no escape is written at all.
 */
import type { Colors } from "picocolors/types";
import { renderInline, stableLength } from "./markdown-inline.js";
import { stripTerminalControls } from "./terminal-text.js";

/** Options of {@link MarkdownStream}. */
export interface MarkdownStreamOptions {
  /** The styles to use: `term.out` (no-ops when stdout is not a colour terminal). */
  readonly colors: Colors;
  /**
   * Receives the rendered text: whole lines, each ending with `\n`, and the stable beginning of a
   * line of prose before its line break (see {@link MarkdownStream}).
   */
  readonly write: (text: string) => void;
  /** Width of a horizontal rule, in columns (default 40). */
  readonly ruleWidth?: number;
}

/** An open code fence: its character and length (a closing fence must be at least as long). */
interface Fence {
  readonly char: "`" | "~";
  readonly length: number;
}

const FENCE_OPEN = /^(\s*)(`{3,}|~{3,})(.*)$/;
const FENCE_CLOSE = /^\s*(`{3,}|~{3,})\s*$/;
const HEADING = /^ {0,3}(#{1,6})(?:[ \t]|$)/;
const RULE = /^ {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$/;
const QUOTE = /^ {0,3}> ?/;
const BULLET = /^(\s*)[-*+]([ \t]+)(.*)$/;
const NUMBERED = /^(\s*)(\d{1,9}[.)])([ \t]+)(.*)$/;
/** A table's delimiter row, trimmed (`|---|:--:|`, `--- | ---`). */
const TABLE_DELIMITER = /^\|?\s*:?-+:?\s*(?:\|\s*:?-+:?\s*)*\|?$/;
const PIPE = /(?<!\\)\|/;
/** Quote markers one after the other (`> > text`), matched from `lastIndex`. */
const QUOTE_AT = / {0,3}> ?/y;
/**
 * Characters that can start a block construct (markers, digits of a number, indentation); the
 * first character outside them settles what kind of line this is, whatever follows it.
 */
const BLOCK_MARKUP = /[^\s#>\-*+_|:`~\d.)]/;
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding terminal controls is the point
const CONTROL_OR_BREAK = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u2028\u2029]/;

/**
 * How a line outside code and tables is shown: rendered whole (a heading, a rule, an empty
 * quote), or a head (bullet, number, quote bars; empty for a paragraph) followed by the inline
 * Markdown of the line from `start`.
 */
type Leaf = { readonly whole: string } | { readonly head: string; readonly start: number };

/** The default width of a horizontal rule. */
const RULE_WIDTH = 40;

/**
 * A streaming Markdown renderer: {@link write} the answer's text as it arrives, then {@link end}.
 * Complete lines are rendered and written at once; of the incomplete last line, prose is written
 * up to a stable point (see the module comment), anything else waits for its line break (or for
 * {@link end}).
 *
 * @example
 * ```ts
 * const md = new MarkdownStream({ colors: term.out, write: (s) => term.stdout.write(s) });
 * for await (const delta of deltas) md.write(delta);
 * md.end();
 * ```
 */
export class MarkdownStream {
  readonly #c: Colors;
  readonly #out: (text: string) => void;
  readonly #ruleWidth: number;
  /** What was received after the last line break and not written yet. */
  #tail = "";
  #fence: Fence | undefined;
  /** After a table's delimiter row, rows need no leading pipe. */
  #inTable = false;
  /** The current line's head and the start of its text are written; `#tail` is the rest of it. */
  #continued = false;
  /** The current line is written only with its line break (a heading, a fence, a table row). */
  #hold = false;
  /**
   * `#tail`'s length at which to look for a stable prefix again. Each look costs the tail's
   * length, so after a look that wrote nothing the next waits for the tail to double: a long
   * line with an early `**` that never closes costs linear time, not quadratic.
   */
  #nextLook = 0;

  constructor(options: MarkdownStreamOptions) {
    this.#c = options.colors;
    this.#out = options.write;
    this.#ruleWidth = options.ruleWidth ?? RULE_WIDTH;
  }

  /** Number of characters received but not written yet (all after the last line break). */
  get pending(): number {
    return this.#tail.length;
  }

  /**
   * Takes the next piece of the answer; writes the lines it completes, and the stable beginning
   * of the line it leaves unfinished when that is prose.
   */
  write(delta: string): void {
    const lastBreak = delta.lastIndexOf("\n");
    let rendered = "";
    if (lastBreak < 0) {
      this.#tail += delta;
    } else {
      const complete = this.#tail + delta.slice(0, lastBreak);
      this.#tail = delta.slice(lastBreak + 1);
      for (const line of complete.split("\n")) rendered += this.#line(line);
    }
    rendered += this.#early();
    if (rendered) this.#out(rendered);
  }

  /** Writes the last line (ended with a line break) and forgets any open block. */
  end(): void {
    if (this.#tail || this.#continued) {
      const tail = this.#tail;
      this.#tail = "";
      this.#out(this.#line(tail));
    }
    this.#fence = undefined;
    this.#inTable = false;
  }

  /** One line as received (without its `\n`), rendered with its line break. */
  #line(received: string): string {
    // `\r\n` endings are one break; any other `\r` becomes a break of its own (never an overwrite).
    const text = stripTerminalControls(received.endsWith("\r") ? received.slice(0, -1) : received);
    let rendered = "";
    for (const line of text.split("\n")) {
      // The rest of a line begun early is more of its inline text: its head is already out.
      rendered += `${this.#continued ? renderInline(line, this.#c) : this.#block(line)}\n`;
      this.#continued = false;
    }
    this.#hold = false;
    this.#nextLook = 0;
    return rendered;
  }

  /** The part of the unfinished line that can be written now (see {@link MarkdownStream}). */
  #early(): string {
    if (this.#hold || this.#fence || this.#inTable || this.#tail.length < this.#nextLook) {
      return "";
    }
    // Stop before the first control: what precedes it is left as it is by stripTerminalControls,
    // whatever comes after, while an escape sequence or a `\r` could still change.
    const control = this.#tail.search(CONTROL_OR_BREAK);
    const clean = control < 0 ? this.#tail : this.#tail.slice(0, control);
    let head = "";
    let start = 0;
    if (!this.#continued) {
      const leaf = this.#leading(clean);
      if (leaf === null) {
        this.#hold = true;
        return "";
      }
      if (leaf === undefined) return this.#wait();
      ({ head, start } = leaf);
    }
    const length = stableLength(clean.slice(start), this.#c);
    if (length === 0 && !head) return this.#wait();
    const end = start + length;
    const rendered = head + renderInline(clean.slice(start, end), this.#c);
    this.#tail = this.#tail.slice(end);
    this.#continued = true;
    this.#nextLook = this.#tail.length + 1;
    return rendered;
  }

  /** Nothing to write yet: look again once the tail has doubled. */
  #wait(): string {
    this.#nextLook = 2 * this.#tail.length;
    return "";
  }

  /**
   * How the unfinished line `clean` (no controls) starts, when that is settled: its head and
   * where its inline text starts; `null` when it is not prose (written only with its line
   * break); `undefined` while more of it is needed to tell.
   */
  #leading(clean: string): { head: string; start: number } | null | undefined {
    // Until a character that cannot be block markup, `#`, `---`, ` ``` ` or `1.` could grow.
    if (!BLOCK_MARKUP.test(clean)) return undefined;
    if (clean.trimStart().startsWith("|") || FENCE_OPEN.test(clean)) return null;
    const leaf = this.#leafParts(clean);
    return "whole" in leaf ? null : leaf;
  }

  /** A clean line (no controls, no line break) in its block context. */
  #block(line: string): string {
    const c = this.#c;
    if (this.#fence) {
      const close = FENCE_CLOSE.exec(line);
      if (close && close[1]![0] === this.#fence.char && close[1]!.length >= this.#fence.length) {
        this.#fence = undefined;
        return c.dim(line.trimEnd());
      }
      // Code stays exactly as sent: no inline Markdown, only a colour.
      return line ? c.cyan(line) : "";
    }
    const open = FENCE_OPEN.exec(line);
    if (open && !(open[2]![0] === "`" && open[3]!.includes("`"))) {
      this.#fence = { char: open[2]![0] as Fence["char"], length: open[2]!.length };
      this.#inTable = false;
      return c.dim(line.trimEnd());
    }
    if (line.trim() === "") {
      this.#inTable = false;
      return "";
    }
    if (line.includes("|")) {
      if (TABLE_DELIMITER.test(line.trim())) {
        this.#inTable = true;
        return c.dim(line);
      }
      if (this.#inTable || line.trimStart().startsWith("|")) return this.#tableRow(line);
    }
    this.#inTable = false;
    return this.#leaf(line);
  }

  /** A line outside code and tables: heading, rule, quote, list item or paragraph text. */
  #leaf(line: string): string {
    const leaf = this.#leafParts(line);
    return "whole" in leaf ? leaf.whole : leaf.head + renderInline(line.slice(leaf.start), this.#c);
  }

  /** How {@link #leaf} shows `line`: whole, or a head and where its inline text starts. */
  #leafParts(line: string): Leaf {
    const c = this.#c;
    const heading = HEADING.exec(line);
    if (heading) {
      const hashes = heading[1]!;
      const text = headingText(line.slice(heading[0].length));
      const title = text ? ` ${renderInline(text, c)}` : "";
      // The `#` marks stay: a heading still reads as one without colour.
      const styled = c.bold(c.magenta(`${hashes}${title}`));
      return { whole: hashes.length === 1 ? c.underline(styled) : styled };
    }
    if (RULE.test(line)) return { whole: c.dim("─".repeat(this.#ruleWidth)) };
    const quote = QUOTE.exec(line);
    if (quote) {
      let start = quote[0].length;
      let depth = 1;
      QUOTE_AT.lastIndex = start;
      for (let inner = QUOTE_AT.exec(line); inner; inner = QUOTE_AT.exec(line)) {
        start += inner[0].length;
        depth++;
      }
      const bars = c.dim("│ ".repeat(depth));
      if (start === line.length) return { whole: bars };
      const rest = this.#leafParts(line.slice(start));
      return "whole" in rest
        ? { whole: bars + rest.whole }
        : { head: bars + rest.head, start: start + rest.start };
    }
    const bullet = BULLET.exec(line);
    if (bullet) {
      const [, indent, space] = bullet as unknown as [string, string, string];
      return { head: `${indent}•${space}`, start: indent.length + 1 + space.length };
    }
    const numbered = NUMBERED.exec(line);
    if (numbered) {
      const [, indent, number, space] = numbered as unknown as [string, string, string, string];
      return {
        head: `${indent}${c.bold(number)}${space}`,
        start: indent.length + number.length + space.length,
      };
    }
    return { head: "", start: 0 };
  }

  /** A table row kept as text: cells with inline Markdown, the pipes dimmed. */
  #tableRow(line: string): string {
    const cells = line.split(PIPE).map((cell) => renderInline(cell, this.#c));
    return cells.join(this.#c.dim("|"));
  }
}

/** A heading's text without the optional closing `#`s (`## Title ##`). */
function headingText(rest: string): string {
  const text = rest.trim();
  let end = text.length;
  while (end > 0 && text[end - 1] === "#") end--;
  if (end === 0) return "";
  if (end < text.length && (text[end - 1] === " " || text[end - 1] === "\t")) {
    return text.slice(0, end).trimEnd();
  }
  return text;
}

/**
 * Renders a whole answer at once, as {@link MarkdownStream} would: every line ends with `\n`
 * (the last one too); an empty answer renders as nothing.
 */
export function renderMarkdown(text: string, colors: Colors, ruleWidth?: number): string {
  let rendered = "";
  const md = new MarkdownStream({
    colors,
    write: (part) => {
      rendered += part;
    },
    ...(ruleWidth !== undefined ? { ruleWidth } : {}),
  });
  md.write(text);
  md.end();
  return rendered;
}

/** A rule width for a terminal `columns` wide: the default, or less on a narrow terminal. */
export function ruleWidthFor(columns: number | undefined): number {
  return columns !== undefined && columns > 0 ? Math.min(columns, RULE_WIDTH) : RULE_WIDTH;
}
