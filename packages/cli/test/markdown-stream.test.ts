import pc from "picocolors";
import { describe, expect, it } from "vitest";
import { renderInline } from "../src/markdown-inline.js";
import { MarkdownStream, renderMarkdown } from "../src/markdown-stream.js";

const on = pc.createColors(true);
const off = pc.createColors(false);

// biome-ignore lint/suspicious/noControlCharactersInRegex: looking for escapes is the point
const ESCAPE = /[\u001b\u009b]/;

/** Feeds `pieces` one `write` at a time and returns what was written, call by call. */
function stream(pieces: readonly string[], colors = on): string[] {
  const written: string[] = [];
  const md = new MarkdownStream({ colors, write: (text) => written.push(text) });
  for (const piece of pieces) md.write(piece);
  md.end();
  return written;
}

/** A seeded generator of numbers in [0, 1), so that a failure can be replayed. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

/** `text` cut at random places. */
function randomPieces(text: string, seed: number): string[] {
  const next = random(seed);
  const pieces: string[] = [];
  for (let i = 0; i < text.length; ) {
    const length = 1 + Math.floor(next() * 12);
    pieces.push(text.slice(i, i + length));
    i += length;
  }
  return pieces;
}

const SAMPLE = [
  "# Title",
  "",
  "Some **bold**, *italic*, _also italic_, `code`, ~~gone~~ and [a link](https://example.com).",
  "",
  "## Steps",
  "",
  "1. first",
  "2. second with `npm i`",
  "   - nested **point**",
  "",
  "> quoted *text*",
  "",
  "```ts",
  "const x = a * b * c; // **not bold** [not](link)",
  "",
  "  indented();",
  "```",
  "",
  "| name | value |",
  "| ---- | ----- |",
  "| a    | **1** |",
  "",
  "---",
  "",
  "~~~",
  "tilde fence",
  "~~~",
  "the end",
].join("\n");

