import type { Content, Part } from "@google/genai";
import { type ImageInput, InvalidRequestError, type Message } from "@rephysco/core";
import { checkToolResults, resolveImage } from "@rephysco/core/http";
import {
  functionCallParts,
  functionResponsePart,
  type KnownToolCall,
  turnThoughtSignature,
} from "./convert-gemini-tool-history.js";
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
  /**
   * Downloads an `http(s)` image so it can be inlined (see `fetchImage`); must stop when
   * `signal` aborts.
   */
  readonly loadImage: (url: string, signal: AbortSignal) => Promise<FetchedImage>;
  /** The caller's signal: aborting it stops the downloads. */
  readonly signal?: AbortSignal;
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

async function imagePart(
  image: ImageInput,
  provider: string,
  load: (url: string) => Promise<FetchedImage>,
): Promise<Part> {
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
  const resolved = resolveImage(image, provider);
  if (resolved.kind === "url") {
    const fetched = await load(resolved.url);
    return { inlineData: { mimeType: fetched.mediaType, data: fetched.base64 } };
  }
  return { inlineData: { mimeType: resolved.mediaType, data: resolved.base64 } };
}

/** User and assistant turns carry images; system and tool messages never send theirs. */
function hasImages(m: Message): m is Message & { readonly images: readonly ImageInput[] } {
  return (m.role === "user" || m.role === "assistant") && (m.images?.length ?? 0) > 0;
}

/**
 * The image parts of every user and assistant message (indexed like `messages`), all loaded at
 * once. The first failure fails the call, so it aborts the downloads still running at once
 * rather than leaving them open until their own timeouts.
 */
async function imageParts(
  messages: readonly Message[],
  opts: ConvertToGeminiContentsOptions,
): Promise<(Part[] | undefined)[]> {
  if (!messages.some((m) => hasImages(m))) return [];
  const siblings = new AbortController();
  const signal = opts.signal ? AbortSignal.any([opts.signal, siblings.signal]) : siblings.signal;
  const load = (url: string) => opts.loadImage(url, signal);
  try {
    return await Promise.all(
      messages.map((m) =>
        hasImages(m)
          ? Promise.all(m.images.map((img) => imagePart(img, opts.provider, load)))
          : undefined,
      ),
    );
  } catch (e) {
    siblings.abort();
    throw e;
  }
}

/**
 * Converts Rephysco messages to Gemini `contents` + `systemInstruction`:
 * - system messages (wherever they appear) become `systemInstruction` parts, in order;
 * - `assistant` becomes role `model`;
 * - consecutive turns of the same role are merged into one turn, because Gemini requires
 *   user/model alternation;
 * - images come before the message text (Google's prompting advice) as `inlineData`, or as
 *   `fileData` for `gs://` and Files API URIs; `http(s)` URLs are downloaded (all at once) and
 *   inlined;
 * - empty texts are left out (Gemini rejects empty text parts);
 * - an assistant turn's text carries the turn's thought signature
 *   (`providerMetadata.gemini.thoughtSignature`), and its tool calls follow as `functionCall`
 *   parts (see `functionCallParts`: Gemini's own ids and signatures sent back exactly, the
 *   documented dummy signature for calls Gemini did not sign);
 * - `tool` messages become `functionResponse` parts of a `user` turn (Gemini's role for function
 *   results), all results of one turn in one content (see `functionResponsePart` for the name
 *   lookup and how a result becomes the object Gemini requires);
 * - a conversation made only of system messages is sent as one user turn with that text, since
 *   Gemini needs at least one turn to answer.
 *
 * @throws {InvalidRequestError} for unknown roles, a tool result that answers no earlier call,
 * bad images, or nothing to send.
 */
export async function convertToGeminiContents(
  messages: readonly Message[],
  opts: ConvertToGeminiContentsOptions,
): Promise<GeminiPrompt> {
  for (const [i, message] of messages.entries()) {
    if (
      message.role !== "system" &&
      message.role !== "user" &&
      message.role !== "assistant" &&
      message.role !== "tool"
    ) {
      throw new InvalidRequestError(
        `Message ${i} has role "${message.role}", which the Gemini provider does not support (use system, user, assistant or tool).`,
        { provider: opts.provider, reason: "unsupported_role" },
      );
    }
  }
  checkToolResults(opts.provider, messages);
  const images = await imageParts(messages, opts);
  const system: Part[] = [];
  const contents: Content[] = [];
  const known = new Map<string, KnownToolCall>();
  for (const [i, message] of messages.entries()) {
    if (message.role === "system") {
      if (message.content !== "") system.push({ text: message.content });
      continue;
    }
    let parts: Part[];
    if (message.role === "tool") {
      parts = [functionResponsePart(i, message, known, opts.provider)];
    } else {
      parts = images[i] ?? [];
      if (message.content !== "") {
        const text: Part = { text: message.content };
        const signature = message.role === "assistant" ? turnThoughtSignature(message) : undefined;
        if (signature !== undefined) text.thoughtSignature = signature;
        parts.push(text);
      }
      if (message.role === "assistant" && message.toolCalls?.length)
        parts.push(...functionCallParts(message.toolCalls, known));
    }
    if (parts.length === 0) continue;
    // Function results go back in a `user` turn (the current docs; "function" is the old role).
    const role = message.role === "assistant" ? "model" : "user";
    const last = contents.at(-1);
    if (last?.role === role) last.parts!.push(...parts);
    else contents.push({ role, parts });
  }
  if (contents.length === 0) {
    if (system.length === 0) {
      throw new InvalidRequestError("Nothing to send: every message is empty.", {
        provider: opts.provider,
        reason: "invalid_input",
      });
    }
    return { contents: [{ role: "user", parts: system }] };
  }
  return system.length > 0 ? { contents, systemInstruction: { parts: system } } : { contents };
}
