import { randomBytes } from "node:crypto";
import { chmodSync, closeSync, openSync } from "node:fs";
import { join } from "node:path";
import type BetterSqlite3 from "better-sqlite3";
import { type DirContext, dataDir, ensurePrivateDir } from "./dirs.js";

/** One call as the log keeps it. Text fields hold what was sent and received, keys scrubbed. */
export interface LogRecord {
  /** Time-sortable id of this entry. */
  readonly id: string;
  /** The conversation this entry belongs to. */
  readonly conversationId: string;
  /** When the call started (ISO 8601, UTC). */
  readonly createdAt: string;
  /** `generate` or `chat`. */
  readonly command: string;
  /** Provider id the call went to. */
  readonly provider: string;
  /** The model asked for. */
  readonly model: string;
  /** The model that answered, as the provider named it (can be a dated id). */
  readonly responseModel?: string;
  /** The system prompt. */
  readonly system?: string;
  /** The user message as sent (after templates and inlined text attachments). */
  readonly prompt: string;
  /** Attached files and URLs: images by name or URL, inlined text files by name. */
  readonly attachments?: readonly LogAttachment[];
  /** The template used, if any. */
  readonly template?: string;
  /** Options of the call (temperature, maxTokens, ...). */
  readonly options?: Readonly<Record<string, unknown>>;
  /** The JSON Schema asked for with `--schema`. */
  readonly schema?: unknown;
  /** The answer's text (`undefined` when the call failed). */
  readonly response?: string;
  /** The validated object of a `--schema` call. */
  readonly object?: unknown;
  /** The model's reasoning text, when it sent one. */
  readonly reasoning?: string;
  /** Why the model stopped. */
  readonly finishReason?: string;
  /** The failure, when the call failed. */
  readonly error?: LogError;
  /** Token counts. */
  readonly usage?: LogUsage;
  /** Cost in USD, when known. */
  readonly costUsd?: number;
  /** Where the cost came from (`prices`, `provider`, `cache`, `shared`). */
  readonly costSource?: string;
  /** Answered from the cache. */
  readonly cached: boolean;
  /** Time from the start of the call to its end, in milliseconds. */
  readonly durationMs: number;
}

/** An attachment as the log records it (never the file's bytes). */
export interface LogAttachment {
  /** `image` (sent as an image) or `text` (inlined into the prompt). */
  readonly type: "image" | "text";
  /** The file path or URL as given on the command line. */
  readonly source: string;
}

/** A failed call's error as logged (message already free of keys). */
export interface LogError {
  readonly name: string;
  readonly message: string;
  readonly status?: number;
  readonly code?: string;
  readonly requestId?: string;
}

/** Token counts as logged. */
export interface LogUsage {
  readonly promptTokens: number;
  readonly completionTokens: number;
  readonly totalTokens: number;
  readonly cachedPromptTokens?: number;
  readonly reasoningTokens?: number;
}

/** Filters of {@link LogDb.query}. */
export interface LogQuery {
  /** At most this many entries, the newest first (default 3). `0` for all. */
  readonly limit?: number;
  readonly model?: string;
  readonly provider?: string;
  /** Full-text search over prompts, system prompts and answers (every word must appear). */
  readonly search?: string;
  readonly conversationId?: string;
  /** Only entries created at or after this ISO time. */
  readonly since?: string;
}

/** One turn of a logged conversation, oldest first. */
export interface LoggedTurn {
  readonly prompt: string;
  readonly response: string;
  readonly system?: string;
  readonly attachments: readonly LogAttachment[];
}

/** What {@link LogDb.conversation} returns. */
export interface LoggedConversation {
  readonly id: string;
  readonly provider: string;
  readonly model: string;
  /** Completed turns (failed calls are not part of the history), oldest first. */
  readonly turns: readonly LoggedTurn[];
}

/** Thrown for a conversation id that matches none, or more than one, conversation. */
export class ConversationNotFoundError extends Error {
  override readonly name = "ConversationNotFoundError";
}

/**
 * The schema, one migration per version (`PRAGMA user_version` counts the ones applied). Add a new
 * entry to change it; never edit an applied one.
 */
