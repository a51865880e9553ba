import {
  ContentFilterError,
  type Message,
  type ModelResponse,
  type ProviderCallOptions,
  ProviderError,
  type ProviderOptions,
  type StreamChunk,
  type ToolCall,
  type Usage,
} from "@rephysco/core";
import {
  BaseProvider,
  type BaseProviderConfig,
  checkToolCall,
  createErrorFromResponse,
  incompleteStreamError,
  OPENAI_TOOL_NAME_RULE,
  parseJsonEvent,
  postJson,
  readJsonBody,
  readSseEvents,
} from "@rephysco/core/http";
import type { AcmeChunk, AcmeMessage, AcmeResponse, AcmeUsage } from "./acme-api-types.js";
import { convertToAcmeMessages } from "./convert-to-acme-messages.js";
import { convertToAcmeTools } from "./convert-to-acme-tools.js";
import { mapAcmeFinishReason } from "./map-acme-finish-reason.js";

/** Settings of the Acme provider (the common ones; add your service's own fields here). */
export interface AcmeProviderSettings extends ProviderOptions {}

// Declaration merging makes `createProvider("acme", ...)` and `new LLMClient({ provider: "acme" })`
// autocomplete and type-check the settings.
declare module "@rephysco/core" {
  interface ProviderRegistry {
    acme: AcmeProviderSettings;
  }
}

function toUsage(u: AcmeUsage | null | undefined): Usage | undefined {
  if (!u) return undefined;
  return {
    promptTokens: u.prompt_tokens,
    completionTokens: u.completion_tokens,
    totalTokens: u.total_tokens ?? u.prompt_tokens + u.completion_tokens,
  };
}

/**
 * A tool call from the wire: `rawArguments` exactly as sent, `arguments` parsed when it parses.
 * Broken JSON is kept as it is, never thrown: the client parses `rawArguments` again, validates
 * it, and raises a typed error carrying the text.
 */
function toToolCall(id: string, name: string, rawArguments: string): ToolCall {
  let args: unknown = rawArguments;
  if (rawArguments.trim() === "") args = {};
  else {
    try {
      args = JSON.parse(rawArguments);
    } catch {
      // Kept raw.
    }
  }
  return { id, name, arguments: args, rawArguments };
}

/** A streamed tool call being assembled: its fragments are joined once, at the end. */
interface OpenCall {
  readonly id: string;
  readonly name: string;
  readonly fragments: string[];
}

/**
 * Who the Acme provider is: its id, defaults and environment variables. The provider is built
 * from it, and `index.ts` registers what it declares, so the two cannot disagree.
 */
export const ACME_CONFIG = {
  id: "acme",
  defaultModel: "acme-1",
  defaultBaseURL: "https://api.acme.example/v1",
  apiKeyEnvVars: ["ACME_API_KEY"],
  baseURLEnvVars: ["ACME_BASE_URL"],
  capabilities: { images: true, reasoning: true, tools: true, structuredOutput: true },
} as const satisfies Omit<BaseProviderConfig, "settings">;

/**
 * The Acme LLM provider: fetch + the `@rephysco/core/http` toolkit, nothing else.
 *
 * @example
 * ```ts
 * const acme = new AcmeProvider({ apiKey: "..." });
 * const r = await acme.generate([{ role: "user", content: "Hi" }], { model: "acme-1" });
 * ```
 */
export class AcmeProvider extends BaseProvider<AcmeMessage[], AcmeResponse, AcmeChunk> {
  readonly #fetch: typeof globalThis.fetch | undefined;

  constructor(settings: AcmeProviderSettings = {}) {
    super({ ...ACME_CONFIG, settings });
    this.#fetch = settings.fetch;
  }

  /**
   * Checks a call before any request (the client calls it for every provider a call can reach):
   * Acme takes OpenAI's tool names (1 to 64 of a-z, A-Z, 0-9, _ and -) and structured output.
   *
   * @throws {InvalidRequestError} reason `invalid_tool` for a name Acme rejects.
   */
  validateCall(_messages: readonly Message[], options: ProviderCallOptions): void {
    checkToolCall(this.name, options, { rule: OPENAI_TOOL_NAME_RULE, structuredOutput: true });
  }

  /** Converts messages to Acme's format. */
  formatMessages(messages: readonly Message[]): AcmeMessage[] {
    return convertToAcmeMessages(messages);
  }

