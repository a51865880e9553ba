import { createInterface } from "node:readline";
import { isAbortError, type ModelResponse } from "@rephysco/core";
import { callDeadline } from "../call-deadline.js";
import { type ClientContext, type ClientFlags, createClient } from "../create-client.js";
import { ExitCode } from "../exit-codes.js";
import { parseTemperature } from "../parse-number.js";
import { type PrintOptions, printResponse, printStream } from "../print-answer.js";
import { printError } from "../print-error.js";
import { startSpinner } from "../wait-spinner.js";

/** Options of `rephysco chat`, as parsed from the command line. */
export interface ChatFlags extends ClientFlags {
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
  const client = createClient(flags, ctx);
  const { term } = ctx;
  if (flags.system) client.setSystemPrompt(flags.system);
  let temperature = flags.temperature;
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
    provider: flags.provider,
    ...(flags.model !== undefined ? { model: flags.model } : {}),
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
        client.clearHistory();
        note("History cleared.");
      } else if (/^system:/i.test(line)) {
        const prompt = line.slice("system:".length).trim();
        client.setSystemPrompt(prompt);
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
        const deadline = callDeadline(flags.timeout, flags.provider, controller.signal);
        const options = {
          signal: deadline.signal ?? controller.signal,
          ...(temperature !== undefined ? { temperature } : {}),
          ...(flags.maxTokens !== undefined ? { maxTokens: flags.maxTokens } : {}),
        };
        try {
          if (flags.stream) {
            await printStream(term, client.chatStream(line, options), print);
          } else {
            const spinner = startSpinner(term, print.waitingText, print.spinner);
            let response: ModelResponse;
            try {
              response = await client.chat(line, options);
            } finally {
              spinner.stop();
            }
            printResponse(term, response, print);
          }
        } catch (error) {
          const failure = deadline.translate(error);
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
  }
  // With --cache, answers are written in the background: let them land before the process ends.
  await client.flush();
  // Ctrl+D leaves the cursor after the prompt (on stderr); give the shell a fresh line.
  if (interactive && !typedExit && exitCode === ExitCode.OK) term.stderr.write("\n");
  return exitCode;
}
