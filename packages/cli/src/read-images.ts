import { readFile } from "node:fs/promises";
import { type ImageInput, sniffImageType } from "@rephysco/core";
import { UsageError } from "./usage-error.js";

/**
 * Turns `--image` values into image inputs. `http(s)://` and `data:` URLs are passed through for
 * the provider to handle; anything else is a local file, read here and only here, because the
 * library itself never touches the file system on a caller's behalf.
 *
 * @throws {UsageError} when a file cannot be read or is not a recognised image format.
 */
export async function readImages(values: readonly string[] | undefined): Promise<ImageInput[]> {
  const images: ImageInput[] = [];
  for (const value of values ?? []) {
    if (/^(?:https?:\/\/|data:)/i.test(value)) {
      images.push(value);
      continue;
    }
    let bytes: Uint8Array;
    try {
      bytes = await readFile(value);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      const why =
        code === "ENOENT"
          ? "no such file"
          : code === "EISDIR"
            ? "it is a directory"
            : String(code ?? error);
      throw new UsageError(
        `Cannot read image "${value}": ${why}. Pass a readable image file or an http(s) URL.`,
      );
    }
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
