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
 * Text from the model is cleaned of terminal controls ({@link stripTerminalControls}) line by
 * line BEFORE any styling: the model cannot send escape sequences, hyperlinks or `\r`
 * overwrites, and the only escapes in the output are the styles added here. With colours off
 * (`NO_COLOR`, a dumb terminal) the structure is still rendered (bullets, `text (url)` links,
 * no `**` markers) but no escape is written at all.
 */
import type { Colors } from "picocolors/types";
import { renderInline } from "./markdown-inline.js";
import { stripTerminalControls } from "./terminal-text.js";

/** Options of {@link MarkdownStream}. */
export interface MarkdownStreamOptions {
  /** The styles to use: `term.out` (no-ops when stdout is not a colour terminal). */
  readonly colors: Colors;
  /** Receives the rendered text, always whole lines, each ending with `\n`. */
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

/** The default width of a horizontal rule. */
const RULE_WIDTH = 40;

/**
 * A streaming Markdown renderer: {@link write} the answer's text as it arrives, then {@link end}.
 * Complete lines are rendered and written at once; the incomplete last line waits for its line
 * break (or for {@link end}).
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
  /** The line received so far after the last line break. */
  #tail = "";
  #fence: Fence | undefined;
  /** After a table's delimiter row, rows need no leading pipe. */
  #inTable = false;

  constructor(options: MarkdownStreamOptions) {
    this.#c = options.colors;
    this.#out = options.write;
    this.#ruleWidth = options.ruleWidth ?? RULE_WIDTH;
  }

  /** Number of characters waiting for their line break. */
  get pending(): number {
    return this.#tail.length;
  }

  /** Takes the next piece of the answer; writes the lines it completes. */
  write(delta: string): void {
    const lastBreak = delta.lastIndexOf("\n");
    if (lastBreak < 0) {
      this.#tail += delta;
      return;
    }
    const complete = this.#tail + delta.slice(0, lastBreak);
    this.#tail = delta.slice(lastBreak + 1);
    let rendered = "";
    for (const line of complete.split("\n")) rendered += this.#line(line);
    this.#out(rendered);
  }

  /** Writes the last line (ended with a line break) and forgets any open block. */
  end(): void {
    if (this.#tail) {
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
    if (!text.includes("\n")) return `${this.#block(text)}\n`;
    let rendered = "";
    for (const line of text.split("\n")) rendered += `${this.#block(line)}\n`;
    return rendered;
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
    const c = this.#c;
    const heading = HEADING.exec(line);
    if (heading) {
      const hashes = heading[1]!;
      const text = headingText(line.slice(heading[0].length));
      const title = text ? ` ${renderInline(text, c)}` : "";
      // The `#` marks stay: a heading still reads as one without colour.
      const styled = c.bold(c.magenta(`${hashes}${title}`));
      return hashes.length === 1 ? c.underline(styled) : styled;
    }
    if (RULE.test(line)) return c.dim("─".repeat(this.#ruleWidth));
    const quote = QUOTE.exec(line);
    if (quote) {
      let rest = line.slice(quote[0].length);
      let depth = 1;
      for (let inner = QUOTE.exec(rest); inner; inner = QUOTE.exec(rest)) {
        rest = rest.slice(inner[0].length);
        depth++;
      }
      return `${c.dim("│ ".repeat(depth))}${rest ? this.#leaf(rest) : ""}`;
    }
    const bullet = BULLET.exec(line);
    if (bullet) return `${bullet[1]}•${bullet[2]}${renderInline(bullet[3]!, c)}`;
    const numbered = NUMBERED.exec(line);
    if (numbered) {
      return `${numbered[1]}${c.bold(numbered[2]!)}${numbered[3]}${renderInline(numbered[4]!, c)}`;
    }
    return renderInline(line, c);
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