describe("MarkdownStream", () => {
  it("renders the same whole, one character at a time, and cut at random", () => {
    const whole = renderMarkdown(SAMPLE, on);
    expect(stream([...SAMPLE]).join("")).toBe(whole);
    for (const seed of [1, 2, 3, 42, 2024]) {
      expect(stream(randomPieces(SAMPLE, seed)).join("")).toBe(whole);
    }
    // With CRLF line ends too.
    const crlf = SAMPLE.replaceAll("\n", "\r\n");
    expect(stream([...crlf]).join("")).toBe(whole);
    expect(renderMarkdown(crlf, on)).toBe(whole);
  });

  it("renders the structure without colour and without Markdown markers", () => {
    expect(renderMarkdown(SAMPLE, off)).toBe(
      [
        "# Title",
        "",
        "Some bold, italic, also italic, code, gone and a link (https://example.com).",
        "",
        "## Steps",
        "",
        "1. first",
        "2. second with npm i",
        "   • nested point",
        "",
        "│ quoted text",
        "",
        "```ts",
        "const x = a * b * c; // **not bold** [not](link)",
        "",
        "  indented();",
        "```",
        "",
        "| name | value |",
        "| ---- | ----- |",
        "| a    | 1 |",
        "",
        "─".repeat(40),
        "",
        "~~~",
        "tilde fence",
        "~~~",
        "the end",
        "",
      ].join("\n"),
    );
    expect(renderMarkdown(SAMPLE, off)).not.toMatch(ESCAPE);
  });

  it("styles with ANSI escapes when colours are on", () => {
    const out = renderMarkdown(SAMPLE, on);
    expect(out).toContain("\u001b[1mbold\u001b[22m");
    expect(out).toContain("\u001b[3mitalic\u001b[23m");
    expect(out).toContain("\u001b[36mcode\u001b[39m");
    expect(out).toContain("\u001b[9mgone\u001b[29m");
    expect(out).toContain("a link (\u001b[2mhttps://example.com\u001b[22m)");
    expect(out).toContain("\u001b[2m```ts\u001b[22m");
    expect(out).toContain("\u001b[2m|\u001b[22m");
    expect(out).not.toContain("**bold**");
  });

  it("keeps code fences verbatim: no inline Markdown, every character kept", () => {
    const code = [
      "x = a*b*c  # **kw** _u_ `t` ~~s~~ [l](u) \\* <b>",
      "- not a list",
      "# not a heading",
      "> not a quote",
      "\tindented with a tab",
      "~~~~",
      "still code: ``` is too short to close a ````-fence, and ~~~~ is not its kind",
      "```",
    ];
    const text = ["````python", ...code, "````", "after **bold**"].join("\n");
    const lines = renderMarkdown(text, off).split("\n");
    expect(lines.slice(1, 1 + code.length)).toEqual(code);
    expect(lines.slice(1 + code.length)).toEqual(["````", "after bold", ""]);
    // Coloured, but the text between the escapes is still exact.
    expect(renderMarkdown(text, on).split("\n")[1]).toBe(`\u001b[36m${code[0]}\u001b[39m`);
  });

  it("removes escape sequences, hyperlinks and carriage returns the model sent", () => {
    const evil = [
      "Click \u001b]8;;http://evil.example\u0007here\u001b]8;;\u0007 now",
      "\u001b[2Jcleared? \u001b[31mred?\u001b[0m",
      "progress 10%\rprogress 100%",
      "```",
      "code \u001b]0;new title\u0007\u009b31mline\u0008\u0008",
      "```",
      "**bold \u001b[5mblink**",
    ].join("\n");
    for (const colors of [on, off]) {
      for (const pieces of [[evil], [...evil], randomPieces(evil, 7)]) {
        const out = stream(pieces, colors).join("");
        expect(out).not.toContain("evil.example");
        expect(out).not.toContain("\r");
        expect(out).not.toContain("\u001b]");
        expect(out).not.toContain("\u001b[2J");
        expect(out).not.toContain("\u001b[31m");
        expect(out).not.toContain("\u001b[5m");
        expect(out).not.toContain("\u009b");
        expect(out).not.toContain("\u0007");
        expect(out).not.toContain("\u0008");
      }
    }
    expect(renderMarkdown(evil, off)).toBe(
      [
        "Click here now",
        "cleared? red?",
        "progress 10%",
        "progress 100%",
        "```",
        "code line",
        "```",
        "bold blink",
        "",
      ].join("\n"),
    );
  });

  it("writes each line once: complete lines at once, the unfinished rest on end()", () => {
    const written: string[] = [];
    const md = new MarkdownStream({ colors: off, write: (text) => written.push(text) });
    md.write("# Hea");
    // A heading waits for its line break (its closing `#`s only show at the end).
    expect(written).toEqual([]);
    expect(md.pending).toBe(5);
    md.write("d\n- item\n- ha");
    // The bullet is settled once `h` arrives; `ha` could still be `half`, so it waits.
    expect(written).toEqual(["# Head\n• item\n• "]);
    expect(md.pending).toBe(2);
    md.write("lf");
    expect(written).toHaveLength(1);
    md.end();
    expect(written).toEqual(["# Head\n• item\n• ", "half\n"]);
    md.end();
    expect(written).toHaveLength(2);
  });

  it("writes a paragraph's stable beginning before its line break", () => {
    const written: string[] = [];
    const md = new MarkdownStream({ colors: on, write: (text) => written.push(text) });
    md.write("One paragraph, no line break: **bold");
    // Up to the last white space before the unclosed `**` (which may yet close).
    expect(written).toEqual(["One paragraph, no line break: "]);
    expect(md.pending).toBe(6);
    md.write(" text** and `co");
    expect(written.slice(1)).toEqual(["\u001b[1mbold text\u001b[22m and "]);
    md.write("de` [a link](https://x.y) ");
    expect(written.slice(2)).toEqual([
      "\u001b[36mcode\u001b[39m a link (\u001b[2mhttps://x.y\u001b[22m) ",
    ]);
    md.write("end.");
    expect(written).toHaveLength(3);
    md.end();
    expect(written.slice(3)).toEqual(["end.\n"]);
    expect(written.join("")).toBe(
      renderMarkdown(
        "One paragraph, no line break: **bold text** and `code` [a link](https://x.y) end.",
        on,
      ),
    );
  });

  it("writes list items and quotes early too, but not headings, fences, tables or rules", () => {
    const early = (text: string) => {
      const written: string[] = [];
      const md = new MarkdownStream({ colors: off, write: (part) => written.push(part) });
      md.write(text);
      return written.join("");
    };
    expect(early("- an item with words")).toBe("• an item with ");
    expect(early("12. a numbered item")).toBe("12. a numbered ");
    expect(early("> > - quoted item text")).toBe("│ │ • quoted item ");
    expect(early("  indented text here")).toBe("  indented text ");
    // Until a character that cannot be block markup arrives, the line may still be anything.
    expect(early("- - ")).toBe("");
    expect(early("1.")).toBe("");
    for (const line of [
      "## A heading with words",
      "> # quoted heading words",
      "```ts and words",
      "~~~ more words",
      "| a | b with words",
    ]) {
      expect(early(line)).toBe("");
    }
    // `- - -` is a rule, but `- - - x` a bullet: only the `x` tells.
    expect(early("- - - ")).toBe("");
    expect(early("- - - x y")).toBe("• - - x ");
    // In a fence or a table nothing is written early.
    expect(early("```\ncode with words")).toBe("```\n");
    expect(early("| a |\n|---|\nrow with words")).toBe("| a |\n|---|\n");
    // Nor past a control character: an escape sequence or `\r` may still be arriving.
    expect(early("before it \u001b]8;;http://x and more")).toBe("before it ");
    expect(early("progress 10%\rprogress 100% done")).toBe("progress ");
  });

  it("writes a prose line in the same bytes however it is cut (random Markdown, random cuts)", () => {
    const tokens = [
      ..."ab *_`~[]()<>\"'\\!#|\t\n".split(""),
      "**",
      "``",
      "~~",
      "# ",
      "- ",
      "> ",
      "1. ",
      "```",
      "---",
      "\r\n",
      "\r",
      "\u001b[31m",
      "[a](",
      "](",
      "[x]",
      "(b",
      "<c",
      '" t',
      "(t",
      "x y",
      "http://e.com",
      "  ",
    ];
    let early = 0;
    for (let seed = 1; seed <= 3000; seed++) {
      const next = random(seed);
      let text = "";
      const count = 5 + Math.floor(next() * 60);
      for (let i = 0; i < count; i++) text += tokens[Math.floor(next() * tokens.length)];
      const written = stream(randomPieces(text, seed));
      early += written.filter((part) => !part.endsWith("\n")).length;
      expect(written.join(""), JSON.stringify(text)).toBe(renderMarkdown(text, on));
    }
    // The cases did exercise early writes.
    expect(early).toBeGreaterThan(1000);
  });

  it("costs linear time on a long line that never settles, streamed 1 character at a time", () => {
    // An early `**` that never closes: nothing after it can be written before the line break.
    const line = `**${"word ".repeat(40_000)}`;
    const written: string[] = [];
    const md = new MarkdownStream({ colors: off, write: (part) => written.push(part) });
    const started = performance.now();
    for (const char of line) md.write(char);
    md.end();
    // Looking again at the whole tail on every character would take minutes here.
    expect(performance.now() - started).toBeLessThan(3000);
    expect(written).toEqual([`${line}\n`]);
  });

  it("ends an unclosed fence and table with the stream", () => {
    const written: string[] = [];
    const md = new MarkdownStream({ colors: off, write: (text) => written.push(text) });
    md.write("```\n**code**\n");
    md.end();
    md.write("**bold**\n");
    expect(written).toEqual(["```\n**code**\n", "bold\n"]);
  });

  it("never renders anything twice, however large the answer (1 MB in 1-character pieces)", () => {
    const line = "- a **b** `c` [d](e) *f* _g_ ~~h~~ plain text to make the line longer\n";
    const text = line.repeat(Math.ceil(1_000_000 / line.length));
    const whole = renderMarkdown(text, on);
    const written: string[] = [];
    const md = new MarkdownStream({ colors: on, write: (part) => written.push(part) });
    let maxPending = 0;
    for (const char of text) {
      md.write(char);
      maxPending = Math.max(maxPending, md.pending);
    }
    md.end();
    // Each line is written in pieces as it settles; the pieces together are the whole rendering,
    // so nothing was written twice.
    expect(written.join("")).toBe(whole);
    const perLine = renderMarkdown(line, on);
    let joined = "";
    let lines = 0;
    for (const part of written) {
      joined += part;
      if (part.endsWith("\n")) {
        expect(joined).toBe(perLine);
        joined = "";
        lines++;
      }
    }
    expect(lines).toBe(text.length / line.length);
    // Only the unsettled end of the unfinished line is kept (never a whole line).
    expect(maxPending).toBeLessThan(line.length / 2);
  });

  it("renders headings, rules, quotes and lists", () => {
    expect(
      renderMarkdown(
        "### Three ###\n#hashtag\n***\n- - -\n> > deep *q*\n>\n+ plus\n  * star\n10) ten\n",
        off,
      ),
    ).toBe(
      `### Three\n#hashtag\n${"─".repeat(40)}\n${"─".repeat(40)}\n│ │ deep q\n│ \n• plus\n  • star\n10) ten\n`,
    );
    expect(renderMarkdown("# Top", on)).toBe(
      "\u001b[4m\u001b[1m\u001b[35m# Top\u001b[39m\u001b[22m\u001b[24m\n",
    );
    expect(renderMarkdown("---", off, 10)).toBe(`${"─".repeat(10)}\n`);
  });

  it("renders nothing for an empty answer and keeps blank lines", () => {
    expect(renderMarkdown("", on)).toBe("");
    expect(renderMarkdown("a\n\n\nb\n", off)).toBe("a\n\n\nb\n");
  });
});

