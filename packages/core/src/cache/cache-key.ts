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
const VERSION = "rephysco-cache-v3";

// Length-prefixed fields make the serialization unambiguous without escaping anything.
function field(h: Hash, s: string): void {
  h.update(`${s.length}:`);
  h.update(s);
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
  field(h, VERSION);
  field(h, input.provider);
  field(h, input.baseURL);
  field(h, input.keyFingerprint);
  field(h, input.providerIdentity ?? "");
  field(h, input.model);
  const fallbacks = input.fallbacks ?? [];
  field(h, String(fallbacks.length));
  for (const f of fallbacks) {
    field(h, f.provider);
    field(h, f.baseURL);
    field(h, f.keyFingerprint);
    field(h, f.providerIdentity ?? "");
    field(h, f.model);
  }
  field(h, String(input.messages.length));
  for (const m of input.messages) {
    field(h, m.role);
    field(h, m.content);
    field(h, m.name ?? "");
    const images = m.images ?? [];
    field(h, String(images.length));
    for (const img of images) {
      if (img instanceof Uint8Array) {
        // Raw bytes are hashed as they are: no base64 copy of a large image.
        field(h, `bytes:${img.byteLength}`);
        h.update(img);
        continue;
      }
      const r = resolveImage(img);
      if (r.kind === "url") field(h, `url:${r.url}`);
      else {
        field(h, `data:${r.mediaType}`);
        field(h, r.base64);
      }
    }
    // Tool turns: calls (raw arguments as written), results, and what travels with the turn.
    const calls = m.toolCalls;
    if (calls === undefined) field(h, "u");
    else {
      field(h, String(calls.length));
      for (const c of calls) {
        field(h, c.id);
        field(h, c.name);
        field(h, c.rawArguments ?? stableStringify(c.arguments ?? null));
        field(h, c.providerMetadata === undefined ? "u" : stableStringify(c.providerMetadata));
      }
    }
    field(h, m.toolCallId ?? "u");
    field(h, m.isError === undefined ? "u" : String(m.isError));
    field(h, m.reasoning ?? "u");
    field(h, m.providerMetadata === undefined ? "u" : stableStringify(m.providerMetadata));
  }
  field(h, input.temperature === undefined ? "u" : String(input.temperature));
  field(h, input.maxTokens === undefined ? "u" : String(input.maxTokens));
  field(h, input.topP === undefined ? "u" : String(input.topP));
  field(h, input.stop === undefined ? "u" : stableStringify(input.stop));
  field(h, input.providerOptions === undefined ? "u" : stableStringify(input.providerOptions));
  field(h, input.tools === undefined ? "u" : stableStringify(input.tools));
  field(h, input.toolChoice === undefined ? "u" : stableStringify(input.toolChoice));
  field(h, input.responseFormat === undefined ? "u" : stableStringify(input.responseFormat));
  return h.digest("hex");
}
