import {
  type FinishReason,
  type Message,
  type ModelResponse,
  type ProviderCallOptions,
  ProviderError,
  type ProviderOptions,
  type StreamChunk,
  type StreamPart,
  type Usage,
} from "@rephysco/core";
import {
  BaseProvider,
  type BaseProviderConfig,
  incompleteStreamError,
  parseJsonEvent,
  postJson,
  readJsonBody,
  readSseEvents,
} from "@rephysco/core/http";
import type {
  AnthropicErrorBody,
  AnthropicPrompt,
  AnthropicResponse,
  AnthropicStreamEvent,
} from "./anthropic-api-types.js";
import {
  anthropicRefusalError,
  anthropicStreamError,
  mapAnthropicError,
} from "./anthropic-error.js";
import { ANTHROPIC_DEFAULT_MAX_TOKENS, ANTHROPIC_DEFAULT_MODEL } from "./anthropic-models.js";
import { convertAnthropicUsage } from "./convert-anthropic-usage.js";
import { convertToAnthropicMessages } from "./convert-to-anthropic-messages.js";
import { mapAnthropicFinishReason } from "./map-anthropic-finish-reason.js";

/** Settings of the Anthropic provider. Every field is optional. */
export interface AnthropicProviderSettings extends ProviderOptions {
  /** API key. Default: `ANTHROPIC_API_KEY`. Sent as `x-api-key`. */
  readonly apiKey?: string;
  /** Base URL. Default: `ANTHROPIC_BASE_URL`, else `https://api.anthropic.com/v1`; requests go to `${baseURL}/messages`. */
  readonly baseURL?: string;
  /** Extra headers on every request (e.g. `anthropic-beta`). */
  readonly headers?: Readonly<Record<string, string>>;
  /** A `fetch` to use instead of the global one. */
  readonly fetch?: typeof globalThis.fetch;
  /** `anthropic-version` header. Default `2023-06-01`. */
  readonly anthropicVersion?: string;
  /** `max_tokens` when a call sets no `maxTokens` (the API requires it). Default 4096. */
  readonly defaultMaxTokens?: number;
}

declare module "@rephysco/core" {
  interface ProviderRegistry {
    anthropic: AnthropicProviderSettings;
  }
}

/**
 * Who the Anthropic provider is: its id, defaults and environment variables. The one source of
 * these values: the provider is built from it and `index.ts` registers what it declares.
 */
export const ANTHROPIC_CONFIG = {
  id: "anthropic",
  defaultModel: ANTHROPIC_DEFAULT_MODEL,
  defaultBaseURL: "https://api.anthropic.com/v1",
  apiKeyEnvVars: ["ANTHROPIC_API_KEY"],
  baseURLEnvVars: ["ANTHROPIC_BASE_URL"],
  capabilities: { images: true, reasoning: true },
} as const satisfies Omit<BaseProviderConfig, "settings">;

/**
 * Claude through Anthropic's Messages API, on plain `fetch` with the `@rephysco/core/http` toolkit
 * (no vendor SDK). Streams are read event by event and yielded as parts: the model from
 * `message_start` as a `metadata` part, text and thinking deltas as `text` and `reasoning` parts,
 * and one `finish` part (stop reason, usage, model) at `message_stop`. An `error` event raises the
 * class its `error.type` implies, and a stream without `message_stop` is a
 * `ServiceUnavailableError`.
 *
 * @example
 * ```ts
 * const claude = new AnthropicProvider({ apiKey: process.env.ANTHROPIC_API_KEY });
 * const answer = await claude.generate([{ role: "user", content: "Hi" }], { model: "claude-haiku-4-5" });
 * ```
 */
export class AnthropicProvider extends BaseProvider<
  AnthropicPrompt,
  AnthropicResponse,
  AnthropicStreamEvent
