import { existsSync } from "node:fs";
import { listProviders, type Message, type ModelResponse, RephyscoError } from "@rephysco/core";
import { scrubSecrets } from "@rephysco/core/http";
import { formatError } from "./format-error.js";
import { readKeys } from "./store/keys.js";
import {
  type LogAttachment,
  type LogDb,
  type LogError,
  type LoggedConversation,
  type LogRecord,
  logDbPath,
  newLogId,
} from "./store/log-db.js";
import { readSettings } from "./store/settings.js";
import type { Terminal } from "./terminal.js";
import { UsageError } from "./usage-error.js";

/** The API keys this process knows (environment and stored), to keep them out of the log. */
export type SecretsSource = () => readonly string[];

/** Every non-blank value of every registered provider's key variables. */
export function environmentKeys(env: NodeJS.ProcessEnv = process.env): string[] {
  const out: string[] = [];
  for (const info of listProviders()) {
    for (const name of info.apiKeyEnvVars ?? []) {
      const value = env[name]?.trim();
      if (value) out.push(value);
    }
  }
  return out;
}

/** Every key this process could send: the environment's and the stored ones. */
export function knownKeys(): string[] {
  let stored: string[] = [];
  try {
    stored = Object.values(readKeys());
  } catch {
    // An unreadable key file gives no keys to send either.
  }
  return [...environmentKeys(), ...stored];
}

/** What one call sent, as the log records it. */
export interface CallRequest {
  readonly command: "generate" | "chat";
  readonly conversationId: string;
  readonly provider: string;
  readonly model: string;
  readonly system?: string;
  readonly prompt: string;
  readonly attachments?: readonly LogAttachment[];
  readonly template?: string;
  readonly options?: Readonly<Record<string, unknown>>;
  readonly schema?: unknown;
}

/**
 * The CLI's handle on the log for one run: records calls, and says on stderr (once) when the log
 * cannot be written, without ever failing the command or losing the answer on stdout.
 */
export class CallLog {
  readonly #db: LogDb | undefined;
  readonly #term: Terminal;
  readonly #secrets: SecretsSource;
  #warned = false;

  private constructor(db: LogDb | undefined, term: Terminal, secrets: SecretsSource) {
    this.#db = db;
    this.#term = term;
    this.#secrets = secrets;
  }

  /** A log that records nothing (`--no-log`, `rephysco logs off`). */
  static disabled(term: Terminal): CallLog {
    return new CallLog(undefined, term, () => []);
  }

  /**
   * Opens the log unless `--no-log` was given or logging is off. A database that cannot be
   * opened gives a warning and a log that records nothing: the call still runs.
   */
  static async open(
    term: Terminal,
    options: { readonly enabled: boolean; readonly secrets: SecretsSource },
  ): Promise<CallLog> {
    if (!options.enabled || !loggingOn(term)) return CallLog.disabled(term);
    const { LogDb } = await import("./store/log-db.js");
    try {
      return new CallLog(await LogDb.open(logDbPath()), term, options.secrets);
    } catch (error) {
      warn(
        term,
        `could not open the log (${formatError(error).message}); this call is not logged.`,
      );
      return CallLog.disabled(term);
    }
  }

  /** The open database, when logging. */
  get db(): LogDb | undefined {
    return this.#db;
  }

