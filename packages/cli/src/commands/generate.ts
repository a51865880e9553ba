import type {
  ImageInput,
  LLMClient,
  Message,
  ModelResponse,
  ObjectResponse,
  StreamChunk,
  TypedJsonSchema,
} from "@rephysco/core";
import { callDeadline } from "../call-deadline.js";
import { type CallRequest, StreamText } from "../call-log.js";
import type { ClientContext } from "../create-client.js";
import { ExitCode } from "../exit-codes.js";
import { usageText } from "../format-usage.js";
import {
  objectText,
  type PrintOptions,
  printResponse,
  printStream,
  responseJson,
} from "../print-answer.js";
import { readAttachments, withContext } from "../read-attachments.js";
import { readImages } from "../read-images.js";
import { readSchema, schemaFromValue } from "../read-schema.js";
import { readAll } from "../read-stdin.js";
import { ReasoningWriter } from "../reasoning-writer.js";
import { openSession, type SessionFlags, sessionTemplate } from "../session.js";
import { applyTemplate, usesInput } from "../store/templates.js";
import { UsageError } from "../usage-error.js";
import { startSpinner } from "../wait-spinner.js";

/** Options of `rephysco generate`, as parsed from the command line. */
export interface GenerateFlags extends SessionFlags {
  /** System prompt. */
  readonly system?: string;
  /** Sampling temperature. */
  readonly temperature?: number;
  /** Upper bound on answer tokens. */
  readonly maxTokens?: number;
  /** Image paths or URLs. */
  readonly image?: readonly string[];
  /** `-a` values: image files or URLs, or text files inlined before the prompt. */
  readonly attach?: readonly string[];
  /** `false` with `--no-stream`. */
  readonly stream: boolean;
  /** Print the final response as JSON. */
  readonly json?: boolean;
  /** Show reasoning text on stderr. */
  readonly showReasoning?: boolean;
  /** Print the answer's raw bytes even on a terminal (no Markdown rendering). */
  readonly raw?: boolean;
  /** A JSON Schema file path, or the schema as inline JSON: ask for a validated JSON object. */
  readonly schema?: string;
  /** Print token counts and cost on stderr after the answer. */
  readonly usage?: boolean;
}

/** Options of one call, as `generate`, `stream` and the object calls take them. */
type CallOptions = {
  readonly model?: string;
  readonly signal?: AbortSignal;
  readonly systemPrompt?: string;
  readonly temperature?: number;
  readonly maxTokens?: number;
  readonly images?: ImageInput[];
};

/**
 * The prompt from the arguments, else from stdin. `optional` (a template that has a prompt of its
 * own): no input is fine, and a terminal on stdin is not waited on.
 */
async function resolvePrompt(
  words: readonly string[],
  ctx: ClientContext,
  optional = false,
): Promise<string | undefined> {
  if (words.length > 0) return words.join(" ");
  if (ctx.term.stdin.isTTY) {
    if (optional) return undefined;
    throw new UsageError(
      'Missing prompt: pass it as an argument (rephysco generate "...") or pipe it on stdin.',
    );
  }
  const text = await readAll(ctx.term.stdin);
  if (text.trim() === "") {
    if (optional) return undefined;
    throw new UsageError("Missing prompt: stdin was empty.");
  }
  return text.replace(/\r?\n$/, "");
}

/**
 * `rephysco generate [prompt...]`: one answer, streamed to stdout unless `--no-stream`, or the
 * whole response as JSON with `--json`. With `--schema`, a JSON object validated against the
 * schema, printed as pretty JSON once whole (with `--json`, the response with its `object`).
 */
