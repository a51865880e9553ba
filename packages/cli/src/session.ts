import type { LLMClient } from "@rephysco/core";
import {
  CallLog,
  conversationMessages,
  knownKeys,
  loadConversation,
  newConversationId,
} from "./call-log.js";
import { type ClientContext, type ClientFlags, createClient } from "./create-client.js";
import { type ProviderSource, resolveModel } from "./resolve-model.js";
import type { LoggedConversation } from "./store/log-db.js";
import { readSettings } from "./store/settings.js";
import { loadTemplate, type Template } from "./store/templates.js";
import { oneLine } from "./terminal-text.js";
import { UsageError } from "./usage-error.js";

/** The options `generate` and `chat` share for templates, conversations and the log. */
export interface SessionFlags extends ClientFlags {
  /** `--template`: the template to fill in. */
  readonly template?: string;
  /** `--param key value` pairs for the template. */
  readonly param?: Readonly<Record<string, string>>;
  /** `false` with `--no-log`: nothing is recorded. */
  readonly log: boolean;
  /** `-c`: continue the latest conversation. */
  readonly continue?: boolean;
  /** `--cid`: continue this conversation (an id or a unique prefix). */
  readonly cid?: string;
  /** Where `provider` came from: `-p`, `REPHYSCO_PROVIDER`, or the default. */
  readonly providerSource: ProviderSource;
}

/**
 * The template `--template` names, after the checks every command makes on the session flags.
 *
 * @throws {UsageError} for `-c` with `--cid`, `--param` without `--template`, or a template that
 * cannot be loaded.
 */
export function sessionTemplate(flags: SessionFlags): Template | undefined {
  if (flags.continue && flags.cid !== undefined) {
    throw new UsageError("Give -c (the latest conversation) or --cid ID, not both.");
  }
  if (flags.param && flags.template === undefined) {
    throw new UsageError("--param needs --template: parameters fill in a template's $names.");
  }
  return flags.template !== undefined ? loadTemplate(flags.template) : undefined;
}

/** What a command talks through: the client, the continued conversation and the log. */
export interface Session {
  readonly client: LLMClient;
  /** The conversation `-c`/`--cid` continues, if any. */
  readonly conversation: LoggedConversation | undefined;
  /** The id this command's calls are logged under: the continued one, or a new one. */
  readonly conversationId: string;
  /** The continued conversation as messages, and its last system prompt. */
  readonly history: ReturnType<typeof conversationMessages> | undefined;
  readonly log: CallLog;
}

/**
 * Loads the conversation to continue, picks the provider and model (see `resolveModel`), builds
 * the client and opens the log. Says on stderr which images of earlier turns are not sent again.
 *
 * @param templateModel - the model the template names, if any.
 */
export async function openSession(
  flags: SessionFlags,
  ctx: ClientContext,
  templateModel: string | undefined,
): Promise<Session> {
  const conversation =
    flags.continue || flags.cid !== undefined ? await loadConversation(flags.cid) : undefined;
  const choice = resolveModel({
    ...(flags.model !== undefined ? { flag: flags.model } : {}),
    ...(templateModel !== undefined ? { template: templateModel } : {}),
    ...(conversation ? { conversation } : {}),
    provider: flags.provider,
    providerSource: flags.providerSource,
    settings: readSettings(),
  });
  const client = createClient(
    {
      ...flags,
      provider: choice.provider,
      ...(choice.model !== undefined ? { model: choice.model } : {}),
    },
    ctx,
  );
  const { term } = ctx;
  const history = conversation ? conversationMessages(conversation) : undefined;
  if (history && history.droppedImages.length > 0) {
    const names = history.droppedImages.map((s) => oneLine(s, 200)).join(", ");
    term.stderr.write(
      `${term.err.dim(`note: images of earlier turns are not sent again: ${names}`)}\n`,
    );
  }
  const log = await CallLog.open(term, { enabled: flags.log, secrets: knownKeys });
  return {
    client,
    conversation,
    conversationId: conversation?.id ?? newConversationId(),
    history,
    log,
  };
}
