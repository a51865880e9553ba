import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { CancelledError } from "../src/cancelled-error.js";
import { formatError } from "../src/format-error.js";
import { HiddenLineEditor, type RawInput, readHidden } from "../src/read-hidden.js";
import { normalizeKey } from "../src/store/keys.js";
import { createTerminal } from "../src/terminal.js";
import { UsageError } from "../src/usage-error.js";

/** A terminal stdin made by hand: raw mode is recorded, reads are pushed by the test. */
class FakeTty extends PassThrough {
  readonly isTTY = true;
  readonly rawModes: boolean[] = [];
  setRawMode(mode: boolean): this {
    this.rawModes.push(mode);
    return this;
  }
}

/** Feeds `reads` one by one to a fresh editor; what the last one ended with. */
function edit(...reads: Array<string | Buffer>): ReturnType<HiddenLineEditor["feed"]> {
  const editor = new HiddenLineEditor();
  let result: ReturnType<HiddenLineEditor["feed"]>;
  for (const read of reads) {
    expect(result).toBeUndefined();
    result = editor.feed(read);
  }
  return result;
}

const line = (text: string) => ({ kind: "line", line: text });

describe("HiddenLineEditor", () => {
  it("drops an escape sequence that a read splits", () => {
    expect(edit("\u001b[200", "~sk-abc\u001b[201~\r")).toEqual(line("sk-abc"));
    expect(edit("\u001b[5", "~sk-abc\r")).toEqual(line("sk-abc"));
    expect(edit("sk\u001b", "[Dabc\r")).toEqual(line("skabc"));
    expect(edit("a\u001b", "[", "1;5", "C", "b\r")).toEqual(line("ab"));
    expect(edit("a\u001bO", "Ab\r")).toEqual(line("ab"));
    // Alt+x, and Escape before an arrow key (ESC ESC [ A).
    expect(edit("a\u001b", "xb\u001b\u001b[Ac\r")).toEqual(line("abc"));
  });

  it("yields only the pasted text of a bracketed paste, split or not", () => {
    expect(edit("\u001b[200~sk-pasted-123\u001b[201~\r")).toEqual(line("sk-pasted-123"));
    expect(edit("\u001b[20", "0~sk-pas", "ted-123\u001b[2", "01~", "\r")).toEqual(
      line("sk-pasted-123"),
    );
    // A pasted line break does not end the line; the key is checked as a whole afterwards.
    const pasted = edit("\u001b[200~sk-pasted-123\r\u001b[201~", "\r");
    expect(pasted).toEqual(line("sk-pasted-123\r"));
    expect(normalizeKey((pasted as { line: string }).line)).toBe("sk-pasted-123");
  });

  it("decodes a multi-byte character that a read splits", () => {
    const bytes = Buffer.from("ké€😀\r");
    expect(
      edit(bytes.subarray(0, 2), bytes.subarray(2, 5), bytes.subarray(5, 8), bytes.subarray(8)),
    ).toEqual(line("ké€😀"));
    expect(edit(Buffer.from("a😀"), Buffer.from("\u007f\r"))).toEqual(line("a"));
  });

  it("edits: Backspace, Ctrl+U, Ctrl+D only on an empty line", () => {
    expect(edit("abc\u007f\bd\r")).toEqual(line("ad"));
    expect(edit("wrong\u0015right\n")).toEqual(line("right"));
    expect(edit("ab\u0004c\r")).toEqual(line("abc"));
    expect(edit("\u0004")).toEqual({ kind: "eof" });
  });

  it("cancels on Ctrl+C, inside a paste too", () => {
    expect(edit("half\u0003more\r")).toEqual({ kind: "cancelled" });
    expect(edit("\u001b[200~never ended", "\u0003")).toEqual({ kind: "cancelled" });
  });
});

describe("readHidden", () => {
  function setup() {
    const input = new FakeTty();
    const stderr = new PassThrough();
    let shown = "";
    stderr.setEncoding("utf8").on("data", (d: string) => {
      shown += d;
    });
    const term = createTerminal({ stdin: input, stdout: new PassThrough(), stderr }, {});
    return { input, term, shown: () => shown };
  }

  it("turns echo off before the prompt, reads split input, and turns it on again", async () => {
    const { input, term, shown } = setup();
    const read = readHidden(input as RawInput, term, "Key: ");
    expect(input.rawModes).toEqual([true]);
    input.write("\u001b[200");
    input.write(Buffer.from([0x7e, 0x6b, 0xc3]));
    input.write(Buffer.from([0xa9, 0x1b, 0x5b, 0x32, 0x30]));
    input.write("1~\r");
    await expect(read).resolves.toBe("ké");
    expect(input.rawModes).toEqual([true, false]);
    expect(shown()).toBe("Key: \n");
  });

  it("rejects Ctrl+C as a cancellation that exits 130", async () => {
    const { input, term } = setup();
    const read = readHidden(input as RawInput, term, "Key: ");
    input.write("half-typed\u0003");
    const error = await read.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CancelledError);
    expect(formatError(error)).toEqual({ message: "Cancelled: no key was stored.", exitCode: 130 });
    expect(input.rawModes).toEqual([true, false]);
  });

  it("settles and restores the terminal when stdin ends or fails", async () => {
    const ended = setup();
    const read = readHidden(ended.input as RawInput, ended.term, "Key: ");
    ended.input.end("partial");
    await expect(read).rejects.toThrow(UsageError);
    await expect(read).rejects.toThrow("stdin ended before Enter: no key was stored.");
    expect(ended.input.rawModes).toEqual([true, false]);

    const failed = setup();
    const failing = readHidden(failed.input as RawInput, failed.term, "Key: ");
    failed.input.destroy(new Error("EIO: i/o error, read"));
    await expect(failing).rejects.toThrow(
      "Cannot read the key from the terminal: EIO: i/o error, read",
    );
    expect(failed.input.rawModes).toEqual([true, false]);
  });

  it("refuses a terminal that cannot go raw, with what to do", async () => {
    const { input, term } = setup();
    input.setRawMode = () => {
      throw new Error("setRawMode EIO");
    };
    await expect(readHidden(input as RawInput, term, "Key: ")).rejects.toThrow(
      /^Cannot turn off echo on this terminal \(setRawMode EIO\): pipe the key instead/,
    );
  });
});
