import type { Content, Part } from "@google/genai";
import { type ImageInput, InvalidRequestError, type Message, resolveImage } from "@rephysco/core";
import type { FetchedImage } from "./fetch-image.js";

/** A conversation in Gemini's shape: the turns, and the system prompt kept apart. */
export interface GeminiPrompt {
  /** Alternating `user` / `model` turns. Never empty. */
  readonly contents: Content[];
  /** System messages, as Gemini's top-level `systemInstruction`. */
  readonly systemInstruction?: Content;
}

/** What the conversion needs from its caller. */
export interface ConvertToGeminiContentsOptions {
  /** Registry id put on errors. */
  readonly provider: string;
  /** Downloads an `http(s)` image so it can be inlined (see `fetchImage`). */
  readonly loadImage: (url: string) => Promise<FetchedImage>;
}

const FILE_EXTENSION_TYPES: Readonly<Record<string, string>> = {
  png: "image/png",
  jpg: "image/jpeg",
  jpeg: "image/jpeg",
  webp: "image/webp",
  gif: "image/gif",
  heic: "image/heic",
  heif: "image/heif",
};

/**
 * `gs://` objects and Gemini Files API resources are read by Google's servers: they are sent as
 * `fileData` references, never downloaded by us.
 */
function isGoogleFileUri(url: string): boolean {
  if (/^gs:\/\//i.test(url)) return true;
  try {
    const u = new URL(url);
    return u.hostname === "generativelanguage.googleapis.com" && /\/files\/[^/]+/.test(u.pathname);
  } catch {
    return false;
  }
}

function fileDataPart(fileUri: string, mimeType?: string): Part {
  const ext = /\.([a-z0-9]+)$/i.exec(fileUri.split(/[?#]/)[0] ?? "")?.[1]?.toLowerCase();
  const type = mimeType ?? (ext ? FILE_EXTENSION_TYPES[ext] : undefined);
  return { fileData: type ? { fileUri, mimeType: type } : { fileUri } };
}

async function imagePart(image: ImageInput, opts: ConvertToGeminiContentsOptions): Promise<Part> {
  const asUrl = image instanceof URL ? image.href : typeof image === "string" ? image : undefined;
  if (asUrl !== undefined && isGoogleFileUri(asUrl)) return fileDataPart(asUrl);
  // `{ data: "gs://...", mediaType }` is the only way to give a file URI an explicit type.
  if (
    typeof image === "object" &&
    !(image instanceof Uint8Array) &&
    !(image instanceof URL) &&
    typeof image.data === "string" &&
    isGoogleFileUri(image.data)
  ) {
    return fileDataPart(image.data, image.mediaType);
  }
  const resolved = resolveImage(image, opts.provider);
  if (resolved.kind === "url") {
    const fetched = await opts.loadImage(resolved.url);
    return { inlineData: { mimeType: fetched.mediaType, data: fetched.base64 } };
  }
  return { inlineData: { mimeType: resolved.mediaType, data: resolved.base64 } };
}

/**
 * Converts Rephysco messages to Gemini `contents` + `systemInstruction`:
 * - system messages (wherever they appear) become `systemInstruction` parts, in order;
 * - `assistant` becomes role `model`;
 * - consecutive turns of the same role are merged into one turn, because Gemini requires
 *   user/model alternation;
 * - images come before the message text (Google's prompting advice) as `inlineData`, or as
 *   `fileData` for `gs://` and Files API URIs; `http(s)` URLs are downloaded and inlined;
 * - empty texts are left out (Gemini rejects empty text parts);
 * - a conversation made only of system messages is sent as one user turn with that text, since
 *   Gemini needs at least one turn to answer.
 *
 * @throws {InvalidRequestError} for `tool` messages, bad images, or nothing to send.
 */
export async function convertToGeminiContents(
  messages: readonly Message[],
  opts: ConvertToGeminiContentsOptions,
): Promise<GeminiPrompt> {
  const system: Part[] = [];
  const contents: Content[] = [];
  for (const [i, message] of messages.entries()) {
    if (message.role === "system") {
      if (message.content !== "") system.push({ text: message.content });
      continue;
    }
    if (message.role !== "user" && message.role !== "assistant") {
      throw new InvalidRequestError(
        `Message ${i} has role "${message.role}", which the Gemini provider does not support (use system, user or assistant).`,
        { provider: opts.provider, code: "unsupported_role" },
      );
    }
    const parts: Part[] = message.images?.length
      ? await Promise.all(message.images.map((img) => imagePart(img, opts)))
      : [];
    if (message.content !== "") parts.push({ text: message.content });
    if (parts.length === 0) continue;
    const role = message.role === "assistant" ? "model" : "user";
    const last = contents.at(-1);
    if (last?.role === role) last.parts!.push(...parts);
    else contents.push({ role, parts });
  }
  if (contents.length === 0) {
    if (system.length === 0) {
      throw new InvalidRequestError("Nothing to send: every message is empty.", {
        provider: opts.provider,
        code: "empty_prompt",
      });
    }
    return { contents: [{ role: "user", parts: system }] };
  }
  return system.length > 0 ? { contents, systemInstruction: { parts: system } } : { contents };
}
