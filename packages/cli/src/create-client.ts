import { hasProvider, LLMClient, listProviders, type RephyscoEvent } from "@rephysco/core";
import { checkEnvFileBaseURL } from "./check-env-file-base-url.js";
import { formatError } from "./format-error.js";
import type { EnvFile } from "./load-env-file.js";
import type { ProviderLoadFailure } from "./load-providers.js";
import { storedKeyToUse } from "./store/keys.js";
import type { Terminal } from "./terminal.js";
import { oneLine } from "./terminal-text.js";
import { UsageError } from "./usage-error.js";

/** The options `generate` and `chat` share for reaching a provider. */
export interface ClientFlags {
  /** Registry id of the provider. */
  readonly provider: string;
  /** Model id; the provider's default when omitted. */
  readonly model?: string;
  /** Overrides the provider's base URL (and its environment variable). */
  readonly baseUrl?: string;
  /** Use the client's default persistent cache. */
  readonly cache?: boolean;
  /** Retries after the first attempt (`0` turns retries off). */
  readonly retries?: number;
  /** Timeout in milliseconds for the whole call (retries included) and for each attempt. */
  readonly timeout?: number;
  /** Use a base URL from `.env` even when the key comes from elsewhere. */
  readonly trustEnvFile?: boolean;
}

/** What else {@link createClient} needs to know. */
export interface ClientContext {
  readonly term: Terminal;
  readonly debug: boolean;
  readonly loadFailures: readonly ProviderLoadFailure[];
  /** The `.env` loaded from the working directory, if any. */
  readonly envFile?: EnvFile;
}

function describeEvent(event: RephyscoEvent): string | undefined {
  switch (event.type) {
    case "request":
      return `request ${event.provider}/${event.model} attempt ${event.attempt}${event.stream ? " (stream)" : ""}`;
    case "retry":
      return `attempt ${event.attempt} of ${event.provider}/${event.model} in ${Math.round(event.delayMs)} ms after: ${formatError(event.error).message}`;
    case "fallback":
      return `fallback ${event.from.provider}/${event.from.model} -> ${event.to.provider}/${event.to.model}`;
    case "cache_hit":
    case "cache_miss":
      return `${event.type.replace("_", " ")} ${event.key}`;
    case "cache_error":
      return `cache ${event.operation} failed: ${formatError(event.error).message}`;
    case "finish":
      return `finish ${event.provider}/${event.model} in ${Math.round(event.durationMs)} ms${event.cached ? " (cached)" : ""}${event.usage ? `, ${event.usage.promptTokens}+${event.usage.completionTokens} tokens` : ""}`;
    case "error":
      return undefined;
  }
}

/**
 * Builds the {@link LLMClient} for a command.
 *
 * @throws {UsageError} for a provider id nobody registered (listing the ones that are), or a base
 * URL from `.env` with a key from elsewhere (see {@link checkEnvFileBaseURL}), or a `keys.json`
 * that cannot be read when a stored key is needed.
 * @throws {AuthenticationError} when the provider's key variable is not set and no key is stored.
 */
export function createClient(flags: ClientFlags, ctx: ClientContext): LLMClient {
  if (!hasProvider(flags.provider)) {
    const known = listProviders().map((p) => p.id);
    const failed = ctx.loadFailures.map(
      (f) => `${f.packageName} (${formatError(f.error).message})`,
    );
    throw new UsageError(
      `Unknown provider "${flags.provider}". Use one of: ${known.join(", ") || "none"}` +
        (failed.length ? `; could not load ${failed.join(", ")}` : "") +
        ". Run `rephysco providers` to see them all.",
    );
  }
  // The environment (and .env) wins; a key stored with `rephysco keys set` fills in. Core scrubs
  // a key passed as `apiKey` from errors exactly as one read from a variable.
  const apiKey = storedKeyToUse(flags.provider);
  checkEnvFileBaseURL({
    provider: flags.provider,
    envFile: ctx.envFile,
    baseUrlFlag: flags.baseUrl !== undefined,
    trusted: flags.trustEnvFile === true,
    storedKey: apiKey !== undefined,
  });
  const { term, debug } = ctx;
  return new LLMClient({
    provider: flags.provider,
    ...(flags.model !== undefined ? { model: flags.model } : {}),
    ...(apiKey !== undefined ? { apiKey } : {}),
    ...(flags.baseUrl !== undefined ? { baseURL: flags.baseUrl } : {}),
    ...(flags.cache ? { cache: true } : {}),
    ...(flags.retries !== undefined
      ? { retry: flags.retries === 0 ? false : { maxRetries: flags.retries } }
      : {}),
    ...(flags.timeout !== undefined ? { timeoutMs: flags.timeout } : {}),
    ...(debug
      ? {
          onEvent(event: RephyscoEvent) {
            const line = describeEvent(event);
            // Models and keys in events can come from the server: nothing raw to the terminal.
            if (line) term.stderr.write(`${term.err.dim(`[rephysco] ${oneLine(line, 2000)}`)}\n`);
          },
        }
      : {}),
  });
}
