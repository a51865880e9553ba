import type { ImageInput } from "@rephysco/core";
import { sniffImageType } from "@rephysco/core/http";
import { readAtMost, withRegularFile } from "./read-file.js";
import { MAX_IMAGE_FILE_BYTES } from "./read-images.js";
import { UsageError } from "./usage-error.js";

/** Largest text file inlined by `-a`, in bytes: 1 MiB. */
export const MAX_TEXT_FILE_BYTES = 1024 * 1024;

/** Largest sum of the text files inlined by `-a` in one call, in bytes: 4 MiB. */
export const MAX_TEXT_TOTAL_BYTES = 4 * 1024 * 1024;

/** Caps of {@link readAttachments} (tests lower them). */
export interface AttachmentLimits {
  /** Largest image file, in bytes (default {@link MAX_IMAGE_FILE_BYTES}). */
  readonly maxImageBytes?: number;
  /** Largest text file, in bytes (default {@link MAX_TEXT_FILE_BYTES}). */
  readonly maxTextBytes?: number;
  /** Largest sum of the text files, in bytes (default {@link MAX_TEXT_TOTAL_BYTES}). */
  readonly maxTextTotalBytes?: number;
}

/** What `-a` values turned into. */
export interface Attachments {
  /** Images to send with the prompt: URLs as given, files as bytes with their media type. */
  readonly images: ImageInput[];
  /**
   * The text files as `<file name="...">` blocks, to go before the prompt (see
   * {@link withContext}); `undefined` when no text file was attached.
   */
  readonly context: string | undefined;
  /**
   * One name per attachment, in order, for logs: the path or URL as given (a `data:` URL cut
   * after its media type). A URL is kept whole, so it may carry a token: treat it as the prompt.
   */
  readonly names: string[];
  /** {@link names} with what each became: an image, or text inlined into the prompt. */
  readonly logged: { readonly type: "image" | "text"; readonly source: string }[];
}

const URL_VALUE = /^(?:https?:\/\/|data:)/i;

function formatBytes(bytes: number): string {
  const mib = 1024 * 1024;
  return bytes % mib === 0 ? `${bytes / mib} MiB` : `${bytes} bytes`;
}

/** The attribute value of a `<file name="...">` tag. */
function attribute(text: string): string {
  return text
    .replace(/&/g, "&amp;")
    .replace(/"/g, "&quot;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;");
}

/**
 * One text file as the model sees it. A `</file>` in the text would end the block early, letting
 * the file pass its own text off as the user's: it is sent as `<\/file>`.
 */
function fileBlock(name: string, text: string): string {
  const body = text
    .replace(/^\uFEFF/, "")
    .replace(/\r?\n$/, "")
    .replace(/<\/(file\b)/gi, "<\\/$1");
  return `<file name="${attribute(name)}">\n${body}\n</file>`;
}

/** Bytes read first from an attached file, to tell an image from text before reading it all. */
const HEAD_BYTES = 4096;

/**
 * Could `bytes`, the start of a file, be UTF-8 text? No NUL, and no invalid UTF-8 (a character
 * cut at the end of `bytes` is fine: the rest of it comes later).
 */
function mayBeText(bytes: Uint8Array): boolean {
  if (bytes.includes(0)) return false;
  try {
    new TextDecoder("utf-8", { fatal: true }).decode(bytes, { stream: true });
    return true;
  } catch {
    return false;
  }
}

/** Is this a BMP header: `BM`, then the file's real size or a known DIB header size? */
function plausibleBmp(head: Buffer, size: number): boolean {
  if (head.length < 18) return false;
  return (
    head.readUInt32LE(2) === size || [12, 40, 52, 56, 108, 124].includes(head.readUInt32LE(14))
  );
}

/**
 * The image type of an attached file from its first bytes, or `undefined` for text. GIF needs
 * its whole signature (`GIF87a`, `GIF89a`) and BMP a plausible header, since `BM` or `GIF8` can
 * start a line of text; and a start that reads as UTF-8 text is text, whatever it begins with
 * (no real image's header does: each has a NUL or a byte UTF-8 does not allow).
 */
function attachedImageType(head: Buffer, size: number): string | undefined {
  const type = sniffImageType(head);
  if (type === undefined || mayBeText(head)) return undefined;
  if (type === "image/gif")
    return /^GIF8[79]a/.test(head.toString("latin1", 0, 6)) ? type : undefined;
  if (type === "image/bmp") return plausibleBmp(head, size) ? type : undefined;
  return type;
}

/** The bytes as text, or `undefined` when they are not UTF-8 text (invalid UTF-8, or NUL bytes). */
function asText(bytes: Uint8Array): string | undefined {
  if (bytes.includes(0)) return undefined;
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return undefined;
  }
}

/** The caps that apply to the next attached file. */
interface FileCaps {
  readonly maxImage: number;
  readonly maxText: number;
  /** What the text files read so far leave of {@link maxTotal}. */
  readonly maxTextLeft: number;
  readonly maxTotal: number;
}

/** An attached file, read. */
type AttachedFile =
  | { readonly type: "image"; readonly bytes: Buffer; readonly mediaType: string }
  | { readonly type: "text"; readonly text: string; readonly bytes: number };

/**
 * Reads one attached file: its first bytes say what it is, and then it is read up to that
 * type's cap only, so that a 20 MiB file is refused as text before it is read.
 */
