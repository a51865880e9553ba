import { AuthenticationError, ConfigurationError } from "./errors.js";
import { nodeCrypto } from "./lazy.js";
import type { Provider, ProviderOptions } from "./provider.js";
import { scrubError, scrubSecrets, scrubValue, urlSecrets } from "./scrub.js";
import type { StreamPart } from "./stream-part.js";
import type {
  Message,
  ModelResponse,
  PriceSheet,
  ProviderCallOptions,
  ProviderCapabilities,
  StreamChunk,
} from "./types.js";

/** What a provider subclass tells {@link BaseProvider} about itself. */
export interface BaseProviderConfig {
  /** Registry id (`"openai"`). Becomes {@link BaseProvider.name}. */
  readonly id: string;
  /** Model used when the caller names none. */
  readonly defaultModel: string;
  /** Base URL used when neither the settings nor the environment give one. */
  readonly defaultBaseURL: string;
  /** Environment variables read for the key, in order (`["OPENAI_API_KEY"]`). */
  readonly apiKeyEnvVars: readonly string[];
  /** Environment variables read for the base URL, in order (`["OPENAI_BASE_URL"]`). */
  readonly baseURLEnvVars?: readonly string[];
  /** The user's settings. */
  readonly settings: ProviderOptions;
  /** What the provider supports. Defaults: images and reasoning off. */
  readonly capabilities?: Partial<ProviderCapabilities>;
  /** Set to `false` for providers that need no key (local servers). Default `true`. */
  readonly requireApiKey?: boolean;
  /**
   * Names of headers that carry credentials for this provider, besides the standard
   * `authorization`, `api-key`, `x-api-key`, `x-goog-api-key` and `proxy-authorization`.
   * Their values are scrubbed from errors and fingerprinted into cache keys like the key.
   */
  readonly credentialHeaders?: readonly string[];
  /**
   * Other settings that change whose account answers (OpenAI's organization and project):
   * fingerprinted into cache keys with the key, never stored.
   */
  readonly accountIdentity?: readonly (string | undefined | null)[];
  /** The provider's price table, from which the client computes `cost` (see {@link PriceSheet}). */
  readonly prices?: PriceSheet;
}

/** Headers that carry credentials for every provider (lower case). */
const STANDARD_CREDENTIAL_HEADERS = [
  "authorization",
  "proxy-authorization",
  "api-key",
  "x-api-key",
  "x-goog-api-key",
];

function readEnv(names: readonly string[] | undefined): string | undefined {
  if (!names || typeof process === "undefined") return undefined;
  for (const n of names) {
    const v = process.env[n];
    if (v !== undefined && v.trim() !== "") return v.trim();
  }
  return undefined;
}

/**
 * The class every provider extends, ours and third parties' alike. It resolves the API key and
 * base URL when the provider is created (never at import), and gives the client what it needs
 * for cache keys. Subclasses implement the wire format.
 *
 * Contract for subclasses:
 * - `generate` returns a {@link ModelResponse} or throws a `ProviderError` subclass; a
 *   `content_filter` finish throws {@link ContentFilterError}.
 * - `stream` yields {@link StreamChunk}s; the last one carries `finishReason` (and `usage` when
 *   known). A cut stream throws {@link ServiceUnavailableError}; the client then attaches the
 *   partial text and rejects streams that end without a finish reason.
 * - Both pass `options.signal` to the transport so that an abort closes the socket.
 * - Neither retries: the client runs the one retry policy.
 *
 * @example
 * ```ts
 * class MyProvider extends BaseProvider<MyMessage[], MyResponse, MyChunk> {
 *   constructor(settings: ProviderOptions = {}) {
 *     super({ id: "my-llm", defaultModel: "m-1", defaultBaseURL: "https://api.example.com/v1",
 *             apiKeyEnvVars: ["MY_LLM_API_KEY"], settings });
 *   }
 *   // formatMessages, generate, stream, parseResponse, parseStreamChunk ...
 * }
 * ```
 */