const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE conversations (
    id TEXT PRIMARY KEY,
    provider TEXT NOT NULL,
    model TEXT NOT NULL,
    created_at TEXT NOT NULL
  );
  CREATE TABLE responses (
    rid INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    conversation_id TEXT NOT NULL REFERENCES conversations(id),
    created_at TEXT NOT NULL,
    command TEXT NOT NULL,
    provider TEXT NOT NULL,
    model TEXT NOT NULL,
    response_model TEXT,
    system TEXT,
    prompt TEXT NOT NULL,
    attachments TEXT,
    template TEXT,
    options TEXT,
    schema TEXT,
    response TEXT,
    object TEXT,
    reasoning TEXT,
    finish_reason TEXT,
    error TEXT,
    prompt_tokens INTEGER,
    completion_tokens INTEGER,
    total_tokens INTEGER,
    cached_prompt_tokens INTEGER,
    reasoning_tokens INTEGER,
    cost_usd REAL,
    cost_source TEXT,
    cached INTEGER NOT NULL DEFAULT 0,
    duration_ms INTEGER NOT NULL
  );
  CREATE INDEX responses_by_conversation ON responses(conversation_id, created_at);
  CREATE INDEX responses_by_time ON responses(created_at);
  CREATE VIRTUAL TABLE responses_fts USING fts5(
    prompt, system, response, content='responses', content_rowid='rid'
  );
  CREATE TRIGGER responses_ai AFTER INSERT ON responses BEGIN
    INSERT INTO responses_fts(rowid, prompt, system, response)
      VALUES (new.rid, new.prompt, new.system, new.response);
  END;
  CREATE TRIGGER responses_ad AFTER DELETE ON responses BEGIN
    INSERT INTO responses_fts(responses_fts, rowid, prompt, system, response)
      VALUES ('delete', old.rid, old.prompt, old.system, old.response);
  END;
  CREATE TRIGGER responses_au AFTER UPDATE ON responses BEGIN
    INSERT INTO responses_fts(responses_fts, rowid, prompt, system, response)
      VALUES ('delete', old.rid, old.prompt, old.system, old.response);
    INSERT INTO responses_fts(rowid, prompt, system, response)
      VALUES (new.rid, new.prompt, new.system, new.response);
  END;
  `,
];

/** The schema version this build writes. */
export const LOG_SCHEMA_VERSION = MIGRATIONS.length;

const CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/**
 * A 26-character id that sorts by creation time (48 bits of milliseconds, then 80 random bits,
 * in Crockford base 32, as ULIDs are), so ids of the same conversation read in order.
 */
export function newLogId(now: number = Date.now()): string {
  let time = "";
  let t = now;
  for (let i = 0; i < 10; i++) {
    time = CROCKFORD[t % 32] + time;
    t = Math.floor(t / 32);
  }
  const bytes = randomBytes(16);
  let rest = "";
  for (let i = 0; i < 16; i++) rest += CROCKFORD[bytes[i]! % 32];
  return time + rest;
}

/** Path of the log database. */
export function logDbPath(context: DirContext = {}): string {
  return join(dataDir(context), "logs.db");
}

type Row = Record<string, unknown>;

function json(value: unknown): string | null {
  return value === undefined ? null : JSON.stringify(value);
}

function parseJson<T>(text: unknown): T | undefined {
  if (typeof text !== "string") return undefined;
  try {
    return JSON.parse(text) as T;
  } catch {
    return undefined;
  }
}

/** Words of a search as an FTS5 query: each one quoted (FTS5 syntax never leaks through). */
function ftsQuery(search: string): string | undefined {
  const words = search.split(/\s+/).filter((w) => w !== "");
  if (words.length === 0) return undefined;
  return words.map((w) => `"${w.replaceAll('"', '""')}"`).join(" ");
}

