import {
  ContentFilterError,
  type FinishReason,
  InvalidRequestError,
  type Message,
  type ModelResponse,
  type ProviderCallOptions,
  ProviderError,
  type ProviderOptions,
  registerProvider,
  type StreamChunk,
  type StreamPart,
  type Usage,
} from "@rephysco/core";
import {
  BaseProvider,
  createErrorFromResponse,
  incompleteStreamError,
  parseJsonEvent,
  postJson,
  readJsonBody,
  readSseEvents,
} from "@rephysco/core/http";

// A text-only provider on the OpenAI dialect that declares neither tools nor structured output
// (nor images, nor reasoning): what the conformance kit's "unsupported" branches check.

interface WireUsage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens?: number;
}
interface Body {
  model: string;
  choices: { message: { content: string | null }; finish_reason: string | null }[];
  usage?: WireUsage;
}
interface Chunk {
  model?: string;
  choices?: { delta?: { content?: string | null }; finish_reason: string | null }[];
  usage?: WireUsage | null;
  error?: { message?: string; type?: string };
}

const toUsage = (u: WireUsage | null | undefined): Usage | undefined =>
  u
    ? {
        promptTokens: u.prompt_tokens,
        completionTokens: u.completion_tokens,
        totalTokens: u.total_tokens ?? u.prompt_tokens + u.completion_tokens,
      }
    : undefined;

function finish(reason: string | null | undefined): FinishReason {
  return reason === "stop" || reason === "length" || reason === "content_filter" ? reason : "other";
}

/** The registry id of the plain provider. */
export const PLAIN_ID = "conformance-plain";

type WireMessage = { role: string; content: string };

class PlainProvider extends BaseProvider<WireMessage[], Body, Chunk> {
  constructor(settings: ProviderOptions) {
    super({
      id: PLAIN_ID,
      defaultModel: "plain-1",
      defaultBaseURL: "https://plain.invalid/v1",
      apiKeyEnvVars: [],
      settings,
    });
  }

  formatMessages(messages: readonly Message[]): WireMessage[] {
    return messages.map((m) => {
      if (m.role === "tool" || m.images?.length)
        throw new InvalidRequestError(`${PLAIN_ID}: only text messages.`, { provider: this.name });
      return { role: m.role, content: m.content };
    });
  }

  parseResponse(raw: Body): ModelResponse {
    const choice = raw?.choices?.[0];
    if (!choice) throw new ProviderError("no choices", { provider: this.name });
    const usage = toUsage(raw.usage);
    return {
      content: choice.message.content ?? "",
      model: raw.model,
      provider: this.name,
      ...(usage && { usage }),
      finishReason: finish(choice.finish_reason),
      cached: false,
    };
  }

  parseStreamChunk(raw: Chunk): StreamChunk | undefined {
    const content = raw.choices?.[0]?.delta?.content ?? "";
    return content === "" ? undefined : { content };
  }

  #post(messages: readonly Message[], options: ProviderCallOptions, stream: boolean) {
    const wire = this.formatMessages(messages);
    return postJson({
      url: `${this.baseURL}/chat/completions`,
      headers: { authorization: `Bearer ${this.apiKey}` },
      body: {
        model: options.model,
        messages: wire,
        ...(stream && { stream: true, stream_options: { include_usage: true } }),
      },
      ...(options.signal && { signal: options.signal }),
      provider: this.name,
      secrets: [this.apiKey],
    });
  }

  async generate(messages: readonly Message[], options: ProviderCallOptions) {
    const response = await this.#post(messages, options, false);
    const raw = await readJsonBody<Body>(response, {
      provider: this.name,
      secrets: [this.apiKey],
      ...(options.signal && { signal: options.signal }),
    });
    const r = this.parseResponse(raw);
    if (r.finishReason === "content_filter")
      throw new ContentFilterError("filtered", { provider: this.name });
    return r;
  }

  async *stream(messages: readonly Message[], options: ProviderCallOptions) {
    const response = await this.#post(messages, options, true);
    const secrets = [this.apiKey];
    let reason: FinishReason | undefined;
    let usage: Usage | undefined;
    for await (const event of readSseEvents(response, {
      provider: this.name,
      secrets,
      ...(options.signal && { signal: options.signal }),
    })) {
      if (event.data === "[DONE]") {
        if (reason === undefined) break;
        if (reason === "content_filter")
          throw new ContentFilterError("filtered", { provider: this.name });
        const part: StreamPart = { type: "finish", reason, ...(usage && { usage }) };
        yield part;
        return;
      }
      const chunk = parseJsonEvent<Chunk>(event.data, this.name, secrets);
      if (chunk.error) throw createErrorFromResponse({ provider: this.name, body: chunk, secrets });
      const text = this.parseStreamChunk(chunk)?.content;
      if (text) yield { type: "text", text } satisfies StreamPart;
      const finishReason = chunk.choices?.[0]?.finish_reason;
      if (finishReason) reason = finish(finishReason);
      usage = toUsage(chunk.usage) ?? usage;
    }
    throw incompleteStreamError(this.name, "no [DONE] after a finish reason");
  }
}

registerProvider(PLAIN_ID, (settings) => new PlainProvider(settings));
