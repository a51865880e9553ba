import type { Cost, FinishReason, ModelResponse, StreamChunk, Usage } from "@rephysco/core";
import { MarkdownStream, renderMarkdown, ruleWidthFor } from "./markdown-stream.js";
import { ReasoningWriter } from "./reasoning-writer.js";
import type { Terminal } from "./terminal.js";
import { startSpinner } from "./wait-spinner.js";

/** How an answer is shown. */
export interface PrintOptions {
  /** Show reasoning text on stderr. */
  readonly showReasoning: boolean;
  /** Write nothing to stdout (`--json` prints the response itself afterwards). */
  readonly quiet: boolean;
  /**
   * Render the answer's Markdown for the terminal (controls from the model removed); otherwise
   * its raw bytes, as `cat` would. On when stdout is a terminal, unless `--raw` or `--json`.
   */
  readonly markdown: boolean;
  /** Show a spinner while waiting (still only on a terminal). */
  readonly spinner: boolean;
  /** Text next to the spinner. */
  readonly waitingText: string;
  /** Provider and model to report when the stream does not name them. */
  readonly provider: string;
  readonly model?: string;
}

/**
 * Prints a streamed answer as it arrives (text to stdout, reasoning to stderr) and returns the
 * whole answer as a {@link ModelResponse}. The spinner runs until the first visible text: with
 * Markdown, until the renderer writes something (a heading waits for its line break).
 * An error (or an abort) still leaves the terminal tidy: spinner gone, the line ended.
 */
export async function printStream(
  term: Terminal,
  chunks: AsyncIterable<StreamChunk>,
  opts: PrintOptions,
): Promise<ModelResponse> {
  const spinner = startSpinner(term, opts.waitingText, opts.spinner);
  const reasoning = new ReasoningWriter(term);
  let content = "";
  let thoughts = "";
  let model = opts.model;
  let provider = opts.provider;
  let finishReason: FinishReason | undefined;
  let usage: Usage | undefined;
  let cost: Cost | undefined;
  let cached = false;
  let contentOpen = false;
  const markdown =
    opts.markdown && !opts.quiet
      ? new MarkdownStream({
          colors: term.out,
          write: (text) => {
            spinner.stop();
            term.stdout.write(text);
          },
          ruleWidth: ruleWidthFor(term.stdout.columns),
        })
      : undefined;
  try {
    for await (const chunk of chunks) {
      if (chunk.model) model = chunk.model;
      if (chunk.provider) provider = chunk.provider;
      if (chunk.finishReason) finishReason = chunk.finishReason;
      if (chunk.usage) usage = chunk.usage;
      if (chunk.cost) cost = chunk.cost;
      if (chunk.cached) cached = true;
      if (chunk.reasoning) {
        thoughts += chunk.reasoning;
        if (opts.showReasoning) {
          spinner.stop();
          reasoning.write(chunk.reasoning);
        } else if (!content) {
          spinner.update("Thinking…");
        }
      }
      if (chunk.content) {
        if (!markdown) spinner.stop();
        reasoning.end();
        content += chunk.content;
        if (markdown) {
          markdown.write(chunk.content);
        } else if (!opts.quiet) {
          term.stdout.write(chunk.content);
          contentOpen = !chunk.content.endsWith("\n");
        }
      }
    }
  } finally {
    spinner.stop();
    reasoning.end();
    // The Markdown renderer ends its last line itself.
    markdown?.end();
    if (contentOpen) term.stdout.write("\n");
  }
  return {
    content,
    ...(thoughts ? { reasoning: thoughts } : {}),
    model: model ?? "",
    provider,
    ...(usage ? { usage } : {}),
    ...(cost ? { cost } : {}),
    ...(finishReason ? { finishReason } : {}),
    cached,
  };
}

/** Prints a whole (non-streamed) answer: reasoning to stderr when asked, then the text. */
export function printResponse(term: Terminal, response: ModelResponse, opts: PrintOptions): void {
  if (opts.showReasoning && response.reasoning) {
    const reasoning = new ReasoningWriter(term);
    reasoning.write(response.reasoning);
    reasoning.end();
  }
  if (opts.quiet || !response.content) return;
  if (opts.markdown) {
    term.stdout.write(
      renderMarkdown(response.content, term.out, ruleWidthFor(term.stdout.columns)),
    );
    return;
  }
  term.stdout.write(response.content.endsWith("\n") ? response.content : `${response.content}\n`);
}

/**
 * The JSON `--json` prints. `raw` (the provider's own body) is left out unless debugging: it is
 * large and provider-specific, and the rest has the same shape streamed or not.
 */
export function responseJson(response: ModelResponse, includeRaw: boolean): string {
  const { raw, ...rest } = response;
  return `${JSON.stringify(includeRaw && raw !== undefined ? { ...rest, raw } : rest, null, 2)}\n`;
}

/** The object `generate --schema` prints: pretty JSON and a final newline. */
export function objectText(object: unknown): string {
  return `${JSON.stringify(object, null, 2)}\n`;
}
