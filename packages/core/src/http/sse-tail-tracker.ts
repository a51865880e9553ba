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
  #eventLength = 0; // characters of the event being received, line ends included

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

  /**
   * Characters (UTF-16 code units) received since the last blank line: the size of the event
   * being received, which the parser buffers until the event ends.
   */
  get eventLength(): number {
    return this.#eventLength;
  }

  /** `true` when the input so far ends inside an event that carries data. */
  get inEvent(): boolean {
    return this.#eventHasData || isDataLine(this.#lineHead);
  }

  #takeLinePart(text: string, from: number, to: number): void {
    if (to <= from) return;
    this.#lineEmpty = false;
    this.#eventLength += to - from;
    if (this.#lineHead.length < 5)
      this.#lineHead += text.slice(from, Math.min(to, from + 5 - this.#lineHead.length));
  }

  #endLine(): void {
    if (this.#lineEmpty) {
      // A blank line ends the event.
      this.#eventHasData = false;
      this.#eventLength = 0;
    } else {
      this.#eventLength += 1; // the line end
      if (isDataLine(this.#lineHead)) this.#eventHasData = true;
    }
    this.#lineHead = "";
    this.#lineEmpty = true;
  }
}

function isDataLine(head: string): boolean {
  return head === "data" || head.startsWith("data:");
}
