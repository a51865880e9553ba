import {
  type FinishReason,
  InvalidRequestError,
  type Message,
  type ModelResponse,
  type ProviderCallOptions,
  ProviderError,
  type ProviderOptions,
  type StreamChunk,
  type StreamPart,
  type ToolCall,
} from "@rephysco/core";
import {
  BaseProvider,
  type BaseProviderConfig,
  checkToolCall,
  checkToolResults,
  incompleteStreamError,
  OPENAI_TOOL_NAME_RULE,
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
  AnthropicThinkingBlock,
  AnthropicUsage,
} from "./anthropic-api-types.js";
import {
  anthropicRefusalError,
  anthropicStreamError,
  mapAnthropicError,
} from "./anthropic-error.js";
import { ANTHROPIC_DEFAULT_MAX_TOKENS, ANTHROPIC_DEFAULT_MODEL } from "./anthropic-models.js";
import { ANTHROPIC_PRICES } from "./anthropic-prices.js";
import { isThinkingOn, thinkingMetadata } from "./anthropic-thinking.js";
import { convertAnthropicUsage, mergeAnthropicUsage } from "./convert-anthropic-usage.js";
import { convertToAnthropicMessages } from "./convert-to-anthropic-messages.js";
import { mapAnthropicFinishReason } from "./map-anthropic-finish-reason.js";
import {
  JSON_RESPONSE_TOOL,
  prepareAnthropicTools,
  type StructuredOutputMode,
  type StructuredOutputSetting,
  structuredOutputMode,
} from "./prepare-anthropic-tools.js";

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
  /**
   * How `responseFormat` is sent. `auto` (default): native `output_config.format` on models
   * that have it when the schema fits its limits, else one forced tool whose input is the
   * answer. `native` or `tool` force a mode (e.g. `native` for a newer model this package does
   * not know yet). A format without a schema always uses the tool.
   */
  readonly structuredOutput?: StructuredOutputSetting;
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
  prices: ANTHROPIC_PRICES,
  capabilities: { images: true, reasoning: true, tools: true, structuredOutput: true },
} as const satisfies Omit<BaseProviderConfig, "settings">;

