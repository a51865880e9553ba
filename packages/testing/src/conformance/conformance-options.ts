import type { ProviderOptions } from "@rephysco/core";
import type { MockTextReply } from "../mock-reply.js";
import type { MockServer } from "../mock-server.js";
import type { WireToolRequest } from "./wire-inspector.js";

/** The wire dialects the mock server speaks. */
export type ConformanceDialect = "openai" | "gemini" | "anthropic";

/** What {@link describeProviderConformance} needs to know about a provider. */
export interface ProviderConformanceOptions {
  /** Title of the suite (usually the package name). */
  readonly name: string;
  /** Registry id the provider's package registers (import the package in the test file first). */
  readonly providerId: string;
  /** The dialect the provider speaks, which decides how the kit reads the recorded requests. */
  readonly dialect: ConformanceDialect;
  /** Model id to call. */
  readonly model: string;
  /**
   * Provider settings pointing at the running mock server: at least `baseURL` (for example
   * `${server.url}/v1`) and an `apiKey` of 8 characters or more (the kit checks that it never leaks).
   */
  readonly settings: (server: MockServer) => ProviderOptions;
  /** Run the image cases (the provider accepts images in user messages). Default: the provider's `capabilities.images`. */
  readonly supportsImages?: boolean;
  /** Run the reasoning cases (the provider returns reasoning text). Default: the provider's `capabilities.reasoning`. */
  readonly supportsReasoning?: boolean;
  /** Provider options sent with every call (e.g. a flag that turns reasoning on). */
  readonly providerOptions?: Readonly<Record<string, unknown>>;
  /**
   * OpenAI dialect: how the mock streams tool calls in the tool cases (`openai`: index-keyed
   * argument fragments, the default; `dashscope`: later deltas repeat an empty `id`; `xai`: each
   * call whole in one chunk). Pick the form the provider's service sends.
   */
  readonly toolCallStyle?: MockTextReply["toolCallStyle"];
  /** A tool name the provider rejects in `validateCall` before any request. Default: `"get weather"` (a space). */
  readonly invalidToolName?: string;
  /**
   * Reads tools, tool choice, tool history and the JSON request out of a recorded request body,
   * for a provider whose requests differ from the dialect's usual form. Default: the kit's
   * reader for `dialect` ({@link readToolRequest}).
   */
  readonly readToolRequest?: (body: unknown) => WireToolRequest;
}
