import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { createMockServer, type MockServer } from "@rephysco/testing";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { MAX_TEXT_FILE_BYTES, readAttachments, withContext } from "../src/read-attachments.js";
import { UsageError } from "../src/usage-error.js";
import { PNG_1X1, removeTempDirs, runBin, tempDir, type WireBody } from "./run-bin.js";

let server: MockServer;
let base: string[];
const KEY = { OPENAI_API_KEY: "test-key" };

beforeAll(async () => {
  server = await createMockServer();
  base = ["--base-url", `${server.url}/v1`];
});
afterAll(async () => {
  await server.close();
  removeTempDirs();
});
beforeEach(() => server.reset());

type Part = { type: string; text?: string; image_url?: { url: string } };

/** The user message's parts as sent: text parts and image URLs. */
function sentUser(i = 0): { text: string; images: string[] } {
  const content = (server.requests[i]!.body as WireBody).messages.at(-1)!.content;
  if (typeof content === "string") return { text: content, images: [] };
  const parts = content as Part[];
  return {
    text: parts
      .filter((p) => p.type === "text")
      .map((p) => p.text)
      .join(""),
    images: parts.filter((p) => p.type === "image_url").map((p) => p.image_url!.url),
  };
}

/** A file named `name` in a fresh directory, holding `content`. */
function file(name: string, content: string | Buffer): string {
  const path = join(tempDir(), name);
  writeFileSync(path, content);
  return path;
}

describe("-a, --attach", () => {
  it("sends an image file as an image part, whatever its extension", async () => {
    const png = file("picture.dat", PNG_1X1);
    const r = await runBin(["generate", "What is this?", "-a", png, ...base], { env: KEY });
    expect(r.code).toBe(0);
    expect(sentUser()).toEqual({
      text: "What is this?",
      images: [`data:image/png;base64,${PNG_1X1.toString("base64")}`],
    });
  });

  it("inlines a text file before the prompt as a <file> block", async () => {
    const notes = file("notes.md", "# Notes\n\nBuy milk.\n");
    const r = await runBin(["generate", "Summarize", "--attach", notes, ...base], { env: KEY });
    expect(r.code).toBe(0);
    expect(sentUser()).toEqual({
      text: `<file name="${notes}">\n# Notes\n\nBuy milk.\n</file>\n\nSummarize`,
      images: [],
    });
  });

  it("passes an http(s) URL on as an image by URL", async () => {
    const url = "https://example.com/cat.jpg";
    const r = await runBin(["generate", "hi", "-a", url, ...base], { env: KEY });
    expect(r.code).toBe(0);
    expect(sentUser().images).toEqual([url]);
  });

  it("mixes images, URLs, several text files and --image, in order", async () => {
    const a = file("a.txt", "first");
    const b = file('b "quoted" <x>.txt', "\uFEFFsecond\r\n");
    const png = file("p.png", PNG_1X1);
    const r = await runBin(
      [
        "generate",
        "Compare",
        "-a",
        a,
        "-a",
        png,
        "-a",
        "https://example.com/x.png",
        "-a",
        b,
        "--image",
        png,
        ...base,
      ],
      { env: KEY },
    );
    expect(r.code).toBe(0);
    const escaped = b.replace(/"/g, "&quot;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
    const dataUrl = `data:image/png;base64,${PNG_1X1.toString("base64")}`;
    expect(sentUser()).toEqual({
      text: `<file name="${a}">\nfirst\n</file>\n\n<file name="${escaped}">\nsecond\n</file>\n\nCompare`,
      images: [dataUrl, dataUrl, "https://example.com/x.png"],
    });
  });

  it("goes before a prompt read from stdin", async () => {
    const notes = file("notes.txt", "line one\nline two");
    const r = await runBin(["generate", "-a", notes, ...base], {
      env: KEY,
      input: "What is on line two?\n",
    });
    expect(r.code).toBe(0);
    expect(sentUser().text).toBe(
      `<file name="${notes}">\nline one\nline two\n</file>\n\nWhat is on line two?`,
    );
  });

  const refused: Array<[string, () => string, RegExp]> = [
    [
      "a binary file that is no image (NUL bytes)",
      () => file("data.bin", Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0, 1, 2, 3])),
      /^error: ".*data\.bin" is neither an image \(PNG, JPEG, GIF, WebP.*\) nor UTF-8 text: attach images or text files only\.$/,
    ],
    [
      "a file that is not valid UTF-8",
      () => file("latin1.txt", Buffer.from("caf\xe9", "latin1")),
      /^error: ".*latin1\.txt" is neither an image .* nor UTF-8 text/,
    ],
    [
      "a text file over 1 MiB",
      () => file("big.txt", "a".repeat(MAX_TEXT_FILE_BYTES + 1)),
      /^error: Attachment ".*big\.txt" is 1048577 bytes of text, above the limit of 1 MiB a file: attach a smaller file or an excerpt\.$/,
    ],
    [
      "a missing file",
      () => "/no/such/notes.md",
      /^error: Cannot read attachment "\/no\/such\/notes\.md": no such file\. Pass a regular file/,
    ],
    [
      "a FIFO",
      () => {
        const fifo = join(tempDir(), "pipe.txt");
        execFileSync("mkfifo", [fifo]);
        return fifo;
      },
      /^error: Cannot read attachment ".*pipe\.txt": it is a FIFO \(named pipe\), not a regular file/,
    ],
    ["a directory", () => tempDir(), /^error: Cannot read attachment ".*": it is a directory/],
  ];

  it.each(refused)("refuses %s (exit 2, nothing sent)", async (_name, make, message) => {
    const path = make();
    const r = await runBin(["generate", "hi", "-a", path, ...base], { env: KEY });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    const lines = r.stderr.trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(message);
    expect(server.requests).toHaveLength(0);
  });

  it("reports a bad attachment before waiting for the prompt on stdin", async () => {
    const r = await runBin(["generate", "-a", "/no/such/file", ...base], { env: KEY });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/Cannot read attachment/);
  });

  it("keeps --image for images only", async () => {
    const notes = file("notes.txt", "text");
    const r = await runBin(["generate", "hi", "--image", notes, ...base], { env: KEY });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error: ".*notes\.txt" is not a recognised image/);
  });
});

