import type { ImageInput, LLMClient, ModelResponse } from "@rephysco/core";
import { callDeadline } from "../call-deadline.js";
import { type ClientContext, type ClientFlags, createClient } from "../create-client.js";
import { type PrintOptions, printResponse, printStream, responseJson } from "../print-answer.js";
import { readImages } from "../read-images.js";
import { readAll } from "../read-stdin.js";
import { UsageError } from "../usage-error.js";
import { startSpinner } from "../wait-spinner.js";

/** Options of `rephysco generate`, as parsed from the command line. */
export interface GenerateFlags extends ClientFlags {
  /** System prompt. */
  readonly system?: string;
  /** Sampling temperature. */
  readonly temperature?: number;
  /** Upper bound on answer tokens. */
  readonly maxTokens?: number;
  /** Image paths or URLs. */
  readonly image?: readonly string[];
  /** `false` with `--no-stream`. */
  readonly stream: boolean;
  /** Print the final response as JSON. */
  readonly json?: boolean;
  /** Show reasoning text on stderr. */
  readonly showReasoning?: boolean;
}

async function resolvePrompt(words: readonly string[], ctx: ClientContext): Promise<string> {
  if (words.length > 0) return words.join(" ");
  if (ctx.term.stdin.isTTY) {
    throw new UsageError(
      'Missing prompt: pass it as an argument (rephysco generate "...") or pipe it on stdin.',
    );
  }
  const text = await readAll(ctx.term.stdin);
  if (text.trim() === "") throw new UsageError("Missing prompt: stdin was empty.");
  return text.replace(/\r?\n$/, "");
}

/**
 * `rephysco generate [prompt...]`: one answer, streamed to stdout unless `--no-stream`, or the
 * whole response as JSON with `--json`.
 */
export async function runGenerate(
  words: readonly string[],
  flags: GenerateFlags,
  ctx: ClientContext,
): Promise<void> {
  const prompt = await resolvePrompt(words, ctx);
  const images: ImageInput[] = await readImages(flags.image);
  const client: LLMClient = createClient(flags, ctx);
  const { term } = ctx;
  const print: PrintOptions = {
    showReasoning: flags.showReasoning === true,
    quiet: flags.json === true,
    spinner: !ctx.debug,
    waitingText: `Waiting for ${flags.provider}…`,
    provider: flags.provider,
    ...(flags.model !== undefined ? { model: flags.model } : {}),
  };
  // --timeout bounds the whole call (retries included); the client's timeoutMs bounds each attempt.
  const deadline = callDeadline(flags.timeout, flags.provider);
  const callOptions = {
    ...(deadline.signal ? { signal: deadline.signal } : {}),
    ...(flags.system !== undefined ? { systemPrompt: flags.system } : {}),
    ...(flags.temperature !== undefined ? { temperature: flags.temperature } : {}),
    ...(flags.maxTokens !== undefined ? { maxTokens: flags.maxTokens } : {}),
    ...(images.length > 0 ? { images } : {}),
  };

  let response: ModelResponse;
  try {
    if (flags.stream) {
      response = await printStream(term, client.stream(prompt, callOptions), print);
    } else {
      const spinner = startSpinner(term, print.waitingText, print.spinner);
      try {
        response = await client.generate(prompt, callOptions);
      } finally {
        spinner.stop();
      }
      printResponse(term, response, print);
    }
  } catch (error) {
    throw deadline.translate(error);
  }
  if (flags.json) term.stdout.write(responseJson(response, ctx.debug));
  // With --cache the answer is written in the background: let it land before the process ends.
  await client.flush();
}
