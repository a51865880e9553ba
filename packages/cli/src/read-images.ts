import type { ImageInput } from "@rephysco/core";
import { sniffImageType } from "@rephysco/core/http";
import { type CannotRead, readRegularFile } from "./read-file.js";
import { UsageError } from "./usage-error.js";

/**
 * Largest `--image` file read, in bytes: 20 MiB, the cap the Gemini provider puts on images it
 * downloads from URLs (`DEFAULT_MAX_IMAGE_BYTES` in @rephysco/gemini, not exported; core has none).
 */
export const MAX_IMAGE_FILE_BYTES = 20 * 1024 * 1024;

function cannotRead(path: string): CannotRead {
  return (why) =>
    new UsageError(
      `Cannot read image "${path}": ${why}. Pass a regular image file or an http(s) URL.`,
    );
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
    const bytes = await readRegularFile(value, maxBytes, cannotRead(value));
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
