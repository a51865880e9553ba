import { existsSync, statSync } from "node:fs";
import type { Command } from "commander";
import { ExitCode } from "../exit-codes.js";
import { usd } from "../format-usage.js";
import { parseCount } from "../parse-number.js";
import { expandAlias, splitModel } from "../resolve-model.js";
import { LogDb, type LogRecord, logDbPath } from "../store/log-db.js";
import { readSettings, updateSettings } from "../store/settings.js";
import type { Terminal } from "../terminal.js";
import { oneLine, stripTerminalControls } from "../terminal-text.js";
import { UsageError } from "../usage-error.js";

/** Options of `rephysco logs`, as parsed from the command line. */
export interface LogsFlags {
  /** Entries to show (default 3); `0` for all. */
  readonly count: number;
  readonly model?: string;
  readonly provider?: string;
  /** Full-text search. */
  readonly query?: string;
  /** Entries of this conversation (an id or a unique prefix). */
  readonly conversation?: string;
  /** Entries since an ISO time or a duration ago (`30m`, `2h`, `7d`). */
  readonly since?: string;
  /** Print the entries as a JSON array. */
  readonly json?: boolean;
  /** Print only the answer of the latest matching entry. */
  readonly response?: boolean;
  /** With `--response`: the answer's bytes even on a terminal. */
  readonly raw?: boolean;
}

const UNITS: Readonly<Record<string, number>> = {
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

/**
 * `--since`: an ISO 8601 date or time (`2026-11-30`, `2026-11-30T08:00Z`) or a duration ago
 * (`90s`, `30m`, `2h`, `7d`, `1w`).
 *
 * @throws {UsageError} for anything else.
 */
export function parseSince(value: string, now: number = Date.now()): string {
  const text = value.trim();
  const relative = /^(\d{1,9})\s*([smhdw])$/i.exec(text);
  if (relative) {
    const time = now - Number(relative[1]) * UNITS[relative[2]!.toLowerCase()]!;
    // Far enough back is the beginning of time: everything is since then.
    return new Date(Math.max(time, 0)).toISOString();
  }
  // A date, or a date and time; without a zone it is UTC, like the times `logs` prints.
  const iso =
    /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2})?$/i.exec(
      text,
    );
  if (iso) {
    const [, y, mo, d, h = "00", mi = "00", sec = "00", zone] = iso;
    const time = Date.parse(`${y}-${mo}-${d}T${h}:${mi}:${sec}${zone ?? "Z"}`);
    // 2026-02-31 would parse as March 3rd: a date that does not exist is refused instead.
    const day = new Date(Date.UTC(Number(y), Number(mo) - 1, Number(d)));
    const real =
      day.getUTCFullYear() === Number(y) &&
      day.getUTCMonth() === Number(mo) - 1 &&
      day.getUTCDate() === Number(d) &&
      Number(h) < 24 &&
      Number(mi) < 60 &&
      Number(sec) < 60;
    if (real && !Number.isNaN(time)) return new Date(time).toISOString();
  }
  throw new UsageError(
    `--since expects an ISO date or time, UTC unless a zone is given (2026-11-30, 2026-11-30T08:00, 2026-11-30T08:00+02:00), or a duration ago (30m, 2h, 7d); got "${oneLine(value, 80)}".`,
  );
}

/** The time, usage, cost and speed line of an entry. */
function metaLine(r: LogRecord): string {
  const parts = [`${r.provider}/${r.responseModel ?? r.model}`, `${Math.round(r.durationMs)} ms`];
  if (r.usage) parts.push(`${r.usage.promptTokens} + ${r.usage.completionTokens} tokens`);
  if (r.costUsd !== undefined) parts.push(usd(r.costUsd));
  if (r.cached) parts.push("cached");
  return parts.join(" · ");
}

/** Logged text (a model's answer, a prompt) made safe for the terminal. */
function text(value: string): string {
  return stripTerminalControls(value).replace(/\n+$/, "");
}

