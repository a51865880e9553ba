import { constants, type Stats } from "node:fs";
import { type FileHandle, open, stat } from "node:fs/promises";
import type { ImageInput } from "@rephysco/core";
import { sniffImageType } from "@rephysco/core/http";
import { UsageError } from "./usage-error.js";

/**
 * Largest `--image` file read, in bytes: 20 MiB, the cap the Gemini provider puts on images it
 * downloads from URLs (`DEFAULT_MAX_IMAGE_BYTES` in @rephysco/gemini, not exported; core has none).
 */
export const MAX_IMAGE_FILE_BYTES = 20 * 1024 * 1024;

function cannotRead(path: string, why: string): UsageError {
  return new UsageError(
    `Cannot read image "${path}": ${why}. Pass a regular image file or an http(s) URL.`,
  );
}

function formatBytes(bytes: number): string {
  const mib = 1024 * 1024;
  return bytes % mib === 0 ? `${bytes / mib} MiB` : `${bytes} bytes`;
}

/** Why `info` is not something to read as an image, or `undefined` when it is a regular file. */
function notRegular(info: Stats): string | undefined {
  if (info.isFile()) return undefined;
  if (info.isDirectory()) return "it is a directory";
  if (info.isFIFO()) return "it is a FIFO (named pipe), not a regular file";
  if (info.isCharacterDevice()) return "it is a character device, not a regular file";
  if (info.isBlockDevice()) return "it is a block device, not a regular file";
  if (info.isSocket()) return "it is a socket, not a regular file";
  return "it is not a regular file";
}

function tooLarge(path: string, size: number | undefined, maxBytes: number): UsageError {
  const what = size === undefined ? "it is larger than" : `it is ${size} bytes, above`;
  return cannotRead(path, `${what} the limit of ${formatBytes(maxBytes)}`);
}

function describeCode(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === "ENOENT") return "no such file";
  if (code === "EACCES" || code === "EPERM") return "permission denied";
  if (code === "EISDIR") return "it is a directory";
  return String(code ?? error);
}

/** Reads at most `maxBytes` from the file, whatever its size said: it may grow while read. */
async function readBounded(
  handle: FileHandle,
  path: string,
  size: number,
  maxBytes: number,
): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  // One byte more than allowed, so that a file over the limit is seen to be.
  let want = Math.min(size, maxBytes) + 1;
  for (;;) {
    const buffer = Buffer.allocUnsafe(want);
    const { bytesRead } = await handle.read(buffer, 0, want, null);
    if (bytesRead === 0) break;
    total += bytesRead;
    if (total > maxBytes) throw tooLarge(path, undefined, maxBytes);
    chunks.push(buffer.subarray(0, bytesRead));
    want = Math.min(64 * 1024, maxBytes - total + 1);
  }
  return Buffer.concat(chunks, total);
}

/**
 * Reads one image file. Only regular files: `/dev/zero` would never end and a FIFO would block
 * (past `--timeout`, which starts later) until someone writes to it.
 */
async function readImageFile(path: string, maxBytes: number): Promise<Uint8Array> {
  let handle: FileHandle;
  try {
    // Checked before opening, because opening a FIFO for reading waits for a writer.
    const why = notRegular(await stat(path));
    if (why) throw cannotRead(path, why);
    // O_NONBLOCK: should the path turn into a FIFO after the check, the open still returns.
    handle = await open(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw cannotRead(path, describeCode(error));
  }
  try {
    // What was opened is what counts, whatever the path pointed to when checked.
    const info = await handle.stat();
    const why = notRegular(info);
    if (why) throw cannotRead(path, why);
    if (info.size > maxBytes) throw tooLarge(path, info.size, maxBytes);
    return await readBounded(handle, path, info.size, maxBytes);
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw cannotRead(path, describeCode(error));
  } finally {
    await handle.close();
  }
}

/**
 * Turns `--image` values into image inputs. `http(s)://` and `data:` URLs are passed through for
 * the provider to handle; anything else is a local file, read here and only here, because the
 * library itself never touches the file system on a caller's behalf.
 *
 * @param maxBytes - largest file read (tests lower it).
 * @throws {UsageError} when a file cannot be read, is not a regular file, is over `maxBytes`, or
 * is not a recognised image format.
 */
export async function readImages(
  values: readonly string[] | undefined,
  maxBytes: number = MAX_IMAGE_FILE_BYTES,
): Promise<ImageInput[]> {
  const images: ImageInput[] = [];
  for (const value of values ?? []) {
    if (/^(?:https?:\/\/|data:)/i.test(value)) {
      images.push(value);
      continue;
    }
    const bytes = await readImageFile(value, maxBytes);
    const mediaType = sniffImageType(bytes);
    if (!mediaType) {
      throw new UsageError(
        `"${value}" is not a recognised image (PNG, JPEG, GIF, WebP, BMP, TIFF, HEIC or AVIF).`,
      );
    }
    images.push({ data: bytes, mediaType });
  }
  return images;
}
