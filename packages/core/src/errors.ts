import { scrubSecrets, scrubValue } from "./scrub.js";

const KINDS = Symbol.for("rephysco.error.kinds");

/**
 * Longest message kept, in characters. A provider's message is quoted into ours; a hostile or
 * broken server must not turn a 100 MB body into a 100 MB message (the bounded body stays in
 * `body`).
 */
const MAX_MESSAGE_LENGTH = 1000;

function boundMessage(message: string): string {
  return message.length > MAX_MESSAGE_LENGTH
    ? `${message.slice(0, MAX_MESSAGE_LENGTH)}… (${message.length - MAX_MESSAGE_LENGTH} more characters)`
    : message;
}

/**
 * Why Rephysco raised or classified an error, in its own words (the provider's own code stays in
 * `code`). One list for every provider:
 *
 * | reason | meaning |
 * | --- | --- |
 * | `missing_api_key` | no key in the options or the environment |
 * | `invalid_api_key` | the key cannot be sent (a line break or NUL in it) |
 * | `invalid_base_url` | not an absolute http(s) URL, or it carries a user name or password |
 * | `unknown_provider` | no provider registered under the id |
 * | `unknown_region` | a `region` setting the provider does not know |
 * | `invalid_option` | a client or call option out of range or of the wrong type |
 * | `invalid_setup` | the transport refused the request before connecting (a bad header value) |
 * | `sdk_unavailable` | a provider's vendor SDK could not be loaded (not installed, broken) |
 * | `invalid_input` | malformed messages, parameters or `providerOptions` |
 * | `invalid_image` | an image that is not of an accepted form |
 * | `unsupported_role` | a message role the provider cannot take |
 * | `connection_failed` | refused, reset, DNS or TLS failure (the errno is on `cause`) |
 * | `timeout`, `first_chunk_timeout`, `idle_timeout` | one of the three timeouts expired |
 * | `incomplete_stream` | a stream cut or ended before its finish |
 * | `malformed_response` | a body or event that is not what the dialect promises |
 * | `response_too_large` | a body or event above its size cap |
 * | `image_fetch_failed` | an image URL could not be downloaded (Gemini) |
 * | `content_filter` | the answer was stopped on content grounds (no vendor error code) |
 * | `refusal` | the model refused (Anthropic's `refusal` stop reason) |
 * | `invalid_tool` | a tool name, schema or `toolChoice` a provider the call can reach does not accept |
 * | `unsupported_feature` | tools or structured output asked of a provider that has none |
 * | `invalid_tool_arguments` | a tool call's arguments are not JSON, or fail the tool's schema |
 * | `invalid_object` | a structured answer is not JSON, or fails the schema |
 * | `tool_execution_failed` | a tool's `execute` threw and the call asked for it to be thrown |
 */
export type ErrorReason =
  | "missing_api_key"
  | "invalid_api_key"
  | "invalid_base_url"
  | "unknown_provider"
  | "unknown_region"
  | "invalid_option"
  | "invalid_setup"
  | "sdk_unavailable"
  | "invalid_input"
  | "invalid_image"
  | "unsupported_role"
  | "connection_failed"
  | "timeout"
  | "first_chunk_timeout"
  | "idle_timeout"
  | "incomplete_stream"
  | "malformed_response"
  | "response_too_large"
  | "image_fetch_failed"
  | "content_filter"
  | "refusal"
  | "invalid_tool"
  | "unsupported_feature"
  | "invalid_tool_arguments"
  | "invalid_object"
  | "tool_execution_failed"
  | "local_rate_limit"
  | "cooldown"
  | "budget_exceeded"
  | "limits_unavailable";

