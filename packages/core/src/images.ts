import { InvalidRequestError } from "./errors.js";
import type { ImageInput } from "./types.js";

/** An image reduced to what providers send: a remote URL, or bytes with a media type. */
export type ResolvedImage =
  | { readonly kind: "url"; readonly url: string }
  | { readonly kind: "data"; readonly mediaType: string; readonly base64: string };

/**
 * Detects an image's media type from its first bytes (PNG, JPEG, GIF, WebP, BMP, HEIC/AVIF,
 * TIFF). Returns `undefined` when the bytes are none of these.
 */
export function sniffImageType(bytes: Uint8Array): string | undefined {
  const b = bytes;
  if (b.length >= 8 && b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47)
    return "image/png";
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return "image/jpeg";
  if (b.length >= 6 && b[0] === 0x47 && b[1] === 0x49 && b[2] === 0x46 && b[3] === 0x38)
    return "image/gif";
  if (
    b.length >= 12 &&
    b[0] === 0x52 &&
    b[1] === 0x49 &&
    b[2] === 0x46 &&
    b[3] === 0x46 &&
    b[8] === 0x57 &&
    b[9] === 0x45 &&
    b[10] === 0x42 &&
    b[11] === 0x50
  )
    return "image/webp";
  if (b.length >= 2 && b[0] === 0x42 && b[1] === 0x4d) return "image/bmp";
  if (
    b.length >= 4 &&
    ((b[0] === 0x49 && b[1] === 0x49 && b[2] === 0x2a && b[3] === 0) ||
      (b[0] === 0x4d && b[1] === 0x4d && b[2] === 0 && b[3] === 0x2a))
  )
    return "image/tiff";
  if (b.length >= 12 && b[4] === 0x66 && b[5] === 0x74 && b[6] === 0x79 && b[7] === 0x70) {
    const brand = String.fromCharCode(b[8]!, b[9]!, b[10]!, b[11]!);
    if (brand === "avif" || brand === "avis") return "image/avif";
    if (brand.startsWith("hei") || brand === "mif1" || brand === "msf1") return "image/heic";
  }
  return undefined;
}

function toBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64");
}

const DATA_URL = /^data:([^;,]+)?((?:;[^;,]+)*?)(;base64)?,/i;

/**
 * Normalizes an {@link ImageInput}: URLs stay URLs, everything else becomes base64 with a media
 * type (sniffed from bytes when not given).
 *
 * @throws {InvalidRequestError} for an empty value, a local path, an unknown format or an unsupported URL scheme.
 */
export function resolveImage(input: ImageInput, provider = "client"): ResolvedImage {
  const fail = (why: string) =>
    new InvalidRequestError(`Invalid image: ${why}`, { provider, reason: "invalid_image" });
  if (input instanceof URL) input = input.href;
  if (typeof input === "string") {
    if (input.startsWith("data:")) {
      const m = DATA_URL.exec(input);
      if (!m) throw fail("malformed data: URL (expected data:<type>;base64,<data>).");
      const payload = input.slice(m[0].length);
      const mediaType = m[1] ?? "application/octet-stream";
      let base64: string;
      if (m[3]) base64 = payload;
      else {
        try {
          base64 = Buffer.from(decodeURIComponent(payload), "utf8").toString("base64");
        } catch {
          throw fail("the data: URL has malformed percent-encoding (such as a lone %).");
        }
      }
      if (!base64) throw fail("the data: URL is empty.");
      return { kind: "data", mediaType, base64 };
    }
    if (/^https?:\/\//i.test(input) || /^gs:\/\//i.test(input)) return { kind: "url", url: input };
    throw fail(
      `"${input.slice(0, 60)}" is not an http(s) URL or a data: URL. Rephysco never reads local files: read the file and pass its bytes.`,
    );
  }
  if (input instanceof Uint8Array) {
    if (input.byteLength === 0) throw fail("the image bytes are empty.");
    const mediaType = sniffImageType(input);
    if (!mediaType)
      throw fail(
        "the bytes are not a recognised image format (PNG, JPEG, GIF, WebP, BMP, TIFF, HEIC, AVIF); pass { data, mediaType }.",
      );
    return { kind: "data", mediaType, base64: toBase64(input) };
  }
  if (input && typeof input === "object" && "data" in input) {
    if (typeof input.mediaType !== "string" || !input.mediaType.includes("/")) {
      throw fail(
        `mediaType must be a media type such as "image/png", got ${JSON.stringify(input.mediaType)}.`,
      );
    }
    const base64 = typeof input.data === "string" ? input.data : toBase64(input.data);
    if (!base64) throw fail("the image data is empty.");
    return { kind: "data", mediaType: input.mediaType, base64 };
  }
  throw fail("expected a URL string, a data: URL, a URL, bytes, or { data, mediaType }.");
}

/** An image as a `data:` URL (or its remote URL unchanged), for OpenAI-style `image_url` parts. */
export function imageToUrl(input: ImageInput, provider?: string): string {
  const r = resolveImage(input, provider);
  return r.kind === "url" ? r.url : `data:${r.mediaType};base64,${r.base64}`;
}

/**
 * Checks the shape of an image without converting it (no base64 copy of its bytes): the same
 * errors {@link resolveImage} would raise for a malformed `data:` URL, a local path, a wrong type
 * or an empty value, raised before anything is hashed or sent.
 *
 * @throws {InvalidRequestError} (code `invalid_image`) naming `where`.
 */
export function validateImage(input: unknown, where: string, provider = "client"): void {
  if (input instanceof Uint8Array) {
    if (input.byteLength === 0)
      throw new InvalidRequestError(`Invalid image ${where}: the image bytes are empty.`, {
        provider,
        reason: "invalid_image",
      });
    return;
  }
  if (typeof input === "string" || input instanceof URL) {
    // Strings are checked in full (cheap: only non-base64 data: URLs are decoded).
    try {
      resolveImage(input, provider);
    } catch (e) {
      if (e instanceof InvalidRequestError) {
        throw new InvalidRequestError(
          `${e.message.replace("Invalid image:", `Invalid image ${where}:`)}`,
          {
            provider,
            reason: "invalid_image",
          },
        );
      }
      throw e;
    }
    return;
  }
  if (input && typeof input === "object" && "data" in input) {
    const { data, mediaType } = input as { data: unknown; mediaType: unknown };
    if (typeof data !== "string" && !(data instanceof Uint8Array))
      throw new InvalidRequestError(
        `Invalid image ${where}: data must be bytes or a base64 string; got ${typeof data}.`,
        { provider, reason: "invalid_image" },
      );
    if (typeof mediaType !== "string" || !mediaType.includes("/"))
      throw new InvalidRequestError(
        `Invalid image ${where}: mediaType must be a media type such as "image/png"; got ${JSON.stringify(mediaType) ?? typeof mediaType}.`,
        { provider, reason: "invalid_image" },
      );
    if ((typeof data === "string" ? data.length : data.byteLength) === 0)
      throw new InvalidRequestError(`Invalid image ${where}: the image data is empty.`, {
        provider,
        reason: "invalid_image",
      });
    return;
  }
  throw new InvalidRequestError(
    `Invalid image ${where}: expected a URL string, a data: URL, a URL, bytes, or { data, mediaType }; got ${input === null ? "null" : typeof input}.`,
    { provider, reason: "invalid_image" },
  );
}