  /** Records an answered call. */
  ok(request: CallRequest, startedAt: number, response: ModelResponse, object?: unknown): void {
    this.#insert(request, startedAt, {
      ...(response.model ? { responseModel: response.model } : {}),
      response: response.content,
      ...(object !== undefined ? { object } : {}),
      ...(response.reasoning ? { reasoning: response.reasoning } : {}),
      ...(response.finishReason ? { finishReason: response.finishReason } : {}),
      ...(response.usage
        ? {
            usage: {
              promptTokens: response.usage.promptTokens,
              completionTokens: response.usage.completionTokens,
              totalTokens: response.usage.totalTokens,
              ...(response.usage.cachedPromptTokens !== undefined
                ? { cachedPromptTokens: response.usage.cachedPromptTokens }
                : {}),
              ...(response.usage.reasoningTokens !== undefined
                ? { reasoningTokens: response.usage.reasoningTokens }
                : {}),
            },
          }
        : {}),
      ...(response.cost ? { costUsd: response.cost.total, costSource: response.cost.source } : {}),
      cached: response.cached === true,
    });
  }

  /** Records a failed call, with what the provider said (status, code, request id). */
  failed(request: CallRequest, startedAt: number, error: unknown, partial?: string): void {
    this.#insert(request, startedAt, {
      error: errorRecord(error),
      // A stream cut short: what arrived is kept, so nothing the user saw is lost.
      ...(partial ? { response: partial } : {}),
      cached: false,
    });
  }

  /** Closes the database. */
  close(): void {
    this.#db?.close();
  }

  #insert(
    request: CallRequest,
    startedAt: number,
    outcome: Omit<LogRecord, keyof CallRequest | "id" | "createdAt" | "durationMs">,
  ): void {
    if (!this.#db) return;
    const secrets = this.#secrets();
    const record: LogRecord = {
      id: newLogId(startedAt),
      createdAt: new Date(startedAt).toISOString(),
      durationMs: Date.now() - startedAt,
      ...request,
      ...outcome,
    };
    try {
      // Keys are removed by exact value from everything (a prompt can quote one). Only by exact
      // value: the shape patterns of scrubSecrets would also rewrite ordinary text ("Bearer ...",
      // every query value of a URL), and the log is what `-c` sends back to the model. The
      // error's message was scrubbed by shape too (errorRecord), and a URL attachment's query,
      // which can carry a signed URL's token, is dropped from its logged name.
      this.#db.insert(removeSecrets(withoutUrlTokens(record), exact(secrets)));
    } catch (error) {
      if (!this.#warned) {
        this.#warned = true;
        warn(this.#term, `could not write to the log (${formatError(error).message}).`);
      }
    }
  }
}

/** Exact values only: the shape patterns of scrubSecrets are for error messages, not prompts. */
function exact(secrets: readonly string[]): string[] {
  return secrets.filter((s) => s.length >= 6);
}

const REDACTED = "[REDACTED]";

/** Every string in `value` (at any depth) with each secret replaced, by exact value only. */
export function removeSecrets<T>(value: T, secrets: readonly string[]): T {
  if (secrets.length === 0) return value;
  const walk = (v: unknown): unknown => {
    if (typeof v === "string") {
      let out = v;
      for (const secret of secrets)
        if (out.includes(secret)) out = out.split(secret).join(REDACTED);
      return out;
    }
    if (Array.isArray(v)) return v.map(walk);
    if (v !== null && typeof v === "object") {
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
    }
    return v;
  };
  return walk(value) as T;
}

/** The record with the query and credentials of URL attachments scrubbed (signed URLs' tokens). */
function withoutUrlTokens(record: LogRecord): LogRecord {
  if (!record.attachments?.some((a) => /^https?:/i.test(a.source))) return record;
  return {
    ...record,
    attachments: record.attachments.map((a) =>
      /^https?:/i.test(a.source) ? { ...a, source: scrubSecrets(a.source) } : a,
    ),
  };
}

function loggingOn(term: Terminal): boolean {
  try {
    return readSettings().log !== false;
  } catch (error) {
    warn(term, `${formatError(error).message} Logging stays on.`);
    return true;
  }
}

function warn(term: Terminal, text: string): void {
  term.stderr.write(`${term.err.yellow("warning:")} ${text}\n`);
}

/** The error as the log keeps it: name, message free of keys, and what the provider said. */
export function errorRecord(error: unknown): LogError {
  const message = scrubSecrets(error instanceof Error ? error.message : String(error));
  if (error instanceof RephyscoError) {
    return {
      name: error.name,
      message,
      ...(error.status !== undefined ? { status: error.status } : {}),
      ...(error.code !== undefined ? { code: error.code } : {}),
      ...(error.requestId !== undefined ? { requestId: error.requestId } : {}),
    };
  }
  return { name: error instanceof Error ? error.name : "Error", message };
}

/** A new conversation id. */
export function newConversationId(): string {
  return newLogId();
}

/**
 * The conversation `-c` (the latest) or `--cid ID` (an id or a unique prefix of one) continues,
 * read from the log whether or not this call is logged.
 *
 * @throws {UsageError} when the log has no conversation, or none (or several) match the id.
 */
export async function loadConversation(cid: string | undefined): Promise<LoggedConversation> {
  const { LogDb, ConversationNotFoundError } = await import("./store/log-db.js");
  const path = logDbPath();
  if (!existsSync(path)) {
    throw new UsageError(
      `There is no conversation to continue: the log (${path}) is empty. Start one without -c or --cid.`,
    );
  }
  const db = await LogDb.open(path);
  try {
    const id = cid ?? db.latestConversationId();
    if (id === undefined) {
      throw new UsageError("There is no conversation to continue: the log is empty.");
    }
    return db.conversation(id);
  } catch (error) {
    if (error instanceof ConversationNotFoundError) throw new UsageError(error.message);
    throw error;
  } finally {
    db.close();
  }
}

/**
 * A logged conversation as messages for the next call. Images of earlier turns are not sent
 * again (the log keeps their names, not their bytes): the returned `droppedImages` says which,
 * so the caller can tell the user.
 */
export function conversationMessages(conversation: LoggedConversation): {
  readonly messages: Message[];
  readonly system: string | undefined;
  readonly droppedImages: string[];
} {
  const messages: Message[] = [];
  const droppedImages: string[] = [];
  let system: string | undefined;
  for (const turn of conversation.turns) {
    messages.push(
      { role: "user", content: turn.prompt },
      { role: "assistant", content: turn.response },
    );
    if (turn.system !== undefined) system = turn.system;
    for (const a of turn.attachments) if (a.type === "image") droppedImages.push(a.source);
  }
  return { messages, system, droppedImages };
}

/**
 * Passes a stream through, keeping the text it carried, so that a stream cut short by an error is
 * logged with what the user already saw.
 */
export class StreamText<C extends { readonly content?: string }> {
  /** The text received so far. */
  text = "";

  /** The stream, with each chunk's text appended to {@link text} as it passes. */
  async *tap(chunks: AsyncIterable<C>): AsyncGenerator<C, void, undefined> {
    for await (const chunk of chunks) {
      if (chunk.content) this.text += chunk.content;
      yield chunk;
    }
  }
}