export async function runGenerate(
  words: readonly string[],
  flags: GenerateFlags,
  ctx: ClientContext,
): Promise<ExitCode> {
  const template = sessionTemplate(flags);
  // Read before the prompt: a bad schema is reported before stdin is waited for.
  const schema =
    flags.schema !== undefined
      ? await readSchema(flags.schema)
      : template?.schema !== undefined
        ? schemaFromValue(template.schema, `The schema of template ${template.name}`)
        : undefined;
  if (schema && flags.showReasoning && flags.stream) {
    throw new UsageError(
      "--show-reasoning with --schema needs --no-stream: a streamed object carries no reasoning.",
    );
  }
  // Files too are read before stdin is waited for.
  const imageFiles: ImageInput[] = await readImages(flags.image);
  const attachments = await readAttachments(flags.attach);
  const images: ImageInput[] = [...imageFiles, ...attachments.images];
  const input = await resolvePrompt(
    words,
    ctx,
    template?.prompt !== undefined && !usesInput(template),
  );
  const applied = template
    ? applyTemplate(template, {
        ...(input !== undefined ? { input } : {}),
        params: flags.param ?? {},
      })
    : undefined;
  const text = applied ? applied.prompt : input;
  if (text === undefined) {
    throw new UsageError(
      `Missing prompt: template ${flags.template} has no prompt of its own; pass one as an argument or on stdin.`,
    );
  }
  const prompt = withContext(text, attachments.context);
  const temperature = flags.temperature ?? applied?.temperature;
  const maxTokens = flags.maxTokens ?? applied?.maxTokens;
  const { client, conversationId, history, log } = await openSession(flags, ctx, applied?.model);
  const { term } = ctx;
  const system = flags.system ?? applied?.system ?? history?.system;
  const print: PrintOptions = {
    showReasoning: flags.showReasoning === true,
    quiet: flags.json === true,
    markdown: term.stdout.isTTY === true && flags.raw !== true && flags.json !== true,
    spinner: !ctx.debug,
    waitingText: `Waiting for ${client.provider}…`,
    provider: client.provider,
    model: client.model,
  };
  // --timeout bounds the whole call (retries included); the client's timeoutMs bounds each attempt.
  // Ctrl+C stops the answer (what arrived is printed and logged) instead of killing the process.
  const interrupt = new AbortController();
  const onInterrupt = () => interrupt.abort();
  process.once("SIGINT", onInterrupt);
  const deadline = callDeadline(flags.timeout, client.provider, interrupt.signal);
  const callOptions: CallOptions = {
    ...(deadline.signal ? { signal: deadline.signal } : {}),
    ...(system !== undefined ? { systemPrompt: system } : {}),
    ...(temperature !== undefined ? { temperature } : {}),
    ...(maxTokens !== undefined ? { maxTokens } : {}),
    ...(images.length > 0 ? { images } : {}),
  };

  const messages: string | Message[] = history
    ? [...history.messages, { role: "user", content: prompt }]
    : prompt;
  const request: CallRequest = {
    command: "generate",
    conversationId,
    provider: client.provider,
    model: client.model,
    ...(system !== undefined ? { system } : {}),
    prompt,
    ...(template ? { template: template.name } : {}),
    attachments: [
      ...(flags.image ?? []).map((source) => ({ type: "image" as const, source })),
      ...attachments.logged,
    ],
    options: {
      ...(temperature !== undefined ? { temperature } : {}),
      ...(maxTokens !== undefined ? { maxTokens } : {}),
    },
    ...(schema ? { schema: schema.jsonSchema } : {}),
  };
  const startedAt = Date.now();
  const received = new StreamText<StreamChunk>();
  let response: ModelResponse;
  let answer: ObjectResponse<unknown> | undefined;
  try {
    if (schema) {
      answer = await generateObject(client, messages, callOptions, schema, flags, print, ctx);
      response = answer;
    } else if (flags.stream) {
      response = await printStream(term, received.tap(client.stream(messages, callOptions)), print);
    } else {
      const spinner = startSpinner(term, print.waitingText, print.spinner);
      try {
        response = await client.generate(messages, callOptions);
      } finally {
        spinner.stop();
      }
      printResponse(term, response, print);
    }
  } catch (error) {
    const failure = deadline.translate(error);
    log.failed(request, startedAt, failure, received.text);
    log.close();
    if (interrupt.signal.aborted && failure === error) {
      term.stderr.write(`${term.err.dim("(cancelled)")}\n`);
      return ExitCode.INTERRUPTED;
    }
    throw failure;
  } finally {
    process.removeListener("SIGINT", onInterrupt);
  }
  if (flags.json) term.stdout.write(responseJson(response, ctx.debug));
  else if (answer) term.stdout.write(objectText(answer.object));
  if (flags.usage)
    for (const line of usageText(response).split("\n"))
      term.stderr.write(`${term.err.dim(line)}\n`);
  // Logged once everything is printed: a log held by another process never delays the answer.
  log.ok(request, startedAt, response, answer?.object);
  log.close();
  // With --cache the answer is written in the background: let it land before the process ends.
  await client.flush();
  return ExitCode.OK;
}

/**
 * `generate --schema`: `streamObject` (or `generateObject` with `--no-stream`), nothing on stdout
 * until the object is whole and validated. While it streams, the spinner counts what arrived.
 */
async function generateObject(
  client: LLMClient,
  prompt: string | Message[],
  callOptions: CallOptions,
  schema: TypedJsonSchema<unknown>,
  flags: GenerateFlags,
  print: PrintOptions,
  ctx: ClientContext,
): Promise<ObjectResponse<unknown>> {
  const { term } = ctx;
  const spinner = startSpinner(term, print.waitingText, print.spinner);
  try {
    if (!flags.stream) {
      const response = await client.generateObject(prompt, { ...callOptions, schema });
      spinner.stop();
      if (print.showReasoning && response.reasoning) {
        const reasoning = new ReasoningWriter(term);
        reasoning.write(response.reasoning);
        reasoning.end();
      }
      return response;
    }
    let received = 0;
    for await (const item of client.streamObject(prompt, { ...callOptions, schema })) {
      if (!item.done) {
        received += item.textDelta.length;
        spinner.update(`Receiving the object… ${received} characters`);
        continue;
      }
      return {
        content: item.text,
        model: item.model,
        provider: item.provider,
        ...(item.usage ? { usage: item.usage } : {}),
        ...(item.cost ? { cost: item.cost } : {}),
        ...(item.finishReason ? { finishReason: item.finishReason } : {}),
        cached: item.cached,
        object: item.object,
      };
    }
    // streamObject ends with the object or throws; this is never reached.
    throw new Error("The object stream ended without an object.");
  } finally {
    spinner.stop();
  }
}
