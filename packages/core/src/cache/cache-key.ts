import type { Hash } from "node:crypto";
import { resolveImage } from "../images.js";
import { nodeCrypto } from "../lazy.js";
import { stableStringify } from "../stable-stringify.js";
import type { Message, ResponseFormat, ToolChoice, ToolSpec } from "../types.js";

/** One provider a request may be answered by: who is asked, with which credentials and model. */
export interface CacheKeyTarget {
  /** Registry id. */
  readonly provider: string;
  /** Base URL. */
  readonly baseURL: string;
  /** Fingerprint of the credentials (see `BaseProvider.keyFingerprint`); never the key. */
  readonly keyFingerprint: string;
  /** Provider settings that change answers (see `BaseProvider.cacheIdentity`). */
  readonly providerIdentity?: string;
  /** Model id. */
  readonly model: string;
}

/** Everything that identifies an answer. Signals, timeouts and retry settings are not part of it. */
export interface CacheKeyInput {
  /** Registry id of the provider asked first. */
  readonly provider: string;
  /** Base URL of that provider. */
  readonly baseURL: string;
  /** Fingerprint of the API key (see `BaseProvider.keyFingerprint`); never the key. */
  readonly keyFingerprint: string;
  /** Provider settings that change answers (see `BaseProvider.cacheIdentity`). */
  readonly providerIdentity?: string;
  /** Model id. */
  readonly model: string;
  /**
   * The fallbacks, in order: an answer may come from any of them, so two clients whose chains
   * differ never share entries.
   */
  readonly fallbacks?: readonly CacheKeyTarget[];
  /** The full conversation sent, system prompt included. */
  readonly messages: readonly Message[];
  /** Sampling temperature. */
  readonly temperature?: number;
  /** Answer token limit. */
  readonly maxTokens?: number;
  /** Nucleus sampling. */
  readonly topP?: number;
  /** Stop sequences. */
  readonly stop?: readonly string[];
  /** Provider-specific parameters; serialized with sorted keys. */
  readonly providerOptions?: Readonly<Record<string, unknown>>;
  /** Tools offered (names, descriptions, JSON Schemas). */
  readonly tools?: readonly ToolSpec[];
  /** Tool choice. */
  readonly toolChoice?: ToolChoice;
  /** Structured output format. */
  readonly responseFormat?: ResponseFormat;
}

// v2: credential headers and account settings in the fingerprint, the whole target chain.
// Entries written under other rules are never read.
// v3: tools, tool choice, response format and the tool fields of messages.
// v4: one meaning of usage on every provider (cached answers of v3 counted tokens differently).
const VERSION = "rephysco-cache-v4";

// Length-prefixed fields make the serialization unambiguous without escaping anything. Small
// fields are gathered into one string and fed to the hash at once (each `update` is a native
// call); a large field (a long message) goes to the hash as it is, never copied. The bytes hashed
// are the same either way, so the key does not depend on how they were fed.
const LARGE = 256;

class Feed {
  #buf = "";
  constructor(readonly h: Hash) {}
  field(s: string): void {
    if (s.length < LARGE) {
      this.#buf += `${s.length}:${s}`;
      return;
    }
    this.h.update(`${this.#buf}${s.length}:`);
    this.#buf = "";
    this.h.update(s);
  }
  bytes(b: Uint8Array): void {
    this.flush();
    this.h.update(b);
  }
  flush(): void {
    if (this.#buf) this.h.update(this.#buf);
    this.#buf = "";
  }
}

/**
 * The cache key of a request: SHA-256 (hex) over a length-prefixed canonical serialization of
 * provider, base URL, credential fingerprint, model, every fallback (the same fields), every message (image bytes are fed to the hash, not
 * stored) and every generation parameter. The hash is updated field by field, so no copy of a
 * large conversation is built.
 *
 * @example
 * ```ts
 * cacheKey({ provider: "openai", baseURL, keyFingerprint, model: "gpt-4o-mini", messages });
 * ```
 */
export function cacheKey(input: CacheKeyInput): string {
  const h = nodeCrypto().createHash("sha256");
  const f = new Feed(h);
  f.field(VERSION);
  f.field(input.provider);
  f.field(input.baseURL);
  f.field(input.keyFingerprint);
  f.field(input.providerIdentity ?? "");
  f.field(input.model);
  const fallbacks = input.fallbacks ?? [];
  f.field(String(fallbacks.length));
  for (const t of fallbacks) {
    f.field(t.provider);
    f.field(t.baseURL);
    f.field(t.keyFingerprint);
    f.field(t.providerIdentity ?? "");
    f.field(t.model);
  }
  f.field(String(input.messages.length));
  for (const m of input.messages) {
    f.field(m.role);
    f.field(m.content);
    f.field(m.name ?? "");
    const images = m.images ?? [];
    f.field(String(images.length));
    for (const img of images) {
      if (img instanceof Uint8Array) {
        // Raw bytes are hashed as they are: no base64 copy of a large image.
        f.field(`bytes:${img.byteLength}`);
        f.bytes(img);
        continue;
      }
      const r = resolveImage(img);
      if (r.kind === "url") f.field(`url:${r.url}`);
      else {
        f.field(`data:${r.mediaType}`);
        f.field(r.base64);
      }
    }
    // Tool turns: calls (raw arguments as written), results, and what travels with the turn.
    const calls = m.toolCalls;
    if (calls === undefined) f.field("u");
    else {
      f.field(String(calls.length));
      for (const c of calls) {
        f.field(c.id);
        f.field(c.name);
        f.field(c.rawArguments ?? stableStringify(c.arguments ?? null));
        f.field(c.providerMetadata === undefined ? "u" : stableStringify(c.providerMetadata));
      }
    }
    f.field(m.toolCallId ?? "u");
    f.field(m.isError === undefined ? "u" : String(m.isError));
    f.field(m.reasoning ?? "u");
    f.field(m.providerMetadata === undefined ? "u" : stableStringify(m.providerMetadata));
  }
  f.field(input.temperature === undefined ? "u" : String(input.temperature));
  f.field(input.maxTokens === undefined ? "u" : String(input.maxTokens));
  f.field(input.topP === undefined ? "u" : String(input.topP));
  f.field(input.stop === undefined ? "u" : stableStringify(input.stop));
  f.field(input.providerOptions === undefined ? "u" : stableStringify(input.providerOptions));
  f.field(input.tools === undefined ? "u" : stableStringify(input.tools));
  f.field(input.toolChoice === undefined ? "u" : stableStringify(input.toolChoice));
  f.field(input.responseFormat === undefined ? "u" : stableStringify(input.responseFormat));
  f.flush();
  return h.digest("hex");
}