function readAttachedFile(value: string, caps: FileCaps): Promise<AttachedFile> {
  const cannotRead = (why: string): UsageError =>
    new UsageError(
      `Cannot read attachment "${value}": ${why}. Pass a regular file (an image or UTF-8 text) or an http(s) URL.`,
    );
  const notText = (): UsageError =>
    new UsageError(
      `"${value}" is neither an image (PNG, JPEG, GIF, WebP, BMP, TIFF, HEIC or AVIF) nor UTF-8 text: attach images or text files only.`,
    );
  return withRegularFile(value, cannotRead, async (file) => {
    const buffer = Buffer.alloc(Math.min(HEAD_BYTES, file.size));
    // Read at position 0, which leaves the file's own position at its start for the full read.
    const { bytesRead } = await file.handle.read(buffer, 0, buffer.length, 0);
    const head = buffer.subarray(0, bytesRead);
    const mediaType = attachedImageType(head, file.size);
    if (mediaType) {
      if (file.size > caps.maxImage) {
        throw new UsageError(
          `Attachment "${value}" is an image of ${file.size} bytes, above the limit of ${formatBytes(caps.maxImage)}: make it smaller.`,
        );
      }
      return { type: "image", bytes: await readAtMost(file, caps.maxImage, cannotRead), mediaType };
    }
    if ((head[0] === 0xff && head[1] === 0xfe) || (head[0] === 0xfe && head[1] === 0xff)) {
      throw new UsageError(
        `"${value}" is UTF-16 text, which is not supported: convert it to UTF-8 (iconv -f UTF-16 -t UTF-8).`,
      );
    }
    if (!mayBeText(head)) throw notText();
    if (file.size > caps.maxText) {
      throw new UsageError(
        `Attachment "${value}" is ${file.size} bytes of text, above the limit of ${formatBytes(caps.maxText)} a file: attach a smaller file or an excerpt.`,
      );
    }
    const tooMuch = (): UsageError =>
      new UsageError(
        `The text attachments add up to more than ${formatBytes(caps.maxTotal)} (at "${value}"): attach fewer or smaller files.`,
      );
    if (file.size > caps.maxTextLeft) throw tooMuch();
    // A file that grows while read is held to the same caps.
    const cap = Math.min(caps.maxText, caps.maxTextLeft);
    const bytes = await readAtMost(file, cap, (why) =>
      cap < caps.maxText ? tooMuch() : cannotRead(why),
    );
    const text = asText(bytes);
    if (text === undefined) throw notText();
    return { type: "text", text, bytes: bytes.byteLength };
  });
}

/**
 * Reads `-a, --attach` values. An `http(s)://` (or `data:`) URL is an image by URL, passed to the
 * provider as `--image` does. A file is sniffed from its first bytes: a recognised image (PNG,
 * JPEG, GIF, WebP, and whatever else `--image` takes; GIF and BMP only with a full, plausible
 * header, and never a file that starts as UTF-8 text) is sent as an image, up to the image cap;
 * otherwise UTF-8 text without NUL bytes is inlined as context (at most 1 MiB a file, 4 MiB in
 * all); anything else (UTF-16 included) is refused. Each file is read up to its type's cap only.
 * Only regular files are read (as for `--image`: no devices, FIFOs or directories).
 *
 * Text files become `<file name="notes.md">\n...\n</file>` blocks (the name as given on the
 * command line; a `</file>` in the text is sent as `<\/file>`), in order, separated by a blank
 * line: {@link withContext} puts them before the prompt.
 *
 * @throws {UsageError} naming the file and what to do, for a file that cannot be read, is over a
 * cap, or is neither an image nor UTF-8 text.
 */
export async function readAttachments(
  values: readonly string[] | undefined,
  limits: AttachmentLimits = {},
): Promise<Attachments> {
  const maxImage = limits.maxImageBytes ?? MAX_IMAGE_FILE_BYTES;
  const maxText = limits.maxTextBytes ?? MAX_TEXT_FILE_BYTES;
  const maxTotal = limits.maxTextTotalBytes ?? MAX_TEXT_TOTAL_BYTES;
  const images: ImageInput[] = [];
  const blocks: string[] = [];
  const names: string[] = [];
  const logged: { type: "image" | "text"; source: string }[] = [];
  let textTotal = 0;
  for (const value of values ?? []) {
    if (URL_VALUE.test(value)) {
      images.push(value);
      names.push(/^data:/i.test(value) ? `${value.slice(0, value.search(/[;,]|$/))},…` : value);
      logged.push({ type: "image", source: names.at(-1) as string });
      continue;
    }
    const file = await readAttachedFile(value, {
      maxImage,
      maxText,
      maxTextLeft: maxTotal - textTotal,
      maxTotal,
    });
    names.push(value);
    if (file.type === "image") {
      images.push({ data: file.bytes, mediaType: file.mediaType });
      logged.push({ type: "image", source: value });
      continue;
    }
    textTotal += file.bytes;
    blocks.push(fileBlock(value, file.text));
    logged.push({ type: "text", source: value });
  }
  return {
    images,
    context: blocks.length > 0 ? blocks.join("\n\n") : undefined,
    names,
    logged,
  };
}

/**
 * The prompt with the attached text files before it, separated by a blank line; the prompt
 * alone when there are none.
 */
export function withContext(prompt: string, context: string | undefined): string {
  return context === undefined ? prompt : `${context}\n\n${prompt}`;
}