  #post(
    messages: readonly Message[],
    options: ProviderCallOptions,
    stream: boolean,
  ): Promise<Response> {
    return postJson({
      url: `${this.baseURL}/chat/completions`,
      headers: { ...this.headers, authorization: `Bearer ${this.apiKey}` },
      body: {
        model: options.model,
        messages: this.formatMessages(messages),
        ...(options.temperature !== undefined && { temperature: options.temperature }),
        ...(options.maxTokens !== undefined && { max_tokens: options.maxTokens }),
        ...(options.topP !== undefined && { top_p: options.topP }),
        ...(options.stop?.length && { stop: options.stop }),
        ...convertToAcmeTools(options),
        // Without include_usage the service sends no usage in streams.
        ...(stream && { stream: true, stream_options: { include_usage: true } }),
        ...options.providerOptions,
      },
      ...(options.signal && { signal: options.signal }),
      ...(this.#fetch && { fetch: this.#fetch }),
      provider: this.name,
      secrets: [this.apiKey],
    });
  }

  /** Sends one request; a `content_filter` finish raises `ContentFilterError`. */
  async generate(
    messages: readonly Message[],
    options: ProviderCallOptions,
  ): Promise<ModelResponse> {
    const response = await this.#post(messages, options, false);
    const raw = await readJsonBody<AcmeResponse>(response, {
      provider: this.name,
      secrets: [this.apiKey],
      ...(options.signal && { signal: options.signal }),
    });
    const result = this.parseResponse(raw);
    if (result.finishReason === "content_filter") {
      throw new ContentFilterError("acme: the answer was filtered.", {
        provider: this.name,
        body: raw,
      });
    }
    return result;
  }

  /** Converts a response body. */
  parseResponse(raw: AcmeResponse): ModelResponse {
    const choice = raw?.choices?.[0];
    if (!choice) {
      throw new ProviderError("acme: the response has no choices.", {
        provider: this.name,
        body: raw,
      });
    }
    const usage = toUsage(raw.usage);
    const reasoning = choice.message.reasoning_content;
    const toolCalls = choice.message.tool_calls?.map((c) =>
      toToolCall(c.id, c.function.name, c.function.arguments ?? ""),
    );
    const finishReason = mapAcmeFinishReason(choice.finish_reason);
    return {
      content: choice.message.content ?? "",
      ...(reasoning && { reasoning }),
      model: raw.model,
      provider: this.name,
      ...(usage && { usage }),
      ...(toolCalls?.length && { toolCalls }),
      finishReason: toolCalls?.length && finishReason === "stop" ? "tool_calls" : finishReason,
      cached: false,
      raw,
    };
  }

  /** Converts one streamed chunk. */
  parseStreamChunk(raw: AcmeChunk): StreamChunk | undefined {
    const delta = raw.choices?.[0]?.delta;
    const content = delta?.content ?? "";
    const reasoning = delta?.reasoning_content ?? "";
    if (content === "" && reasoning === "") return undefined;
    return { content, ...(reasoning !== "" && { reasoning }), provider: this.name };
  }

  /**
   * Streams one answer; the last chunk carries the finish reason, usage and the assembled tool
   * calls.
   *
   * This example yields legacy `StreamChunk`s on purpose: `LLMClient` adapts them to stream
   * parts. A tool call is a `toolCallDelta` chunk per fragment: the first with the call's
   * ordinal `index`, `id` and `name` (the adapter makes it a `tool-call-start`), the others
   * with the argument text only. New providers should yield `StreamPart`s (`text`, `reasoning`,
   * `tool-call-start` / `-delta` / `-end`, `metadata`, one `finish` last), the shape ours use;
   * see docs/implementing-providers.md.
   */
  async *stream(
    messages: readonly Message[],
    options: ProviderCallOptions,
  ): AsyncIterable<StreamChunk> {
    const response = await this.#post(messages, options, true);
    const secrets = [this.apiKey];
    let finishReason: StreamChunk["finishReason"];
    let usage: Usage | undefined;
    let text = "";
    // Calls in order of appearance; `ordinals` maps the wire's `index` to the call's ordinal.
    const calls: OpenCall[] = [];
    const ordinals = new Map<number, number>();
    for await (const event of readSseEvents(response, {
      provider: this.name,
      secrets,
      ...(options.signal && { signal: options.signal }),
    })) {
      if (event.data === "[DONE]") {
        if (finishReason === undefined) break;
        if (finishReason === "content_filter") {
          throw new ContentFilterError("acme: the answer was filtered.", {
            provider: this.name,
            partialContent: text,
          });
        }
        const toolCalls = calls.map((c) => toToolCall(c.id, c.name, c.fragments.join("")));
        yield {
          content: "",
          provider: this.name,
          finishReason: calls.length > 0 && finishReason === "stop" ? "tool_calls" : finishReason,
          ...(usage && { usage }),
          ...(toolCalls.length > 0 && { toolCalls }),
        };
        return;
      }
      const chunk = parseJsonEvent<AcmeChunk>(event.data, this.name, secrets);
      if (chunk.error) {
        throw createErrorFromResponse({
          provider: this.name,
          body: chunk,
          ...(chunk.error.message && { message: `acme stream error: ${chunk.error.message}` }),
          ...(chunk.error.type && { code: chunk.error.type }),
          secrets,
        });
      }
      const part = this.parseStreamChunk(chunk);
      if (part) {
        text += part.content;
        yield part;
      }
      for (const d of chunk.choices?.[0]?.delta?.tool_calls ?? []) {
        const fragment = d.function?.arguments ?? "";
        const ordinal = ordinals.get(d.index);
        if (ordinal === undefined) {
          // The first fragment of a call: its ordinal, id and name (never taken from later ones).
          const index = calls.length;
          ordinals.set(d.index, index);
          const call: OpenCall = {
            id: d.id || `acme_call_${index}`,
            name: d.function?.name ?? "",
            fragments: fragment === "" ? [] : [fragment],
          };
          calls.push(call);
          yield {
            content: "",
            provider: this.name,
            toolCallDelta: { index, id: call.id, name: call.name, argumentsDelta: fragment },
          };
        } else if (fragment !== "") {
          calls[ordinal]!.fragments.push(fragment);
          yield {
            content: "",
            provider: this.name,
            toolCallDelta: { index: ordinal, argumentsDelta: fragment },
          };
        }
      }
      const reason = chunk.choices?.[0]?.finish_reason;
      if (reason) finishReason = mapAcmeFinishReason(reason);
      usage = toUsage(chunk.usage) ?? usage;
    }
    throw incompleteStreamError(this.name, "no [DONE] after a finish reason");
  }
}

/**
 * Creates an Acme provider.
 *
 * @example
 * ```ts
 * const acme = createAcme({ apiKey: process.env.MY_ACME_KEY });
 * ```
 */
export function createAcme(settings: AcmeProviderSettings = {}): AcmeProvider {
  return new AcmeProvider(settings);
}