/** Details every Rephysco error carries. All fields but `provider` are optional. */
export interface ErrorDetails {
  /** Registry id of the provider the error came from (`"client"` for errors raised by Rephysco itself). */
  readonly provider: string;
  /** HTTP status of the provider's response, when there was one. */
  readonly status?: number;
  /** The provider's own error code (`invalid_api_key`, `RESOURCE_EXHAUSTED`, `20012`, ...). */
  readonly code?: string;
  /** Rephysco's own reason, when Rephysco raised or classified the error. */
  readonly reason?: ErrorReason;
  /** The request URL, with credentials scrubbed. */
  readonly url?: string;
  /** The response headers (lower-case names), with credentials scrubbed. */
  readonly headers?: Readonly<Record<string, string>>;
  /** The provider's request id (`x-request-id`, DashScope `request_id`, SiliconFlow trace id, ...). */
  readonly requestId?: string;
  /** How long the provider asked us to wait before retrying, in milliseconds. */
  readonly retryAfterMs?: number;
  /** The original error (vendor SDK error, network error), with secrets scrubbed. */
  readonly cause?: unknown;
  /** The provider's error body, parsed when it was JSON, with secrets scrubbed. */
  readonly body?: unknown;
  /** Overrides the class's default retry decision. */
  readonly retryable?: boolean;
  /** Text already received before a stream failed. */
  readonly partialContent?: string;
  /** Reasoning text already received before a stream failed. */
  readonly partialReasoning?: string;
  /** Extra provider data, such as Gemini safety ratings on a {@link ContentFilterError}. */
  readonly data?: Readonly<Record<string, unknown>>;
}

/**
 * The root of every error Rephysco throws. `instanceof` works across duplicate installed copies
 * of `@rephysco/core`: identity is a `Symbol.for` marker, not the class object.
 *
 * @example
 * ```ts
 * try { await client.generate("hi"); }
 * catch (e) { if (e instanceof RateLimitError) console.log(e.retryAfterMs); }
 * ```
 */
export class RephyscoError extends Error {
  /** Stable kind name used for cross-copy `instanceof`. Subclasses define their own. */
  static readonly kind: string = "RephyscoError";

  static override [Symbol.hasInstance](value: unknown): boolean {
    if (value === null || typeof value !== "object") return false;
    const kinds = (value as { [KINDS]?: unknown })[KINDS];
    // `this` is the class instanceof was asked about (a subclass too), which is the point here.
    // biome-ignore lint/complexity/noThisInStatic: see above
    return Array.isArray(kinds) && kinds.includes((this as { kind?: string }).kind);
  }

  declare readonly [KINDS]: readonly string[];
  /** Registry id of the provider the error came from. */
  readonly provider: string;
  /** HTTP status, when there was a response. */
  readonly status?: number;
  /** The provider's own error code (never one of Rephysco's: see `reason`). */
  readonly code?: string;
  /** Rephysco's own reason ({@link ErrorReason}), when Rephysco raised or classified the error. */
  readonly reason?: ErrorReason;
  /** The request URL, credentials scrubbed, when there was a request. */
  readonly url?: string;
  /** The response headers (lower-case names), credentials scrubbed, when there was a response. */
  readonly headers?: Readonly<Record<string, string>>;
  /** The provider's request id, for support tickets. */
  readonly requestId?: string;
  /** Requested wait before a retry, in milliseconds. */
  readonly retryAfterMs?: number;
  /** The provider's error body (secrets scrubbed). */
  readonly body?: unknown;
  /** Text received before a stream failed. */
  readonly partialContent?: string;
  /** Reasoning received before a stream failed. */
  readonly partialReasoning?: string;
  /** Extra provider data. */
  readonly data?: Readonly<Record<string, unknown>>;
  /** Whether the retry policy may try this request again. */
  readonly retryable: boolean;