describe("readAttachments", () => {
  it("caps the text files' sum, and names every attachment for logs", async () => {
    const a = file("a.txt", "12345");
    const b = file("b.txt", "67890");
    const ok = await readAttachments(
      [a, "https://example.com/c.png", "data:image/png;base64,AAAA"],
      {
        maxTextTotalBytes: 9,
      },
    );
    expect(ok.names).toEqual([a, "https://example.com/c.png", "data:image/png,…"]);
    expect(ok.logged.map((l) => l.type)).toEqual(["text", "image", "image"]);
    expect(ok.logged.map((l) => l.source)).toEqual(ok.names);
    expect(ok.images).toEqual(["https://example.com/c.png", "data:image/png;base64,AAAA"]);
    expect(ok.context).toBe(`<file name="${a}">\n12345\n</file>`);
    const error = await readAttachments([a, b], { maxTextTotalBytes: 9 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UsageError);
    expect((error as Error).message).toBe(
      `The text attachments add up to more than 9 bytes (at "${b}"): attach fewer or smaller files.`,
    );
  });

  it("caps images apart from text", async () => {
    const png = file("p.png", PNG_1X1);
    const error = await readAttachments([png], { maxImageBytes: 10 }).catch((e: unknown) => e);
    expect((error as Error).message).toMatch(
      /^Attachment ".*p\.png" is an image of \d+ bytes, above the limit of 10 bytes: make it smaller\.$/,
    );
    const none = await readAttachments(undefined);
    expect(none).toEqual({ images: [], context: undefined, names: [], logged: [] });
  });

  it("puts the context before the prompt, or leaves the prompt alone", () => {
    expect(withContext("Q", undefined)).toBe("Q");
    expect(withContext("Q", '<file name="n">\nx\n</file>')).toBe(
      '<file name="n">\nx\n</file>\n\nQ',
    );
  });
});