function rowToRecord(row: Row): LogRecord {
  const str = (k: string) => (typeof row[k] === "string" ? (row[k] as string) : undefined);
  const num = (k: string) => (typeof row[k] === "number" ? (row[k] as number) : undefined);
  const promptTokens = num("prompt_tokens");
  const completionTokens = num("completion_tokens");
  const totalTokens = num("total_tokens");
  const usage: LogUsage | undefined =
    promptTokens !== undefined && completionTokens !== undefined && totalTokens !== undefined
      ? {
          promptTokens,
          completionTokens,
          totalTokens,
          ...(num("cached_prompt_tokens") !== undefined
            ? { cachedPromptTokens: num("cached_prompt_tokens") as number }
            : {}),
          ...(num("reasoning_tokens") !== undefined
            ? { reasoningTokens: num("reasoning_tokens") as number }
            : {}),
        }
      : undefined;
  const opt = <K extends string, V>(key: K, value: V | undefined) =>
    (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
  return {
    id: row.id as string,
    conversationId: row.conversation_id as string,
    createdAt: row.created_at as string,
    command: row.command as string,
    provider: row.provider as string,
    model: row.model as string,
    ...opt("responseModel", str("response_model")),
    ...opt("system", str("system")),
    prompt: row.prompt as string,
    ...opt("attachments", parseJson<LogAttachment[]>(row.attachments)),
    ...opt("template", str("template")),
    ...opt("options", parseJson<Record<string, unknown>>(row.options)),
    ...opt("schema", parseJson<unknown>(row.schema)),
    ...opt("response", str("response")),
    ...opt("object", parseJson<unknown>(row.object)),
    ...opt("reasoning", str("reasoning")),
    ...opt("finishReason", str("finish_reason")),
    ...opt("error", parseJson<LogError>(row.error)),
    ...opt("usage", usage),
    ...opt("costUsd", num("cost_usd")),
    ...opt("costSource", str("cost_source")),
    cached: row.cached === 1,
    durationMs: row.duration_ms as number,
  };
}

/**
 * The CLI's log: a SQLite database (better-sqlite3) in the data directory, `logs.db`, 0600 in a
 * 0700 directory. WAL mode with a busy timeout, so several `rephysco` processes can write at once;
 * the schema is versioned with `PRAGMA user_version` and migrated when opened.
 */
export class LogDb {
  readonly #db: BetterSqlite3.Database;
  /** Path of the database file. */
  readonly path: string;

  private constructor(db: BetterSqlite3.Database, path: string) {
    this.#db = db;
    this.path = path;
  }

  /**
   * Opens (creating when missing) and migrates the log database.
   *
   * @throws Error when the file cannot be opened, or was written by a newer rephysco (a schema
   * version this build does not know).
   */
  static async open(path: string = logDbPath()): Promise<LogDb> {
    const { default: Database } = await import("better-sqlite3");
    ensurePrivateDir(join(path, ".."));
    // Created 0600 before SQLite opens it: SQLite gives its -wal and -shm files the same mode.
    closeSync(openSync(path, "a", 0o600));
    if (process.platform !== "win32") chmodSync(path, 0o600);
    const db = new Database(path, { timeout: 10_000 });
    try {
      db.pragma("journal_mode = WAL");
      db.pragma("synchronous = NORMAL");
      db.pragma("foreign_keys = ON");
      migrate(db, path);
    } catch (error) {
      db.close();
      throw error;
    }
    return new LogDb(db, path);
  }

  /** Records one call, creating its conversation on its first entry. */
  insert(record: LogRecord): void {
    const db = this.#db;
    db.transaction(() => {
      db.prepare(
        "INSERT OR IGNORE INTO conversations (id, provider, model, created_at) VALUES (?, ?, ?, ?)",
      ).run(record.conversationId, record.provider, record.model, record.createdAt);
      db.prepare(
        `INSERT INTO responses (id, conversation_id, created_at, command, provider, model,
          response_model, system, prompt, attachments, template, options, schema, response, object,
          reasoning, finish_reason, error, prompt_tokens, completion_tokens, total_tokens,
          cached_prompt_tokens, reasoning_tokens, cost_usd, cost_source, cached, duration_ms)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ).run(
        record.id,
        record.conversationId,
        record.createdAt,
        record.command,
        record.provider,
        record.model,
        record.responseModel ?? null,
        record.system ?? null,
        record.prompt,
        record.attachments?.length ? json(record.attachments) : null,
        record.template ?? null,
        record.options && Object.keys(record.options).length > 0 ? json(record.options) : null,
        json(record.schema),
        record.response ?? null,
        json(record.object),
        record.reasoning ?? null,
        record.finishReason ?? null,
        json(record.error),
        record.usage?.promptTokens ?? null,
        record.usage?.completionTokens ?? null,
        record.usage?.totalTokens ?? null,
        record.usage?.cachedPromptTokens ?? null,
        record.usage?.reasoningTokens ?? null,
        record.costUsd ?? null,
        record.costSource ?? null,
        record.cached ? 1 : 0,
        Math.round(record.durationMs),
      );
    })();
  }

  /** Logged entries, the newest first. */
  query(q: LogQuery = {}): LogRecord[] {
    const where: string[] = [];
    const params: unknown[] = [];
    if (q.model !== undefined) {
      where.push("(r.model = ? OR r.response_model = ?)");
      params.push(q.model, q.model);
    }
    if (q.provider !== undefined) {
      where.push("r.provider = ?");
      params.push(q.provider);
    }
    if (q.conversationId !== undefined) {
      where.push("r.conversation_id = ?");
      params.push(q.conversationId);
    }
    if (q.since !== undefined) {
      where.push("r.created_at >= ?");
      params.push(q.since);
    }
    const match = q.search !== undefined ? ftsQuery(q.search) : undefined;
    if (match !== undefined) {
      where.push("r.rid IN (SELECT rowid FROM responses_fts WHERE responses_fts MATCH ?)");
      params.push(match);
    }
    const limit = q.limit ?? 3;
    const sql = `SELECT r.* FROM responses r${where.length ? ` WHERE ${where.join(" AND ")}` : ""}
      ORDER BY r.created_at DESC, r.id DESC${limit > 0 ? " LIMIT ?" : ""}`;
    if (limit > 0) params.push(limit);
    return (this.#db.prepare(sql).all(...params) as Row[]).map(rowToRecord);
  }

  /** The id of the conversation with the most recent entry, if any. */
  latestConversationId(): string | undefined {
    const row = this.#db
      .prepare("SELECT conversation_id FROM responses ORDER BY created_at DESC, id DESC LIMIT 1")
      .get() as Row | undefined;
    return row?.conversation_id as string | undefined;
  }

  /**
   * A conversation with its completed turns. `id` may be a unique prefix of the id.
   *
   * @throws {ConversationNotFoundError} when no conversation, or several, match.
   */
  conversation(id: string): LoggedConversation {
    if (id.trim() === "") {
      throw new ConversationNotFoundError(
        "The conversation id is empty. Run `rephysco logs` to see conversation ids.",
      );
    }
    const matches = this.#db
      .prepare(
        "SELECT id, provider, model FROM conversations WHERE id = ? OR id LIKE ? ESCAPE '\\' LIMIT 3",
      )
      .all(id, `${id.replace(/[\\%_]/g, "\\$&")}%`) as Row[];
    const exact = matches.find((m) => m.id === id);
    const found = exact ?? (matches.length === 1 ? matches[0] : undefined);
    if (!found) {
      throw new ConversationNotFoundError(
        matches.length === 0
          ? `No conversation "${id}" in the log. Run \`rephysco logs\` to see conversation ids.`
          : `"${id}" matches several conversations; give more of the id.`,
      );
    }
    const rows = this.#db
      .prepare(
        `SELECT prompt, response, system, attachments FROM responses
         WHERE conversation_id = ? AND error IS NULL AND response IS NOT NULL
         ORDER BY created_at, id`,
      )
      .all(found.id) as Row[];
    const last = this.#db
      .prepare(
        `SELECT provider, model FROM responses WHERE conversation_id = ?
         ORDER BY (error IS NULL AND response IS NOT NULL) DESC, created_at DESC, id DESC LIMIT 1`,
      )
      .get(found.id) as Row | undefined;
    return {
      id: found.id as string,
      provider: (last?.provider ?? found.provider) as string,
      model: (last?.model ?? found.model) as string,
      turns: rows.map((r) => ({
        prompt: r.prompt as string,
        response: r.response as string,
        ...(typeof r.system === "string" ? { system: r.system } : {}),
        attachments: parseJson<LogAttachment[]>(r.attachments) ?? [],
      })),
    };
  }

  /** Number of logged entries and conversations. */
  counts(): { responses: number; conversations: number } {
    const r = this.#db.prepare("SELECT count(*) AS n FROM responses").get() as Row;
    const c = this.#db.prepare("SELECT count(*) AS n FROM conversations").get() as Row;
    return { responses: r.n as number, conversations: c.n as number };
  }

  /** Closes the database (WAL content is checkpointed by SQLite when the last connection closes). */
  close(): void {
    this.#db.close();
  }
}

function migrate(db: BetterSqlite3.Database, path: string): void {
  const current = () => db.pragma("user_version", { simple: true }) as number;
  if (current() === LOG_SCHEMA_VERSION) return;
  // IMMEDIATE: two processes opening a new database at once migrate it once, one after the other.
  db.transaction(() => {
    const version = current();
    if (version > LOG_SCHEMA_VERSION) {
      throw new Error(
        `${path} has log schema version ${version}, newer than this rephysco knows (${LOG_SCHEMA_VERSION}): upgrade rephysco.`,
      );
    }
    for (let v = version; v < LOG_SCHEMA_VERSION; v++) db.exec(MIGRATIONS[v]!);
    db.pragma(`user_version = ${LOG_SCHEMA_VERSION}`);
  }).immediate();
}
