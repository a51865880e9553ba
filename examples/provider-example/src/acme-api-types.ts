/** The Acme LLM API speaks the OpenAI Chat Completions format; these are the parts we use. */

/** A content part of a user message. */
export type AcmeContentPart =
  | { readonly type: "text"; readonly text: string }
  | { readonly type: "image_url"; readonly image_url: { readonly url: string } };

/** One message of the request. */
export interface AcmeMessage {
  readonly role: "system" | "user" | "assistant";
  readonly content: string | AcmeContentPart[];
}

/** Token counts. */
export interface AcmeUsage {
  readonly prompt_tokens: number;
  readonly completion_tokens: number;
  readonly total_tokens?: number;
}

/** The non-streaming response body. */
export interface AcmeResponse {
  readonly model: string;
  readonly choices: ReadonlyArray<{
    readonly message: {
      readonly content: string | null;
      readonly reasoning_content?: string | null;
    };
    readonly finish_reason: string | null;
  }>;
  readonly usage?: AcmeUsage;
}

/** One streamed chunk (`data:` of an SSE event). */
export interface AcmeChunk {
  readonly model?: string;
  readonly choices: ReadonlyArray<{
    readonly delta: {
      readonly content?: string | null;
      readonly reasoning_content?: string | null;
    };
    readonly finish_reason: string | null;
  }>;
  readonly usage?: AcmeUsage | null;
  readonly error?: { readonly message?: string; readonly type?: string };
}