  constructor(message: string, details: ErrorDetails) {
    super(
      boundMessage(scrubSecrets(message)),
      details.cause === undefined ? undefined : { cause: details.cause },
    );
    const kinds: string[] = [];
    for (
      let c: unknown = new.target;
      typeof c === "function" && c !== Error;
      c = Object.getPrototypeOf(c)
    ) {
      if (Object.hasOwn(c, "kind")) kinds.push((c as unknown as { kind: string }).kind);
    }
    Object.defineProperty(this, KINDS, { value: kinds, enumerable: false });
    this.name = (new.target as { kind?: string }).kind ?? "RephyscoError";
    this.provider = details.provider;
    if (details.status !== undefined) this.status = details.status;
    if (details.code !== undefined) this.code = details.code;
    if (details.reason !== undefined) this.reason = details.reason;
    if (details.url !== undefined) this.url = scrubSecrets(details.url);
    if (details.headers !== undefined) this.headers = scrubValue(details.headers);
    if (details.requestId !== undefined) this.requestId = details.requestId;
    if (details.retryAfterMs !== undefined) this.retryAfterMs = details.retryAfterMs;
    if (details.body !== undefined) this.body = scrubValue(details.body);
    if (details.partialContent !== undefined) this.partialContent = details.partialContent;
    if (details.partialReasoning !== undefined) this.partialReasoning = details.partialReasoning;
    if (details.data !== undefined) this.data = details.data;
    this.retryable = details.retryable ?? (new.target as typeof RephyscoError).defaultRetryable;
  }

  /** Whether errors of this class are retried unless told otherwise. */
  protected static readonly defaultRetryable: boolean = false;

  /**
   * The same error (same class, message, details and cause) carrying the output a stream had
   * already delivered when it failed. Returns `this` when it already carries partial output.
   */
  withPartialOutput(content: string, reasoning?: string): this {
    if (this.partialContent !== undefined) return this;
    const Cls = this.constructor as new (message: string, details: ErrorDetails) => this;
    const copy = new Cls(this.message, {
      provider: this.provider,
      ...(this.status !== undefined && { status: this.status }),
      ...(this.code !== undefined && { code: this.code }),
      ...(this.reason !== undefined && { reason: this.reason }),
      ...(this.url !== undefined && { url: this.url }),
      ...(this.headers !== undefined && { headers: this.headers }),
      ...(this.requestId !== undefined && { requestId: this.requestId }),
      ...(this.retryAfterMs !== undefined && { retryAfterMs: this.retryAfterMs }),
      ...(this.cause !== undefined && { cause: this.cause }),
      ...(this.body !== undefined && { body: this.body }),
      ...(this.data !== undefined && { data: this.data }),
      retryable: this.retryable,
      partialContent: content,
      ...(reasoning && { partialReasoning: reasoning }),
    });
    copy.message = this.message; // already scrubbed and bounded; keep it byte for byte
    if (this.stack !== undefined) copy.stack = this.stack;
    return copy;
  }

  /** A JSON view with no secrets, for logs. */
  toJSON(): Record<string, unknown> {
    return {
      name: this.name,
      message: this.message,
      provider: this.provider,
      status: this.status,
      code: this.code,
      reason: this.reason,
      url: this.url,
      requestId: this.requestId,
      retryAfterMs: this.retryAfterMs,
      retryable: this.retryable,
      body: this.body,
    };
  }
}

/**
 * A spending cap (USD or tokens) would be exceeded by this request, so it was not sent. Raised
 * before the request, from the reservation; never retried and never a reason to fall back (the
 * cap is the caller's, not the provider's). `data` holds `budget` (its name), `scope` (the key it
 * counts under), `limit`, `spent` and `requested` (in its unit, `unit`: `"usd"` or `"tokens"`), and
 * `resetsAt` (ms since the epoch, for a budget per period).
 */
export class BudgetExceededError extends RephyscoError {
  static override readonly kind: string = "BudgetExceededError";
}

/** An error reported by (or while talking to) a provider. */
export class ProviderError extends RephyscoError {
  static override readonly kind: string = "ProviderError";
}

/** The key is missing, invalid, or lacks permission (401/403, and the provider-specific equivalents). */
export class AuthenticationError extends ProviderError {
  static override readonly kind: string = "AuthenticationError";
}