> {
  readonly #settings: AnthropicProviderSettings;

  constructor(settings: AnthropicProviderSettings = {}) {
    super({ ...ANTHROPIC_CONFIG, settings });
    this.#settings = settings;
  }

  /** The API version and default token limit change answers, so they are part of the cache key. */
  override get cacheIdentity(): string {
    return `${this.#settings.anthropicVersion ?? "2023-06-01"}|${this.#settings.defaultMaxTokens ?? ANTHROPIC_DEFAULT_MAX_TOKENS}`;
  }

  /** Converts messages: system text to the top-level `system`, images to `image` blocks. */
  formatMessages(messages: readonly Message[]): AnthropicPrompt {
    return convertToAnthropicMessages(messages, this.name);
  }

  /** The request body for one call; `providerOptions` (e.g. `thinking`, `top_k`) are merged last. */
  protected buildBody(
    messages: readonly Message[],
    options: ProviderCallOptions,
    stream: boolean,
  ): object {
    const prompt = this.formatMessages(messages);
    return {
      model: options.model,
      max_tokens:
        options.maxTokens ?? this.#settings.defaultMaxTokens ?? ANTHROPIC_DEFAULT_MAX_TOKENS,
      ...(prompt.system !== undefined && { system: prompt.system }),
      messages: prompt.messages,
      ...(options.temperature !== undefined && { temperature: options.temperature }),
      ...(options.topP !== undefined && { top_p: options.topP }),
      ...(options.stop !== undefined &&
        options.stop.length > 0 && { stop_sequences: [...options.stop] }),
      ...(stream && { stream: true }),
      ...options.providerOptions,
    };
  }

  #post(body: object, signal: AbortSignal | undefined, stream: boolean): Promise<Response> {
    return postJson({
      url: `${this.baseURL}/messages`,
      headers: {
        ...this.headers,
        "x-api-key": this.apiKey,
        "anthropic-version": this.#settings.anthropicVersion ?? "2023-06-01",
        accept: stream ? "text/event-stream" : "application/json",
      },
      body,
      ...(signal && { signal }),
      ...(this.#settings.fetch && { fetch: this.#settings.fetch }),
      provider: this.name,
      secrets: this.secrets,
      mapError: mapAnthropicError,
    });
  }

  /** Sends one non-streaming request. A `refusal` raises `ContentFilterError`. */
  async generate(
    messages: readonly Message[],
    options: ProviderCallOptions,
  ): Promise<ModelResponse> {
    const response = await this.#post(
      this.buildBody(messages, options, false),
      options.signal,
      false,
    );
    const raw = await readJsonBody<AnthropicResponse>(response, {
      provider: this.name,
      secrets: this.secrets,
      ...(options.signal && { signal: options.signal }),
      ...(options.maxResponseBytes !== undefined && { maxBytes: options.maxResponseBytes }),
    });
    const parsed = this.parseResponse(raw);
    if (parsed.finishReason === "content_filter") {
      throw anthropicRefusalError(this.name, {
        partialContent: parsed.content,
        body: raw,
        ...(response.headers.get("request-id") && {
          requestId: response.headers.get("request-id")!,
        }),
      });
    }
    return parsed;
  }

  /** Converts a Messages API response: text blocks to `content`, thinking blocks to `reasoning`. */
  parseResponse(raw: AnthropicResponse): ModelResponse {
    if (!raw || typeof raw !== "object" || !Array.isArray(raw.content)) {
      throw new ProviderError(`${this.name}: the response is not a message (no content array).`, {
        provider: this.name,
        reason: "malformed_response",
        body: raw,
      });
    }
    let content = "";
    let reasoning = "";
    for (const block of raw.content) {
      if (block.type === "text") content += (block as { text: string }).text;
      else if (block.type === "thinking") reasoning += (block as { thinking: string }).thinking;
    }
    const usage = convertAnthropicUsage(raw.usage);
    return {
      content,
      ...(reasoning !== "" && { reasoning }),
      model: raw.model,
      provider: this.name,
      ...(usage && { usage }),
      finishReason: mapAnthropicFinishReason(raw.stop_reason),
      cached: false,
      raw,
    };
  }

  /** Converts a `content_block_delta` event to a chunk; other events carry no text. */
  parseStreamChunk(raw: AnthropicStreamEvent): StreamChunk | undefined {
    if (raw.type !== "content_block_delta") return undefined;
    const delta = raw.delta;
    if (delta.type === "text_delta") return { content: (delta as { text: string }).text };
    if (delta.type === "thinking_delta")
      return { content: "", reasoning: (delta as { thinking: string }).thinking };
    return undefined;
  }

  /**
   * Sends one streaming request and yields its parts: `metadata` (the model, from
   * `message_start`), `reasoning` and `text` deltas as they arrive, and one `finish` part at
   * `message_stop`, Anthropic's end marker. A `message_stop` that no stop reason came before ends
   * the stream without a finish part (none is invented; `LLMClient` reports `incomplete_stream`).
   *
   * @throws {ContentFilterError} at a `refusal` stop, carrying the text and thinking received.
   * @throws {ServiceUnavailableError} when the body ends before `message_stop`.
   */
  async *stream(
    messages: readonly Message[],
    options: ProviderCallOptions,
  ): AsyncGenerator<StreamPart, void, undefined> {
    const { signal } = options;
    const response = await this.#post(this.buildBody(messages, options, true), signal, true);
    const provider = this.name;
    const secrets = this.secrets;
    let model: string = options.model;
    let inputUsage: Usage | undefined;
    let outputTokens: number | undefined;
    let stopReason: string | undefined;
    // Kept for the errors built here (refusal, error events), which carry what was delivered.
    let text = "";
    let thinking = "";
    for await (const ev of readSseEvents(response, {
      provider,
      secrets,
      ...(signal && { signal }),
    })) {
      if (ev.event === "ping") continue;
      const event = parseJsonEvent<AnthropicStreamEvent>(ev.data, provider, secrets);
      switch (event.type) {
        case "message_start":
          inputUsage = convertAnthropicUsage(event.message.usage);
          if (event.message.model) {
            model = event.message.model;
            yield { type: "metadata", model };
          }
          break;
        case "content_block_delta": {
          const chunk = this.parseStreamChunk(event);
          if (chunk?.reasoning) {
            thinking += chunk.reasoning;
            yield { type: "reasoning", text: chunk.reasoning };
          }
          if (chunk?.content) {
            text += chunk.content;
            yield { type: "text", text: chunk.content };
          }
          break;
        }
        case "message_delta":
          if (typeof event.delta.stop_reason === "string") stopReason = event.delta.stop_reason;
          if (typeof event.usage?.output_tokens === "number")
            outputTokens = event.usage.output_tokens;
          // Newer API versions repeat (and finalize) input counts here.
          if (typeof event.usage?.input_tokens === "number") {
            inputUsage = convertAnthropicUsage({ ...event.usage, output_tokens: 0 });
          }
          break;
        case "message_stop": {
          if (stopReason === undefined) return;
          const reason: FinishReason = mapAnthropicFinishReason(stopReason);
          if (reason === "content_filter") {
            throw anthropicRefusalError(provider, {
              partialContent: text,
              partialReasoning: thinking,
              ...(response.headers.get("request-id") && {
                requestId: response.headers.get("request-id")!,
              }),
            });
          }
          const promptTokens = inputUsage?.promptTokens ?? 0;
          const completionTokens = outputTokens ?? inputUsage?.completionTokens ?? 0;
          yield {
            type: "finish",
            reason,
            usage: { promptTokens, completionTokens, totalTokens: promptTokens + completionTokens },
            model,
          };
          return;
        }
        case "error":
          throw anthropicStreamError(event as AnthropicErrorBody, {
            provider,
            secrets,
            headers: response.headers,
            ...(text !== "" && { partialContent: text }),
            ...(thinking !== "" && { partialReasoning: thinking }),
          });
        default:
          // content_block_start/stop and event types added later carry nothing we need.
          break;
      }
    }
    throw incompleteStreamError(provider, "no message_stop event");
  }
}

/**
 * Creates an Anthropic provider.
 *
 * @example
 * ```ts
 * const claude = createAnthropic({ baseURL: "https://my-proxy.example.com/v1" });
 * ```
 */
export function createAnthropic(settings: AnthropicProviderSettings = {}): AnthropicProvider {
  return new AnthropicProvider(settings);
}
