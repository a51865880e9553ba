import { createInterface } from "node:readline";
import { isAbortError, type Message, type ModelResponse, type StreamChunk } from "@rephysco/core";
import { callDeadline } from "../call-deadline.js";
import { type CallRequest, newConversationId, StreamText } from "../call-log.js";
import type { ClientContext } from "../create-client.js";
import { ExitCode } from "../exit-codes.js";
import { parseTemperature } from "../parse-number.js";
import { type PrintOptions, printResponse, printStream } from "../print-answer.js";
import { printError } from "../print-error.js";
import { openSession, type SessionFlags, sessionTemplate } from "../session.js";
import { applyTemplate, usesInput } from "../store/templates.js";
import { UsageError } from "../usage-error.js";
import { startSpinner } from "../wait-spinner.js";

/** Options of `rephysco chat`, as parsed from the command line. */
export interface ChatFlags extends SessionFlags {
  /** Initial system prompt (`system: ...` changes it later). */
  readonly system?: string;
  /** Initial temperature (`temp: ...` changes it later). */
  readonly temperature?: number;
  /** Upper bound on answer tokens. */
  readonly maxTokens?: number;
  /** `false` with `--no-stream`. */
  readonly stream: boolean;
  /** Show reasoning text on stderr. */
  readonly showReasoning?: boolean;
  /** Print the answers' raw bytes even on a terminal (no Markdown rendering). */
  readonly raw?: boolean;
}

const HINT = "(To exit, press Ctrl+D or type exit)";

/**
 * `rephysco chat`: a conversation with history. On a terminal it prompts, shows a spinner, and
 * Ctrl+C cancels the answer being streamed without ending the session. With piped stdin every
 * line is one turn, answers go to stdout, notices to stderr, and the first failure ends the run
 * with its exit code, so that scripts can rely on it.
 */
