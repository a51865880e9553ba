import type { ConformanceDialect } from "./conformance-options.js";

/** An image found in a recorded request. */
export interface WireImage {
  /** Inline base64 bytes (without a `data:` prefix), when sent inline. */
  readonly base64?: string;
  /** Media type, when sent inline. */
  readonly mediaType?: string;
  /** The URL, when sent by reference. */
  readonly url?: string;
}

/** One conversation turn as it appeared on the wire. */
export interface WireTurn {
  readonly role: "user" | "assistant";
  readonly text: string;
  readonly images: readonly WireImage[];
}

/** A request body reduced to what every dialect has: system text and turns. */
export interface WireConversation {
  readonly system: string;
  readonly turns: readonly WireTurn[];
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

function fromDataUrl(url: string): WireImage {
  const m = /^data:([^;,]+);base64,(.*)$/s.exec(url);
  return m ? { mediaType: m[1]!, base64: m[2]! } : { url };
}

function openaiParts(content: unknown): { text: string; images: WireImage[] } {
  if (typeof content === "string") return { text: content, images: [] };
  const texts: string[] = [];
  const images: WireImage[] = [];
  for (const part of list(content)) {
    if (!isObj(part)) continue;
    if (typeof part.text === "string") texts.push(part.text);
    const imageUrl = part.image_url;
    const url = isObj(imageUrl) ? imageUrl.url : imageUrl;
    if (typeof url === "string") images.push(fromDataUrl(url));
  }
  return { text: texts.join("\n"), images };
}

function anthropicParts(content: unknown): { text: string; images: WireImage[] } {
  if (typeof content === "string") return { text: content, images: [] };
  const texts: string[] = [];
  const images: WireImage[] = [];
  for (const block of list(content)) {
    if (!isObj(block)) continue;
    if (block.type === "text" && typeof block.text === "string") texts.push(block.text);
    if (block.type === "image" && isObj(block.source)) {
      const s = block.source;
      if (s.type === "base64")
        images.push({ base64: String(s.data), mediaType: String(s.media_type) });
      else if (s.type === "url") images.push({ url: String(s.url) });
    }
  }
  return { text: texts.join("\n"), images };
}

function geminiParts(parts: unknown): { text: string; images: WireImage[] } {
  const texts: string[] = [];
  const images: WireImage[] = [];
  for (const part of list(parts)) {
    if (!isObj(part)) continue;
    if (part.thought === true) continue;
    if (typeof part.text === "string") texts.push(part.text);
    if (isObj(part.inlineData)) {
      images.push({
        base64: String(part.inlineData.data),
        mediaType: String(part.inlineData.mimeType),
      });
    }
    if (isObj(part.fileData)) images.push({ url: String(part.fileData.fileUri) });
  }
  return { text: texts.join("\n"), images };
}

/**
 * Reads the system text and the user/assistant turns out of a recorded request body, whatever
 * the dialect: OpenAI `messages` (system role), Anthropic top-level `system` + `messages`,
 * Gemini `systemInstruction` + `contents` (role `model` is the assistant).
 */
export function readConversation(dialect: ConformanceDialect, body: unknown): WireConversation {
  const b = isObj(body) ? body : {};
  const system: string[] = [];
  const turns: WireTurn[] = [];
  if (dialect === "gemini") {
    const si = b.systemInstruction ?? b.system_instruction;
    if (typeof si === "string") system.push(si);
    else if (isObj(si)) system.push(geminiParts(si.parts).text);
    for (const c of list(b.contents)) {
      if (!isObj(c)) continue;
      const { text, images } = geminiParts(c.parts);
      turns.push({ role: c.role === "model" ? "assistant" : "user", text, images });
    }
  } else if (dialect === "anthropic") {
    if (typeof b.system === "string") system.push(b.system);
    else system.push(anthropicParts(b.system).text);
    for (const m of list(b.messages)) {
      if (!isObj(m)) continue;
      const { text, images } = anthropicParts(m.content);
      turns.push({ role: m.role === "assistant" ? "assistant" : "user", text, images });
    }
  } else {
    for (const m of list(b.messages)) {
      if (!isObj(m)) continue;
      const { text, images } = openaiParts(m.content);
      if (m.role === "system" || m.role === "developer") system.push(text);
      else turns.push({ role: m.role === "assistant" ? "assistant" : "user", text, images });
    }
  }
  return { system: system.filter(Boolean).join("\n"), turns };
}