describe("renderInline", () => {
  const plain = (text: string) => renderInline(text, off);

  it("leaves text without markup alone", () => {
    expect(plain("2 * 3 * 4 = 24, snake_case_name and ~ tilde")).toBe(
      "2 * 3 * 4 = 24, snake_case_name and ~ tilde",
    );
    expect(plain("** not bold ** and * not italic *")).toBe("** not bold ** and * not italic *");
  });

  it("handles nesting and unbalanced delimiters", () => {
    expect(renderInline("***both***", on)).toBe("\u001b[1m\u001b[3mboth\u001b[23m\u001b[22m");
    expect(plain("**a *b**")).toBe("a *b");
    expect(plain("**never closed")).toBe("**never closed");
    expect(plain("*a **b* c**")).toBe("a **b c**");
    expect(plain("__bold__ and _it_")).toBe("bold and it");
    expect(plain("~~~not strike~~~")).toBe("~~~not strike~~~");
  });

  it("handles code spans, escapes and links", () => {
    expect(plain("`` a`b ``")).toBe("a`b");
    expect(plain("`unclosed and `` two")).toBe("`unclosed and `` two");
    expect(plain("`**kept**`")).toBe("**kept**");
    expect(plain("\\*not italic\\* and \\\\")).toBe("*not italic* and \\");
    expect(plain('[**x**](https://a.b/c?d=1 "title")')).toBe('x (https://a.b/c?d=1 "title")');
    expect(plain("[https://a.b](https://a.b)")).toBe("https://a.b");
    expect(plain("see [wiki](https://w.org/A_(b)) now")).toBe("see wiki (https://w.org/A_(b)) now");
    expect(plain("![alt](img.png) and ![](x.png)")).toBe("alt (img.png) and image (x.png)");
    expect(plain("[not a link] (x) and [x]")).toBe("[not a link] (x) and [x]");
    expect(plain("Wow! [a](b")).toBe("Wow! [a](b");
  });

  it("renders a link only when its destination is well-formed, and drops none of the text", () => {
    // Text after the destination is not a title: no link, every character kept.
    expect(plain("Click [here](the settings page) to continue")).toBe(
      "Click [here](the settings page) to continue",
    );
    // Unbalanced parentheses never swallow the text after them, nor a later link.
    expect(plain("f[x](a(b) and [y](z) end")).toBe("f[x](a(b) and y (z) end");
    expect(plain("[a]( (x) [b](y) tail")).toBe("[a]( (x) b (y) tail");
    expect(plain("[m](n(o) and more")).toBe("[m](n(o) and more");
    // Well-formed: spaces around the destination, `<...>`, escapes, titles in three quotings.
    expect(plain("[a]( b ) [c](<d e>) [f](g\\)h) [i](j 'k') [l](m (n))")).toBe(
      "a (b) c (d e) f (g)h) i (j 'k') l (m (n))",
    );
    // Not a title: no white space before it, or not closed, or a `(` inside `(...)`.
    expect(plain('[a](<b>"c") [d](e "f) [g](h (i(j)) end')).toBe(
      '[a](<b>"c") [d](e "f) [g](h (i(j)) end',
    );
    // Empty destinations and `<` inside `<...>` are not links either.
    expect(plain("[a]() [b](<>) [c](<d<e>)")).toBe("[a]() [b](<>) [c](<d<e>)");
    expect(plain("[a\\]b](c)")).toBe("[a]b](c)");
  });

  it("keeps long runs of unmatched delimiters as they are", () => {
    // Lines a search-the-rest-of-the-line parser would take quadratic time over.
    for (const char of [
      "*",
      "_",
      "[",
      "`",
      "~~ ",
      "[a](",
      "[a](<",
      '[a](b "',
      "[a](b (",
      "[a]( ",
      "](",
      "(",
    ]) {
      const line = `x${char.repeat(100_000)}`;
      expect(plain(line)).toBe(line);
    }
  });
});