export abstract class BaseProvider<TMessages = unknown, TResponse = unknown, TChunk = unknown>
  implements Provider
{
  /** Registry id of this provider. */
  readonly name: string;
  /** Model used when the caller names none. */
  readonly defaultModel: string;
  /** The base URL requests go to. */
  readonly baseURL: string;
  /** What this provider supports. */
  readonly capabilities: ProviderCapabilities;
  /** Environment variables the key is read from. */
  readonly apiKeyEnvVars: readonly string[];
  /** The provider's price table, when it ships one. */
  readonly prices?: PriceSheet;
  // Private fields: `util.inspect` and `JSON.stringify` of a provider never show them.
  readonly #apiKey: string;
  readonly #headers: Readonly<Record<string, string>>;
  readonly #credentialValues: readonly string[];
  readonly #accountIdentity: readonly string[];
  #secrets: readonly string[] | undefined;
  #fingerprint: string | undefined;

  constructor(config: BaseProviderConfig) {
    this.name = config.id;
    this.defaultModel = config.defaultModel;
    this.apiKeyEnvVars = config.apiKeyEnvVars;
    if (config.prices) this.prices = config.prices;
    const settings = config.settings ?? {};
    const baseURL = settings.baseURL ?? readEnv(config.baseURLEnvVars) ?? config.defaultBaseURL;
    this.baseURL = baseURL.replace(/\/+$/, "");
    const headers = settings.headers ?? {};
    this.#headers = headers;
    const credentialNames = new Set([
      ...STANDARD_CREDENTIAL_HEADERS,
      ...(config.credentialHeaders ?? []).map((h) => h.toLowerCase()),
    ]);
    this.#credentialValues = Object.keys(headers)
      .filter((name) => credentialNames.has(name.toLowerCase()))
      .sort()
      .map((name) => `${name.toLowerCase()}=${headers[name]}`);
    this.#accountIdentity = (config.accountIdentity ?? []).map((v) => v ?? "");
    this.capabilities = { images: false, reasoning: false, ...config.capabilities };
    const key = settings.apiKey ?? readEnv(config.apiKeyEnvVars);
    if ((key === undefined || key === "") && config.requireApiKey !== false) {
      const vars = config.apiKeyEnvVars;
      throw new AuthenticationError(
        `No API key for ${config.id}: set ${vars.length > 1 ? `${vars.slice(0, -1).join(", ")} or ${vars.at(-1)}` : (vars[0] ?? "the apiKey option")} in the environment, or pass { apiKey } in the settings.`,
        { provider: config.id, reason: "missing_api_key" },
      );
    }
    if (key !== undefined && /[\r\n\0]/.test(key)) {
      throw new ConfigurationError(
        `The API key for ${config.id} contains a line break or NUL character; it cannot be sent in a header. Check how it was read (a trailing newline from a file?).`,
        { provider: config.id, reason: "invalid_api_key" },
      );
    }
    this.#apiKey = key ?? "";
    checkBaseURL(config.id, this.baseURL);
  }

  /** The API key (empty string when the provider needs none). Never log it. */
  protected get apiKey(): string {
    return this.#apiKey;
  }

  /** Extra headers from the settings. */
  protected get headers(): Readonly<Record<string, string>> {
    return this.#headers;
  }

  /**
   * Everything secret this provider holds: the key, credential header values, and the user
   * name, password and query values of the base URL. Pass it to `scrubSecrets`/`scrubError`
   * and to the `@rephysco/core/http` helpers as `secrets`.
   */
  protected get secrets(): readonly string[] {
    this.#secrets ??= [
      ...(this.#apiKey ? [this.#apiKey] : []),
      ...this.#credentialValues.map((nv) => nv.slice(nv.indexOf("=") + 1)),
      ...urlSecrets(this.baseURL),
    ];
    return this.#secrets;
  }

  /**
   * A short SHA-256 fingerprint of the credentials (the API key, credential-bearing headers,
   * and account settings such as OpenAI's organization), used in cache keys so that answers
   * never leak between accounts. The credentials themselves are never stored.
   */
  get keyFingerprint(): string {
    if (this.#fingerprint === undefined) {
      const parts = [this.#apiKey, ...this.#credentialValues, ...this.#accountIdentity];
      this.#fingerprint = parts.some((p) => p !== "")
        ? nodeCrypto().createHash("sha256").update(JSON.stringify(parts)).digest("hex").slice(0, 16)
        : "none";
    }
    return this.#fingerprint;
  }

  /**
   * Settings of this instance that change answers beyond the base URL and key (extra body
   * fields, API version, default token limit...), as a stable string. It is part of the cache
   * key, so that two differently configured clients never share answers. Default: none.
   */
  get cacheIdentity(): string {
    return "";
  }

  /**
   * Removes this provider's secrets (and anything key-shaped) from a string, or in place from an
   * error and its cause chain, or from a JSON-like value (a copy where something changed).
   */
  scrub<T>(value: T): T {
    if (typeof value === "string") return scrubSecrets(value, this.secrets) as T;
    if (value instanceof Error) return scrubError(value, this.secrets);
    return scrubValue(value, this.secrets);
  }

  /** Converts Rephysco messages to the provider's message format. */
  abstract formatMessages(messages: readonly Message[]): TMessages | Promise<TMessages>;

  /** Sends one non-streaming request. */
  abstract generate(
    messages: readonly Message[],
    options: ProviderCallOptions,
  ): Promise<ModelResponse>;

  /**
   * Sends one streaming request and yields its parts, ending with one `finish` part. Legacy
   * `StreamChunk`s are still accepted (the client adapts them).
   */
  abstract stream(
    messages: readonly Message[],
    options: ProviderCallOptions,
  ): AsyncIterable<StreamPart | StreamChunk>;

  /** Converts the provider's response body to a {@link ModelResponse}. */
  abstract parseResponse(raw: TResponse): ModelResponse;

  /** Converts one streamed event to a {@link StreamChunk}, or `undefined` when it carries nothing. */
  abstract parseStreamChunk(raw: TChunk): StreamChunk | undefined;
}

/**
 * A base URL must be an absolute `http:` or `https:` URL: anything else (a `file:` URL, a typo)
 * would fail on every request and look like an outage.
 */
function checkBaseURL(provider: string, baseURL: string): void {
  let url: URL;
  try {
    url = new URL(baseURL);
  } catch {
    throw new ConfigurationError(
      `The base URL for ${provider} is not a valid absolute URL; give one such as https://api.example.com/v1.`,
      { provider, reason: "invalid_base_url" },
    );
  }
  if (url.username !== "" || url.password !== "") {
    // fetch refuses such URLs on every request; credentials belong in `apiKey` or `headers`.
    throw new ConfigurationError(
      `The base URL for ${provider} contains a user name or password, which fetch cannot send; pass credentials with apiKey or headers instead.`,
      { provider, reason: "invalid_base_url" },
    );
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new ConfigurationError(
      `The base URL for ${provider} uses ${url.protocol}; only http: and https: are supported.`,
      { provider, reason: "invalid_base_url" },
    );
  }
}
