/** The Acme LLM API speaks the OpenAI Chat Completions format; these are the parts we use. */

/** A content part of a user message. */
export type AcmeContentPart =
  | { readonly type: "text"; readonly text: string }
  | { readonly type: "image_url"; readonly image_url: { readonly url: string } };

/** A tool call of an assistant message: `arguments` is JSON text. */
export interface AcmeToolCall {
  readonly id: string;
  readonly type: "function";
  readonly function: { readonly name: string; readonly arguments: string };
}

/** One message of the request. */
export type AcmeMessage =
  | { readonly role: "system" | "user"; readonly content: string | AcmeContentPart[] }
  | {
      readonly role: "assistant";
      /** `null` for a turn that only calls tools. */
      readonly content: string | null;
      readonly tool_calls?: AcmeToolCall[];
    }
  | { readonly role: "tool"; readonly tool_call_id: string; readonly content: string };

/** A tool the model may call. */
export interface AcmeTool {
  readonly type: "function";
  readonly function: {
    readonly name: string;
    readonly description?: string;
    /** JSON Schema of the arguments. */
    readonly parameters: Readonly<Record<string, unknown>>;
  };
}

/** Whether and which tool to call. */
export type AcmeToolChoice =
  | "auto"
  | "none"
  | "required"
  | { readonly type: "function"; readonly function: { readonly name: string } };

/** Asks for a JSON answer: with a schema, or any JSON object. */
export type AcmeResponseFormat =
  | { readonly type: "json_object" }
  | {
      readonly type: "json_schema";
      readonly json_schema: {
        readonly name: string;
        readonly description?: string;
        readonly schema: Readonly<Record<string, unknown>>;
      };
    };

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
      readonly tool_calls?: ReadonlyArray<AcmeToolCall> | null;
    };
    readonly finish_reason: string | null;
  }>;
  readonly usage?: AcmeUsage;
}

/**
 * A fragment of a streamed tool call, keyed by `index`: the first fragment of a call carries
 * `id` and `function.name`, later ones only `function.arguments` text.
 */
export interface AcmeToolCallDelta {
  readonly index: number;
  readonly id?: string;
  readonly type?: "function";
  readonly function?: { readonly name?: string; readonly arguments?: string };
}

/** One streamed chunk (`data:` of an SSE event). */
export interface AcmeChunk {
  readonly model?: string;
  readonly choices: ReadonlyArray<{
    readonly delta: {
      readonly content?: string | null;
      readonly reasoning_content?: string | null;
      readonly tool_calls?: ReadonlyArray<AcmeToolCallDelta> | null;
    };
    readonly finish_reason: string | null;
  }>;
  readonly usage?: AcmeUsage | null;
  readonly error?: { readonly message?: string; readonly type?: string };
}