/**
 * Too many requests: the provider answered 429 (retried, honouring its Retry-After), or a local
 * limit refused to send the request (`reason: "local_rate_limit"`, or `"cooldown"` while the
 * account waits out a 429 another process received): those are not retried, may fall back like
 * a 429, and carry `retryAfterMs`, when capacity returns.
 */
export class RateLimitError extends ProviderError {
  static override readonly kind: string = "RateLimitError";
  protected static override readonly defaultRetryable: boolean = true;
}

/**
 * The account is out of quota, credits or balance (OpenAI `insufficient_quota`, DashScope
 * `Arrearage`, xAI spending limit, SiliconFlow insufficient balance). Never retried: waiting does not help.
 */
export class QuotaExceededError extends ProviderError {
  static override readonly kind: string = "QuotaExceededError";
}

/** The provider refused the prompt or the answer on content grounds. Never retried. */
export class ContentFilterError extends ProviderError {
  static override readonly kind: string = "ContentFilterError";
}

/** The request is malformed, names an unknown model, or breaks a provider rule (400, 404, 422). */
export class InvalidRequestError extends ProviderError {
  static override readonly kind: string = "InvalidRequestError";
}

/**
 * The provider is down, overloaded, timed out, or the connection failed (408, 409, 5xx, resets,
 * cut streams). Retried while nothing has been yielded to the caller.
 */
export class ServiceUnavailableError extends ProviderError {
  static override readonly kind: string = "ServiceUnavailableError";
  protected static override readonly defaultRetryable: boolean = true;
}

/** A whole-request, first-chunk or idle-chunk timeout expired. */
export class TimeoutError extends ServiceUnavailableError {
  static override readonly kind: string = "TimeoutError";
}

/**
 * Rephysco was set up wrongly: an unknown provider id, an invalid option value. Raised before any
 * request is sent, with a message that says what to change.
 */
export class ConfigurationError extends RephyscoError {
  static override readonly kind: string = "ConfigurationError";
}

/** One problem a validator found, as Standard Schema reports it. */
export interface OutputIssue {
  /** What is wrong. */
  readonly message: string;
  /** Where, as a path of keys and indexes (absent for the root). */
  readonly path?: readonly (string | number)[];
}

/**
 * The model's output is not what was asked for: tool-call arguments (`reason:
 * "invalid_tool_arguments"`) or a structured answer (`reason: "invalid_object"`) that is not
 * JSON or fails its schema. Carries the raw text the model wrote, so nothing is lost. Not
 * retried and no fallback by default (the same request tends to give the same answer); use
 * `repair` on `generateObject`, or send the text back to the model.
 *
 * @example
 * ```ts
 * catch (e) { if (e instanceof InvalidOutputError) console.error(e.text, e.issues); }
 * ```
 */
export class InvalidOutputError extends ProviderError {
  static override readonly kind: string = "InvalidOutputError";

  /** The raw text the model wrote (arguments JSON, or the answer). */
  get text(): string {
    return String(this.data?.text ?? "");
  }

  /** What the validator found; absent when the text was not JSON at all. */
  get issues(): readonly OutputIssue[] | undefined {
    return this.data?.issues as readonly OutputIssue[] | undefined;
  }

  /** For tool arguments: the tool's name. */
  get toolName(): string | undefined {
    return this.data?.toolName as string | undefined;
  }

  /** For tool arguments: the call's id. */
  get toolCallId(): string | undefined {
    return this.data?.toolCallId as string | undefined;
  }
}

/**
 * A tool's `execute` threw, and the call set `toolErrors: "throw"` (by default a failure is sent
 * to the model as an error result instead). The tool's error is the `cause`.
 */
export class ToolExecutionError extends RephyscoError {
  static override readonly kind: string = "ToolExecutionError";

  /** The tool that failed. */
  get toolName(): string {
    return String(this.data?.toolName ?? "");
  }

  /** The id of the call that failed. */
  get toolCallId(): string {
    return String(this.data?.toolCallId ?? "");
  }
}
