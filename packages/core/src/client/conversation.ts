import { InvalidRequestError } from "../errors.js";
import type { ImageInput, Message, ModelResponse, StreamChunk } from "../types.js";

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

  /** Sends the next user turn and returns the answer; both enter the history. */
  send(message: string, options: O): Promise<ModelResponse> {
    const run = async () => {
      const user = userTurn(message, options.images);
      const { images: _images, ...rest } = options;
      const response = await this.#client.generate([...this.history, user], rest);
      this.#turns.push(user, { role: "assistant", content: response.content });
      return response;
    };
    const next = this.#lock.then(run, run);
    this.#lock = next.catch(() => {});
    return next;
  }

  /** Streams the answer to the next user turn; the turn enters the history when it completes. */
  async *sendStream(message: string, options: O): AsyncGenerator<StreamChunk, void, undefined> {
    let release!: () => void;
    const prev = this.#lock;
    this.#lock = new Promise<void>((r) => {
      release = r;
    });
    try {
      await prev;
      const user = userTurn(message, options.images);
      const { images: _images, ...rest } = options;
      let content = "";
      for await (const chunk of this.#client.stream([...this.history, user], rest)) {
        content += chunk.content;
        yield chunk;
      }
      this.#turns.push(user, { role: "assistant", content });
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

function userTurn(message: string, images: readonly ImageInput[] | undefined): Message {
  if (typeof message !== "string" || (message.trim() === "" && !images?.length)) {
    throw new InvalidRequestError("chat() needs a non-empty message string.", {
      provider: "client",
      reason: "invalid_input",
    });
  }
  return images?.length
    ? { role: "user", content: message, images }
    : { role: "user", content: message };
}
