import { InvalidRequestError } from "../errors.js";
import type { ImageInput, Message, ModelResponse, StreamChunk, ToolResult } from "../types.js";
import { assistantTurn, stepMessages, toolMessage } from "./tool-loop.js";

/** What a conversation needs of a client: one call, and one stream. */
export interface ConversationTransport<O extends { readonly images?: readonly ImageInput[] }> {
  generate(input: readonly Message[], options: Omit<O, "images">): Promise<ModelResponse>;
  stream(input: readonly Message[], options: Omit<O, "images">): AsyncIterable<StreamChunk>;
}

/**
 * Conversation state over a client: the system prompt, the completed turns, and a queue so that
 * turns never interleave. A turn enters the history only when its answer is complete.
 */
export class Conversation<O extends { readonly images?: readonly ImageInput[] }> {
  readonly #client: ConversationTransport<O>;
  #turns: Message[] = [];
  #systemPrompt: string | undefined;
  #lock: Promise<unknown> = Promise.resolve();

  constructor(client: ConversationTransport<O>, systemPrompt: string | undefined) {
    this.#client = client;
    this.#systemPrompt = systemPrompt;
  }

  /**
   * Sends the next turn (a user message, or messages such as tool results) and returns the
   * answer; both enter the history, tool turns included.
   */
  send(message: string | readonly Message[], options: O): Promise<ModelResponse> {
    const run = async () => {
      const turn = userTurn(message, options.images);
      const { images: _images, ...rest } = options;
      const response = await this.#client.generate([...this.history, ...turn], rest);
      this.#turns.push(...turn, ...answerTurns(response));
      return response;
    };
    const next = this.#lock.then(run, run);
    this.#lock = next.catch(() => {});
    return next;
  }

  /** Streams the answer to the next user turn; the turn enters the history when it completes. */
  async *sendStream(
    message: string | readonly Message[],
    options: O,
  ): AsyncGenerator<StreamChunk, void, undefined> {
    let release!: () => void;
    const prev = this.#lock;
    this.#lock = new Promise<void>((r) => {
      release = r;
    });
    try {
      await prev;
      const turn = userTurn(message, options.images);
      const { images: _images, ...rest } = options;
      const answer: Message[] = [];
      let content = "";
      let reasoning = "";
      let results: ToolResult[] = [];
      for await (const chunk of this.#client.stream([...this.history, ...turn], rest)) {
        content += chunk.content;
        if (chunk.reasoning) reasoning += chunk.reasoning;
        if (chunk.toolResult) results.push(chunk.toolResult);
        if (chunk.step) {
          answer.push(...stepMessages(chunk.step));
          content = "";
          reasoning = "";
          results = [];
        } else if (chunk.finishReason) {
          answer.push(
            assistantTurn({
              content,
              toolCalls: chunk.toolCalls,
              reasoning,
              providerMetadata: chunk.providerMetadata,
            }),
            ...results.map(toolMessage),
          );
        }
        yield chunk;
      }
      this.#turns.push(...turn, ...answer);
    } finally {
      release();
    }
  }

  /** The system prompt (when set) and every completed turn, in order. */
  get history(): readonly Message[] {
    return this.#systemPrompt
      ? [{ role: "system", content: this.#systemPrompt }, ...this.#turns]
      : [...this.#turns];
  }

  /** Forgets every turn; the system prompt stays. */
  clear(): void {
    this.#turns = [];
  }

  /** Sets (or, with `undefined` or `""`, removes) the system prompt. */
  setSystemPrompt(text: string | undefined): void {
    if (text !== undefined && typeof text !== "string") {
      throw new InvalidRequestError("setSystemPrompt expects a string.", {
        provider: "client",
        reason: "invalid_input",
      });
    }
    this.#systemPrompt = text || undefined;
  }
}

/** What an answer adds to the history: each step's turn and tool results, or the one answer. */
function answerTurns(r: ModelResponse): Message[] {
  return r.steps?.length ? r.steps.flatMap(stepMessages) : [assistantTurn(r)];
}

function userTurn(
  message: string | readonly Message[],
  images: readonly ImageInput[] | undefined,
): Message[] {
  if (Array.isArray(message)) {
    if (message.length === 0 || images?.length)
      throw new InvalidRequestError(
        "chat() takes a non-empty message string, or a non-empty list of messages (tool results) without images.",
        { provider: "client", reason: "invalid_input" },
      );
    // Checked with the whole history when the call is made.
    return [...(message as readonly Message[])];
  }
  if (typeof message !== "string" || (message.trim() === "" && !images?.length)) {
    throw new InvalidRequestError("chat() needs a non-empty message string.", {
      provider: "client",
      reason: "invalid_input",
    });
  }
  return [
    images?.length
      ? { role: "user", content: message, images }
      : { role: "user", content: message },
  ];
}