function printRecord(term: Terminal, r: LogRecord): void {
  const out = term.stdout;
  const c = term.out;
  out.write(`${c.bold(`# ${r.createdAt}`)}  ${c.dim(`conversation ${r.conversationId}`)}\n`);
  out.write(`${c.dim(oneLine(metaLine(r), 400))}\n\n`);
  if (r.template) out.write(`${c.dim(`template: ${oneLine(r.template, 200)}`)}\n`);
  if (r.system) out.write(`${c.bold("## System")}\n\n${text(r.system)}\n\n`);
  out.write(`${c.bold("## Prompt")}\n\n${text(r.prompt)}\n\n`);
  if (r.attachments?.length) {
    out.write(`${c.bold("## Attachments")}\n\n`);
    for (const a of r.attachments) out.write(`- ${a.type}: ${oneLine(a.source, 400)}\n`);
    out.write("\n");
  }
  if (r.object !== undefined) {
    out.write(`${c.bold("## Object")}\n\n${text(JSON.stringify(r.object, null, 2))}\n\n`);
  } else if (r.response !== undefined) {
    out.write(`${c.bold("## Response")}\n\n${text(r.response)}\n\n`);
  }
  if (r.error) {
    const details = [
      r.error.status,
      r.error.code,
      r.error.requestId && `request ${r.error.requestId}`,
    ]
      .filter((d) => d !== undefined && d !== "")
      .join(", ");
    out.write(
      `${c.bold(c.red("## Error"))}\n\n${oneLine(`${r.error.name}: ${r.error.message}`, 2000)}${details ? ` (${oneLine(details, 400)})` : ""}\n\n`,
    );
  }
}

async function openExisting(): Promise<LogDb | undefined> {
  const path = logDbPath();
  return existsSync(path) ? LogDb.open(path) : undefined;
}

/**
 * `--model` as `-m` takes it: an alias, a model, or `provider/model` (then both must match).
 */
function modelFilter(value: string): { model: string; provider?: string } {
  const { provider, model } = splitModel(expandAlias(value, readSettings()));
  return provider ? { provider, model } : { model };
}

/**
 * `rephysco logs`: the latest logged calls, oldest of them first, as Markdown-like text (or JSON
 * with `--json`; only the answer with `--response`).
 *
 * @returns the exit code: 1 when `--response` shows a call that failed.
 */
export async function runLogs(flags: LogsFlags, term: Terminal): Promise<ExitCode> {
  const since = flags.since !== undefined ? parseSince(flags.since) : undefined;
  const byModel = flags.model !== undefined ? modelFilter(flags.model) : undefined;
  if (byModel?.provider && flags.provider !== undefined && byModel.provider !== flags.provider) {
    throw new UsageError(
      `--model ${flags.model} names the provider ${byModel.provider}, but --provider says ${flags.provider}.`,
    );
  }
  const provider = flags.provider ?? byModel?.provider;
  const db = await openExisting();
  if (!db) {
    if (flags.response) throw new UsageError("No logged entry matches: the log is empty.");
    if (flags.json) term.stdout.write("[]\n");
    else term.stderr.write("No logs yet.\n");
    return ExitCode.OK;
  }
  try {
    let conversationId: string | undefined;
    if (flags.conversation !== undefined) {
      try {
        conversationId = db.conversation(flags.conversation).id;
      } catch (error) {
        throw new UsageError((error as Error).message);
      }
    }
    const records = db.query({
      limit: flags.response ? 1 : flags.count,
      ...(byModel ? { model: byModel.model } : {}),
      ...(provider !== undefined ? { provider } : {}),
      ...(flags.query !== undefined ? { search: flags.query } : {}),
      ...(conversationId !== undefined ? { conversationId } : {}),
      ...(since !== undefined ? { since } : {}),
    });
    if (flags.response) {
      const r = records[0];
      if (!r) throw new UsageError("No logged entry matches.");
      // The answer itself: raw, like cat, for pipes; on a terminal without the escape sequences
      // a model may have sent (generate renders them away there too).
      const answer =
        r.object !== undefined ? JSON.stringify(r.object, null, 2) : (r.response ?? "");
      const shown = term.stdout.isTTY && !flags.raw ? stripTerminalControls(answer) : answer;
      term.stdout.write(shown.endsWith("\n") || shown === "" ? shown : `${shown}\n`);
      if (r.error) {
        term.stderr.write(
          `${term.err.red("error:")} that call failed (${oneLine(`${r.error.name}: ${r.error.message}`, 500)})${answer ? "; above is what arrived before it failed" : ""}.\n`,
        );
        return ExitCode.PROVIDER_ERROR;
      }
      return ExitCode.OK;
    }
    if (flags.json) {
      term.stdout.write(`${JSON.stringify(records.reverse(), null, 2)}\n`);
      return ExitCode.OK;
    }
    if (records.length === 0) {
      term.stderr.write("No logged entry matches.\n");
      return ExitCode.OK;
    }
    for (const r of records.reverse()) printRecord(term, r);
    return ExitCode.OK;
  } finally {
    db.close();
  }
}

/** `rephysco logs status`. */
async function runStatus(term: Terminal): Promise<void> {
  const on = readSettings().log !== false;
  const path = logDbPath();
  term.stdout.write(`Logging is ${on ? "on" : "off"}.\n`);
  const db = await openExisting();
  if (!db) {
    term.stdout.write(`Database: ${path} (not created yet)\n`);
    return;
  }
  try {
    const { responses, conversations } = db.counts();
    const bytes = ["", "-wal"].reduce((n, suffix) => {
      try {
        return n + statSync(path + suffix).size;
      } catch {
        return n;
      }
    }, 0);
    term.stdout.write(
      `Database: ${path}\n${responses} responses in ${conversations} conversations, ${(bytes / 1024 / 1024).toFixed(2)} MB\n`,
    );
  } finally {
    db.close();
  }
}

/** Adds `rephysco logs` and its subcommands to the program. */
export function registerLogsCommand(
  program: Command,
  term: Terminal,
  setExitCode: (code: ExitCode) => void,
): void {
  const logs = program
    .command("logs")
    .description("show logged prompts and answers; logs on|off|path|status")
    .option("-n, --count <n>", "entries to show, the latest (0 for all)", parseCount, 3)
    .option("-m, --model <id>", "only this model")
    .option("-p, --provider <id>", "only this provider")
    .option("-q, --query <text>", "full-text search in prompts, system prompts and answers")
    .option("--conversation <id>", "only this conversation (an id or a unique prefix)")
    .option("--cid <id>", "same as --conversation")
    .option(
      "--since <when>",
      "only entries since an ISO date/time (UTC unless a zone is given) or a duration ago (30m, 2h, 7d)",
    )
    .option("--json", "print the entries as JSON")
    .option("-r, --response", "print only the answer of the latest matching entry")
    .option("--raw", "with -r: the answer's bytes even on a terminal")
    .action(async (flags: LogsFlags & { cid?: string }) => {
      if (flags.cid !== undefined && flags.conversation !== undefined) {
        throw new UsageError("Give --conversation or --cid, not both.");
      }
      const code = await runLogs(
        { ...flags, ...(flags.cid !== undefined ? { conversation: flags.cid } : {}) },
        term,
      );
      setExitCode(code);
    });
  logs
    .command("off")
    .description("stop logging prompts and answers")
    .action(() => {
      updateSettings((s) => ({ ...s, log: false }));
      term.stdout.write("Logging is off.\n");
    });
  logs
    .command("on")
    .description("log prompts and answers (the default)")
    .action(() => {
      updateSettings(({ log: _log, ...s }) => s);
      term.stdout.write("Logging is on.\n");
    });
  logs
    .command("path")
    .description("print the path of the log database")
    .action(() => {
      term.stdout.write(`${logDbPath()}\n`);
    });
  logs
    .command("status")
    .description("say whether logging is on, and where the log is")
    .action(() => runStatus(term));
}
