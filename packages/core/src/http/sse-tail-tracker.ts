const LINE_END = /\r\n|\r|\n/g;

/**
 * Follows SSE text as it streams and remembers one thing: whether the event being received has a
 * `data` line not yet closed by a blank line. eventsource-parser has no flush, so without this a
 * final unterminated event would vanish silently instead of being reported as a cut stream.
 * Linear in the input, and it keeps no text beyond the first bytes of the current line.
 */
export class SseTailTracker {
  #eventHasData = false;
  #lineHead = ""; // first bytes of the current, unfinished line
  #lineEmpty = true;
  #afterCR = false; // a chunk ended with \r: a leading \n in the next one belongs to it
  #started = false;

  /** Feeds the next piece of decoded text. */
  feed(text: string): void {
    let pos = 0;
    if (!this.#started && text !== "") {
      this.#started = true;
      if (text.charCodeAt(0) === 0xfeff) pos = 1; // a BOM does not start a field name
    }
    if (this.#afterCR && text.startsWith("\n", pos)) pos += 1;
    this.#afterCR = false;
    LINE_END.lastIndex = pos;
    for (let m = LINE_END.exec(text); m !== null; m = LINE_END.exec(text)) {
      this.#takeLinePart(text, pos, m.index);
      this.#endLine();
      pos = m.index + m[0].length;
      if (m[0] === "\r" && pos === text.length) this.#afterCR = true;
    }
    this.#takeLinePart(text, pos, text.length);
  }

  /** `true` when the input so far ends inside an event that carries data. */
  get inEvent(): boolean {
    return this.#eventHasData || isDataLine(this.#lineHead);
  }

  #takeLinePart(text: string, from: number, to: number): void {
    if (to <= from) return;
    this.#lineEmpty = false;
    if (this.#lineHead.length < 5)
      this.#lineHead += text.slice(from, Math.min(to, from + 5 - this.#lineHead.length));
  }

  #endLine(): void {
    if (this.#lineEmpty) this.#eventHasData = false;
    else if (isDataLine(this.#lineHead)) this.#eventHasData = true;
    this.#lineHead = "";
    this.#lineEmpty = true;
  }
}

function isDataLine(head: string): boolean {
  return head === "data" || head.startsWith("data:");
}