/**
 * Claude through Anthropic's Messages API, on plain `fetch` with the `@rephysco/core/http` toolkit
 * (no vendor SDK). Streams are read event by event and yielded as parts: the model from
 * `message_start` as a `metadata` part, text and thinking deltas as `text` and `reasoning` parts,
 * `tool_use` blocks as tool-call parts, the signed thinking blocks as a `metadata` part, and one
 * `finish` part (stop reason, usage, model) at `message_stop`. An `error` event raises the
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

  /**
   * The API version, default token limit and a forced structured-output mode change answers, so
   * they are part of the cache key.
   */
  override get cacheIdentity(): string {
    const mode = this.#settings.structuredOutput;
    return `${this.#settings.anthropicVersion ?? "2023-06-01"}|${this.#settings.defaultMaxTokens ?? ANTHROPIC_DEFAULT_MAX_TOKENS}${mode && mode !== "auto" ? `|${mode}` : ""}`;
  }

  /**
   * Checks a call before any request: tool names (`^[a-zA-Z0-9_-]{1,64}$`), a forced tool
   * (`toolChoice` `"required"` or `{ name }`) together with extended thinking (the API allows
   * only `auto` or `none` then), structured output that needs the forced tool while thinking is
   * on, a tool named like the answer tool, and tool messages that answer no earlier call.
   *
   * @throws {InvalidRequestError} reason `invalid_tool`, `unsupported_feature` or `invalid_input`.
   */
  validateCall(messages: readonly Message[], options: ProviderCallOptions): void {
    const provider = this.name;
    checkToolCall(provider, options, { rule: OPENAI_TOOL_NAME_RULE, structuredOutput: true });
    const fail = (
      message: string,
      reason: "invalid_tool" | "unsupported_feature" | "invalid_input",
    ) => new InvalidRequestError(`${provider}: ${message}`, { provider, reason });
    const choice = options.toolChoice;
    const forced = choice === "required" || typeof choice === "object";
    if (typeof choice === "object" && !options.tools?.some((tool) => tool.name === choice.name)) {
      throw fail(
        `toolChoice names ${JSON.stringify(choice.name)}, which is not one of the call's tools.`,
        "invalid_tool",
      );
    }
    const thinking = isThinkingOn(options.providerOptions);
    if (thinking && forced && options.tools?.length) {
      throw fail(
        `forcing a tool (toolChoice "required" or { name }) cannot be combined with extended thinking (providerOptions.thinking): Anthropic accepts only tool_choice "auto" or "none" while thinking is on.`,
        "invalid_tool",
      );
    }
    const mode = this.#mode(options);
    if (mode === "tool") {
      if (typeof choice === "object" && options.tools?.length) {
        throw fail(
          `structured output on ${options.model} is sent as a forced tool, so another tool cannot be forced at the same time (toolChoice { name: ${JSON.stringify(choice.name)} }): the answer could never come. Use toolChoice "auto" or "required".`,
          "unsupported_feature",
        );
      }
      if (options.tools?.some((tool) => tool.name === JSON_RESPONSE_TOOL)) {
        throw fail(
          `the tool name "${JSON_RESPONSE_TOOL}" is reserved: structured output on ${options.model} is sent as a forced tool of that name.`,
          "invalid_tool",
        );
      }
      if (thinking) {
        throw fail(
          `structured output on ${options.model}${options.responseFormat?.schema ? "" : " without a schema"} is sent as a forced tool, and Anthropic does not allow forcing a tool with extended thinking (providerOptions.thinking); turn thinking off, or use a model with native structured outputs and a schema that fits them.`,
          "unsupported_feature",
        );
      }
    }
    // Anthropic matches each tool_result to a tool_use by id.
    checkToolResults(provider, messages);
  }

  /** Converts messages: system text to the top-level `system`, images to `image` blocks. */
  formatMessages(messages: readonly Message[]): AnthropicPrompt {
    return convertToAnthropicMessages(messages, this.name);
  }

  /** The structured-output mode of a call, `undefined` without `responseFormat`. */
  #mode(options: ProviderCallOptions): StructuredOutputMode | undefined {
    return structuredOutputMode(
      options.model,
      options.responseFormat,
      this.#settings.structuredOutput,
    );
  }

  /**
   * The request body for one call: tools, tool choice and structured output (see
   * `prepareAnthropicTools`); `providerOptions` (e.g. `thinking`, `top_k`) are merged last, an
   * `output_config` of theirs merged into the one structured output sets.
   */
  protected buildBody(
    messages: readonly Message[],
    options: ProviderCallOptions,
    stream: boolean,
    mode: StructuredOutputMode | undefined,
  ): object {
    const prompt = this.formatMessages(messages);
    const fields = prepareAnthropicTools(options, mode);
    const extra = options.providerOptions;
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
      ...(fields.tools && { tools: fields.tools }),
      ...(fields.tool_choice && { tool_choice: fields.tool_choice }),
      ...(stream && { stream: true }),
      ...extra,
      ...(fields.output_config && {
        output_config: {
          ...fields.output_config,
          ...(extra?.output_config as Readonly<Record<string, unknown>> | undefined),
        },
      }),
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

  /**
   * Sends one non-streaming request. A `refusal` raises `ContentFilterError`.
   */
  async generate(
    messages: readonly Message[],
    options: ProviderCallOptions,
  ): Promise<ModelResponse> {
    const mode = this.#mode(options);
    const response = await this.#post(
      this.buildBody(messages, options, false, mode),
      options.signal,
      false,
    );
    const raw = await readJsonBody<AnthropicResponse>(response, {
      provider: this.name,
      secrets: this.secrets,
      ...(options.signal && { signal: options.signal }),
      ...(options.maxResponseBytes !== undefined && { maxBytes: options.maxResponseBytes }),
    });
    const parsed = this.parseResponse(raw, mode);
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

  /**
   * Converts a Messages API response: text blocks to `content`, thinking blocks to `reasoning`
   * (the signed blocks also to `providerMetadata.anthropic.thinking`), `tool_use` blocks to
   * `toolCalls` (`rawArguments` is the input as JSON). With `mode` `tool` (structured output
   * through the answer tool) the answer tool's input is the `content`, as JSON text, and the
   * finish is `stop`: the caller sees an answer, not a tool call.
   */
  parseResponse(raw: AnthropicResponse, mode?: StructuredOutputMode): ModelResponse {
    if (!raw || typeof raw !== "object" || !Array.isArray(raw.content)) {
      throw new ProviderError(`${this.name}: the response is not a message (no content array).`, {
        provider: this.name,
        reason: "malformed_response",
        body: raw,
      });
    }
    let text = "";
    let answer: string | undefined;
    let reasoning = "";
    const thinking: AnthropicThinkingBlock[] = [];
    const toolCalls: ToolCall[] = [];
    for (const block of raw.content) {
      const b = block as Record<string, unknown>;
      switch (block.type) {
        case "text":
          text += b.text as string;
          break;
        case "thinking":
          reasoning += b.thinking as string;
          if (typeof b.signature === "string" && b.signature !== "") {
            thinking.push({
              type: "thinking",
              thinking: b.thinking as string,
              signature: b.signature,
            });
          }
          break;
        case "redacted_thinking":
          if (typeof b.data === "string")
            thinking.push({ type: "redacted_thinking", data: b.data });
          break;
        case "tool_use": {
          const input = inputObject(b.input);
          if (mode === "tool" && b.name === JSON_RESPONSE_TOOL) answer = JSON.stringify(input);
          else {
            toolCalls.push({
              id: b.id as string,
              name: b.name as string,
              arguments: input,
              rawArguments: JSON.stringify(input),
            });
          }
          break;
        }
        default:
          break;
      }
    }
    let finishReason = mapAnthropicFinishReason(raw.stop_reason);
    if (answer !== undefined && toolCalls.length === 0 && finishReason === "tool_calls") {
      finishReason = "stop";
    }
    const usage = convertAnthropicUsage(raw.usage);
    const providerMetadata = thinkingMetadata(thinking);
    return {
      // In tool mode, text Claude wrote around the answer tool is not the JSON answer; it is
      // the content only when no answer came (so that nothing is lost).
      content: answer ?? (mode === "tool" && toolCalls.length > 0 ? "" : text),
      ...(reasoning !== "" && { reasoning }),
      model: raw.model,
      provider: this.name,
      ...(usage && { usage }),
      finishReason,
      ...(toolCalls.length > 0 && { toolCalls }),
      ...(providerMetadata && { providerMetadata }),
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
   * `message_start`), `reasoning` and `text` deltas as they arrive, a `tool-call-start`, one
   * `tool-call-delta` per `input_json_delta` fragment and a `tool-call-end` per `tool_use`
   * block (`index` counts tool calls only, not content blocks), a `metadata` part with the
   * signed thinking blocks, and one `finish` part at `message_stop`, Anthropic's end marker. In
   * structured-output `tool` mode the answer tool's fragments are `text` parts and the finish
   * is `stop`. A `message_stop` that no stop reason came before ends the stream without a
   * finish part (none is invented; `LLMClient` reports `incomplete_stream`).
   *
   * @throws {ContentFilterError} at a `refusal` stop, carrying the text and thinking received.
   * @throws {ServiceUnavailableError} when the body ends before `message_stop`.
   */
  async *stream(
    messages: readonly Message[],
    options: ProviderCallOptions,
  ): AsyncGenerator<StreamPart, void, undefined> {
    const { signal } = options;
    const mode = this.#mode(options);
    const response = await this.#post(this.buildBody(messages, options, true, mode), signal, true);
    const provider = this.name;
    const secrets = this.secrets;
    let model: string = options.model;
    // message_start's usage, with message_delta's fields laid over it (see mergeAnthropicUsage).
    let rawUsage: AnthropicUsage | undefined;
    let stopReason: string | undefined;
    // Kept for the errors built here (refusal, error events), which carry what was delivered;
    // joined only then.
    const delivered: string[] = [];
    const thought: string[] = [];
    // Content blocks by their index; tool calls are numbered apart (`calls`).
    const blocks: StreamBlock[] = [];
    const signed: AnthropicThinkingBlock[] = [];
    let calls = 0;
    let answered = false;
    // Tool mode: text around the answer tool, sent only if no answer comes.
    const aside: string[] = [];
    for await (const ev of readSseEvents(response, {
      provider,
      secrets,
      ...(signal && { signal }),
    })) {
      if (ev.event === "ping") continue;
      const event = parseJsonEvent<AnthropicStreamEvent>(ev.data, provider, secrets);
      switch (event.type) {
        case "message_start":
          rawUsage = event.message.usage;
          if (event.message.model) {
            model = event.message.model;
            yield { type: "metadata", model };
          }
          break;
        case "content_block_start": {
          const start = event.content_block as Record<string, unknown>;
          if (start.type === "tool_use") {
            const input = start.input;
            if (mode === "tool" && start.name === JSON_RESPONSE_TOOL) {
              answered = true;
              blocks[event.index] = { kind: "answer", input, sent: false };
            } else {
              const index = calls++;
              blocks[event.index] = { kind: "tool", index, input, sent: false };
              yield {
                type: "tool-call-start",
                index,
                id: start.id as string,
                name: start.name as string,
              };
            }
          } else if (start.type === "thinking") {
            blocks[event.index] = {
              kind: "thinking",
              parts: [],
              signature: typeof start.signature === "string" ? start.signature : "",
            };
          } else if (start.type === "redacted_thinking" && typeof start.data === "string") {
            signed.push({ type: "redacted_thinking", data: start.data });
          }
          break;
        }
        case "content_block_delta": {
          const delta = event.delta as Record<string, unknown>;
          const block = blocks[event.index];
          switch (delta.type) {
            case "text_delta": {
              const piece = delta.text as string;
              if (!piece) break;
              if (mode === "tool") aside.push(piece);
              else {
                delivered.push(piece);
                yield { type: "text", text: piece };
              }
              break;
            }
            case "thinking_delta": {
              const piece = delta.thinking as string;
              if (!piece) break;
              thought.push(piece);
              if (block?.kind === "thinking") block.parts.push(piece);
              yield { type: "reasoning", text: piece };
              break;
            }
            case "signature_delta":
              if (block?.kind === "thinking") block.signature += delta.signature as string;
              break;
            case "input_json_delta": {
              const piece = delta.partial_json;
              // The first fragment is often empty; empty fragments are not parts.
              if (typeof piece !== "string" || piece === "" || !block) break;
              if (block.kind === "tool") {
                block.sent = true;
                yield { type: "tool-call-delta", index: block.index, argumentsDelta: piece };
              } else if (block.kind === "answer") {
                block.sent = true;
                delivered.push(piece);
                yield { type: "text", text: piece };
              }
              break;
            }
            default:
              break;
          }
          break;
        }
        case "content_block_stop": {
          const block = blocks[event.index];
          if (block?.kind === "tool") {
            // A call without arguments streams `input: {}` and no fragment (or only an empty
            // one): its arguments are that input, as JSON.
            if (!block.sent) {
              yield {
                type: "tool-call-delta",
                index: block.index,
                argumentsDelta: JSON.stringify(inputObject(block.input)),
              };
            }
            yield { type: "tool-call-end", index: block.index };
          } else if (block?.kind === "answer" && !block.sent) {
            const whole = JSON.stringify(inputObject(block.input));
            delivered.push(whole);
            yield { type: "text", text: whole };
          } else if (block?.kind === "thinking" && block.signature !== "") {
            signed.push({
              type: "thinking",
              thinking: block.parts.join(""),
              signature: block.signature,
            });
          }
          blocks[event.index] = undefined;
          break;
        }
        case "message_delta":
          if (typeof event.delta.stop_reason === "string") stopReason = event.delta.stop_reason;
          // The final output count; newer API versions repeat (and finalize) input counts too.
          rawUsage = mergeAnthropicUsage(rawUsage, event.usage);
          break;
        case "message_stop": {
          if (stopReason === undefined) return;
          let reason: FinishReason = mapAnthropicFinishReason(stopReason);
          if (reason === "content_filter") {
            throw anthropicRefusalError(provider, {
              partialContent: delivered.join(""),
              partialReasoning: thought.join(""),
              ...(response.headers.get("request-id") && {
                requestId: response.headers.get("request-id")!,
              }),
            });
          }
          const providerMetadata = thinkingMetadata(signed);
          if (providerMetadata) yield { type: "metadata", providerMetadata };
          if (!answered && calls === 0 && aside.length > 0) {
            yield { type: "text", text: aside.join("") };
          }
          if (answered && calls === 0 && reason === "tool_calls") reason = "stop";
          const usage = convertAnthropicUsage(rawUsage);
          yield { type: "finish", reason, ...(usage && { usage }), model };
          return;
        }
        case "error": {
          const partialContent = delivered.join("");
          const partialReasoning = thought.join("");
          throw anthropicStreamError(event as AnthropicErrorBody, {
            provider,
            secrets,
            headers: response.headers,
            ...(partialContent !== "" && { partialContent }),
            ...(partialReasoning !== "" && { partialReasoning }),
          });
        }
        default:
          // Event types added later carry nothing we need.
          break;
      }
    }
    throw incompleteStreamError(provider, "no message_stop event");
  }
}

/** What a stream remembers about an open content block. */
type StreamBlock =
  | undefined
  | { kind: "thinking"; parts: string[]; signature: string }
  | { kind: "tool"; index: number; input: unknown; sent: boolean }
  | { kind: "answer"; input: unknown; sent: boolean };

/** A `tool_use` input as an object (`{}` when absent or not an object). */
function inputObject(input: unknown): Readonly<Record<string, unknown>> {
  return input !== null && typeof input === "object" && !Array.isArray(input)
    ? (input as Readonly<Record<string, unknown>>)
    : {};
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