export async function runChat(flags: ChatFlags, ctx: ClientContext): Promise<ExitCode> {
  const template = sessionTemplate(flags);
  if (template?.schema !== undefined) {
    throw new UsageError(
      `Template ${template.name} asks for a JSON object (schema): use it with rephysco generate.`,
    );
  }
  // Checked now (parameters, defaults), before the first line is typed; each line is its input.
  const fill = (line: string | undefined) =>
    template
      ? applyTemplate(template, {
          ...(line !== undefined ? { input: line } : {}),
          params: flags.param ?? {},
        })
      : undefined;
  const applied = fill(template && usesInput(template) ? "" : undefined);
  const session = await openSession(flags, ctx, applied?.model);
  const { client, conversation, history: resumed, log } = session;
  let { conversationId } = session;
  const { term } = ctx;
  // The CLI keeps the history itself: a resumed conversation starts with its logged turns.
  const history: Message[] = resumed ? [...resumed.messages] : [];
  let system = flags.system ?? applied?.system ?? resumed?.system;
  let temperature = flags.temperature ?? applied?.temperature;
  const maxTokens = flags.maxTokens ?? applied?.maxTokens;
  const interactive = term.stdin.isTTY === true;
  const note = (text: string) => term.stderr.write(`${term.err.dim(text)}\n`);

  const rl = createInterface({
    input: term.stdin,
    ...(interactive
      ? // Prompts and echo go to stderr, so `rephysco chat > transcript.txt` keeps answers only.
        { output: term.stderr, terminal: true, historySize: 200 }
      : { terminal: false }),
  });
  let current: AbortController | undefined;
  rl.on("SIGINT", () => {
    if (current) {
      current.abort();
      return;
    }
    // Like the Node REPL: Ctrl+C at the prompt drops the line being typed and says how to leave.
    term.stderr.write("\n");
    note(HINT);
    rl.write(null, { ctrl: true, name: "e" });
    rl.write(null, { ctrl: true, name: "u" });
    rl.prompt();
  });

  if (interactive) {
    note(`Chatting with ${client.provider} (${client.model}).`);
    if (conversation) {
      note(
        `Resuming conversation ${conversation.id} (${conversation.turns.length} earlier turns).`,
      );
    }
    note("Commands: system: <prompt>, temp: <value>, clear, exit.");
    note("Ctrl+C cancels an answer, Ctrl+D quits.");
    rl.setPrompt(term.err.bold(term.err.cyan("you> ")));
    rl.prompt();
  }

  const print: PrintOptions = {
    showReasoning: flags.showReasoning === true,
    quiet: false,
    markdown: term.stdout.isTTY === true && flags.raw !== true,
    spinner: interactive && !ctx.debug,
    waitingText: "Thinking…",
    provider: client.provider,
    model: client.model,
  };

  let exitCode: ExitCode = ExitCode.OK;
  let typedExit = false;
  try {
    for await (const raw of rl) {
      const line = raw.trim();
      const command = line.toLowerCase();
      if (line === "") {
        // Nothing to send.
      } else if (command === "exit" || command === "quit") {
        typedExit = true;
        break;
      } else if (command === "clear") {
        history.length = 0;
        // A new conversation: `-c` later must not bring the cleared turns back.
        conversationId = newConversationId();
        note("History cleared.");
      } else if (/^system:/i.test(line)) {
        const prompt = line.slice("system:".length).trim();
        system = prompt || undefined;
        note(prompt ? "System prompt set." : "System prompt cleared.");
      } else if (/^temp:/i.test(line)) {
        try {
          temperature = parseTemperature(line.slice("temp:".length).trim());
          note(`Temperature set to ${temperature}.`);
        } catch {
          note("temp: expects a number >= 0, such as temp: 0.7");
          if (!interactive) {
            exitCode = ExitCode.USAGE_ERROR;
            break;
          }
        }
      } else {
        const controller = new AbortController();
        current = controller;
        // --timeout bounds the whole turn (retries included); Ctrl+C still means "cancel".
        const deadline = callDeadline(flags.timeout, client.provider, controller.signal);
        const options = {
          signal: deadline.signal ?? controller.signal,
          ...(system !== undefined ? { systemPrompt: system } : {}),
          ...(temperature !== undefined ? { temperature } : {}),
          ...(maxTokens !== undefined ? { maxTokens } : {}),
        };
        const content = template ? (fill(line)?.prompt ?? line) : line;
        const messages: Message[] = [...history, { role: "user", content }];
        const request: CallRequest = {
          command: "chat",
          conversationId,
          provider: client.provider,
          model: client.model,
          ...(system !== undefined ? { system } : {}),
          prompt: content,
          ...(template ? { template: template.name } : {}),
          options: {
            ...(temperature !== undefined ? { temperature } : {}),
            ...(maxTokens !== undefined ? { maxTokens } : {}),
          },
        };
        const startedAt = Date.now();
        const received = new StreamText<StreamChunk>();
        try {
          let response: ModelResponse;
          if (flags.stream) {
            response = await printStream(
              term,
              received.tap(client.stream(messages, options)),
              print,
            );
          } else {
            const spinner = startSpinner(term, print.waitingText, print.spinner);
            try {
              response = await client.generate(messages, options);
            } finally {
              spinner.stop();
            }
            printResponse(term, response, print);
          }
          // Only a completed turn joins the history (and is logged as one).
          history.push(messages.at(-1)!, { role: "assistant", content: response.content });
          log.ok(request, startedAt, response);
        } catch (error) {
          const failure = deadline.translate(error);
          log.failed(request, startedAt, failure, received.text);
          if (failure === error && (controller.signal.aborted || isAbortError(error))) {
            note("(cancelled)");
          } else {
            const code = printError(term, failure, ctx.debug);
            if (!interactive) {
              exitCode = code;
              break;
            }
          }
        } finally {
          current = undefined;
        }
      }
      if (interactive) rl.prompt();
    }
  } finally {
    current?.abort();
    rl.close();
    log.close();
  }
  // With --cache, answers are written in the background: let them land before the process ends.
  await client.flush();
  // Ctrl+D leaves the cursor after the prompt (on stderr); give the shell a fresh line.
  if (interactive && !typedExit && exitCode === ExitCode.OK) term.stderr.write("\n");
  return exitCode;
}
