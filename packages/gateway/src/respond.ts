import type { ServerResponse } from "node:http";
import type { FinishReason, ModelResponse, StreamChunk, Usage } from "@rephysco/core";

const NO_USAGE: Usage = { promptTokens: 0, completionTokens: 0, totalTokens: 0 };

/** Waits until `res` can take more, or is gone (at once when it is already gone or ended). */
export function drained(res: ServerResponse): Promise<void> {
  if (res.destroyed || res.writableEnded) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      res.off("drain", done);
      res.off("close", done);
      resolve();
    };
    res.on("drain", done);
    res.on("close", done);
  });
}

/** OpenAI's finish reasons; a refusal ends with `stop` (the text is on `refusal`). */
export function finishReasonOf(reason: FinishReason | undefined): string {
  switch (reason) {
    case "length":
    case "tool_calls":
    case "content_filter":
      return reason;
    default:
      return "stop";
  }
}

/** OpenAI's usage object. */
export function usageOf(u: Usage): Record<string, unknown> {
  return {
    prompt_tokens: u.promptTokens,
    completion_tokens: u.completionTokens,
    total_tokens: u.totalTokens,
    prompt_tokens_details: { cached_tokens: u.cachedPromptTokens ?? 0 },
    completion_tokens_details: { reasoning_tokens: u.reasoningTokens ?? 0 },
  };
}

/** A `chat.completion` body, as OpenAI sends it. */
export function completionBody(id: string, created: number, r: ModelResponse): string {
  const toolCalls = r.toolCalls?.length
    ? r.toolCalls.map((c) => ({
        id: c.id,
        type: "function",
        function: { name: c.name, arguments: c.rawArguments },
      }))
    : undefined;
  const message: Record<string, unknown> = {
    role: "assistant",
    content: r.content === "" && (toolCalls || r.refusal) ? null : r.content,
    refusal: r.refusal ?? null,
    ...(r.reasoning && { reasoning_content: r.reasoning }),
    ...(toolCalls && { tool_calls: toolCalls }),
  };
  return JSON.stringify({
    id,
    object: "chat.completion",
    created,
    model: r.model,
    choices: [
      {
        index: 0,
        message,
        logprobs: null,
        finish_reason: finishReasonOf(r.finishReason),
      },
    ],
    ...(r.usage && { usage: usageOf(r.usage) }),
    system_fingerprint: null,
  });
}

/**
 * Writes `chat.completion.chunk` events: a fixed prefix and suffix around each delta, so each
 * chunk is one small `JSON.stringify` and two concatenations.
 */
export class ChunkWriter {
  #prefix = "";
  readonly #suffix: string;
  readonly #id: string;
  readonly #created: number;
  readonly #includeUsage: boolean;
  #started = new Set<number>();
  #usage: Usage | undefined;
  #finish: FinishReason | undefined;
  #sawFinish = false;

  constructor(id: string, created: number, includeUsage: boolean) {
    this.#id = id;
    this.#created = created;
    this.#includeUsage = includeUsage;
    this.#suffix = includeUsage ? ',"usage":null}\n\n' : "}\n\n";
  }

  /** Sets the model (from the first chunk). */
  start(model: string): string {
    this.#prefix = `data: {"id":${JSON.stringify(this.#id)},"object":"chat.completion.chunk","created":${this.#created},"model":${JSON.stringify(model)},"system_fingerprint":null,"choices":`;
    return this.#delta('{"role":"assistant","content":"","refusal":null}', "null");
  }

  #delta(delta: string, finish: string): string {
    return `${this.#prefix}[{"index":0,"delta":${delta},"logprobs":null,"finish_reason":${finish}}]${this.#suffix}`;
  }

  /** The events of one core chunk (may be empty). */
  chunk(c: StreamChunk): string {
    let out = "";
    if (c.reasoning)
      out += this.#delta(`{"reasoning_content":${JSON.stringify(c.reasoning)}}`, "null");
    if (c.content) out += this.#delta(`{"content":${JSON.stringify(c.content)}}`, "null");
    if (c.refusal) out += this.#delta(`{"refusal":${JSON.stringify(c.refusal)}}`, "null");
    const d = c.toolCallDelta;
    if (d) {
      let call: string;
      if (!this.#started.has(d.index)) {
        this.#started.add(d.index);
        call = `{"index":${d.index},"id":${JSON.stringify(d.id ?? "")},"type":"function","function":{"name":${JSON.stringify(d.name ?? "")},"arguments":${JSON.stringify(d.argumentsDelta)}}}`;
      } else
        call = `{"index":${d.index},"function":{"arguments":${JSON.stringify(d.argumentsDelta)}}}`;
      out += this.#delta(`{"tool_calls":[${call}]}`, "null");
    }
    if (c.usage) this.#usage = c.usage;
    if (c.finishReason) {
      this.#finish = c.finishReason;
      this.#sawFinish = true;
    }
    return out;
  }

  /**
   * The closing events: the finish chunk, the usage chunk when asked for (zeros when the
   * upstream reported no usage: OpenAI always sends it), `[DONE]`.
   */
  end(): string {
    let out = this.#sawFinish ? this.#delta("{}", `"${finishReasonOf(this.#finish)}"`) : "";
    if (this.#includeUsage)
      out += `${this.#prefix}[],"usage":${JSON.stringify(usageOf(this.#usage ?? NO_USAGE))}}\n\n`;
    return `${out}data: [DONE]\n\n`;
  }
}
