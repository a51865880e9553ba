import type { ImageInput } from "@rephysco/core";
import { sniffImageType } from "@rephysco/core/http";
import { readRegularFile } from "./read-file.js";
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

/** One text file as the model sees it. */
function fileBlock(name: string, text: string): string {
  const body = text.replace(/^\uFEFF/, "").replace(/\r?\n$/, "");
  return `<file name="${attribute(name)}">\n${body}\n</file>`;
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

/**
 * Reads `-a, --attach` values. An `http(s)://` (or `data:`) URL is an image by URL, passed to the
 * provider as `--image` does. A file is sniffed: a recognised image (PNG, JPEG, GIF, WebP, and
 * whatever else `--image` takes) is sent as an image, up to the image cap; otherwise UTF-8 text
 * without NUL bytes is inlined as context (at most 1 MiB a file, 4 MiB in all); anything else is
 * refused. Only regular files are read (as for `--image`: no devices, FIFOs or directories).
 *
 * Text files become `<file name="notes.md">\n...\n</file>` blocks (the name as given on the
 * command line), in order, separated by a blank line: {@link withContext} puts them before the
 * prompt.
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
    const bytes = await readRegularFile(
      value,
      Math.max(maxImage, maxText),
      (why) =>
        new UsageError(
          `Cannot read attachment "${value}": ${why}. Pass a regular file (an image or UTF-8 text) or an http(s) URL.`,
        ),
    );
    const mediaType = sniffImageType(bytes);
    if (mediaType) {
      if (bytes.byteLength > maxImage) {
        throw new UsageError(
          `Attachment "${value}" is an image of ${bytes.byteLength} bytes, above the limit of ${formatBytes(maxImage)}: make it smaller.`,
        );
      }
      images.push({ data: bytes, mediaType });
      names.push(value);
      logged.push({ type: "image", source: value });
      continue;
    }
    const text = asText(bytes);
    if (text === undefined) {
      throw new UsageError(
        `"${value}" is neither an image (PNG, JPEG, GIF, WebP, BMP, TIFF, HEIC or AVIF) nor UTF-8 text: attach images or text files only.`,
      );
    }
    if (bytes.byteLength > maxText) {
      throw new UsageError(
        `Attachment "${value}" is ${bytes.byteLength} bytes of text, above the limit of ${formatBytes(maxText)} a file: attach a smaller file or an excerpt.`,
      );
    }
    textTotal += bytes.byteLength;
    if (textTotal > maxTotal) {
      throw new UsageError(
        `The text attachments add up to more than ${formatBytes(maxTotal)} (at "${value}"): attach fewer or smaller files.`,
      );
    }
    blocks.push(fileBlock(value, text));
    names.push(value);
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
