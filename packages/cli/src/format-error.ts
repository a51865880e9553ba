import {
  AuthenticationError,
  ConfigurationError,
  ContentFilterError,
  InvalidOutputError,
  InvalidRequestError,
  listProviders,
  QuotaExceededError,
  RateLimitError,
  RephyscoError,
  ServiceUnavailableError,
  TimeoutError,
} from "@rephysco/core";
import { CommanderError } from "commander";
import { CancelledError } from "./cancelled-error.js";
import { ExitCode } from "./exit-codes.js";
import { storedKeyUsedFor } from "./store/keys.js";
import { oneLine } from "./terminal-text.js";
import { UsageError } from "./usage-error.js";

/**
 * Longest error message printed, in characters. Providers have sent megabytes of HTML or JSON
 * as an error message; past this much it only buries the hint that follows.
 */
export const MAX_ERROR_MESSAGE_CHARS = 500;

/** An error reduced to what the CLI prints and how it exits. */
export interface FormattedError {
  /**
   * One line, no stack, that says what went wrong and what to do: no control characters or
   * escape sequences, the error's own message cut at {@link MAX_ERROR_MESSAGE_CHARS}.
   */
  readonly message: string;
  /** The exit code: 2 for usage errors, 130 for a cancelled prompt, 1 for everything else. */
  readonly exitCode: ExitCode;
}

function keyVars(provider: string): readonly string[] {
  const info = listProviders().find((p) => p.id === provider);
  const target = info?.aliasOf ? listProviders().find((p) => p.id === info.aliasOf) : info;
  return target?.apiKeyEnvVars ?? info?.apiKeyEnvVars ?? [];
}

/** The provider whose key a call to `provider` uses (an alias's target): `keys set` stores it. */
function keyOwnerId(provider: string): string {
  return listProviders().find((p) => p.id === provider)?.aliasOf ?? provider;
}

function orList(names: readonly string[]): string {
  return names.length > 1
    ? `${names.slice(0, -1).join(", ")} or ${names.at(-1)}`
    : (names[0] ?? "");
}

/** An error's own message (a provider's words, a path, a URL) made safe to print as one line. */
function safeMessage(text: string): string {
  return oneLine(text, MAX_ERROR_MESSAGE_CHARS);
}

/**
 * The model's own text for an answer that is not what was asked (`generate --schema`): the
 * message says what is wrong, this shows what came, cleaned and cut like any message. A refusal
 * is left out: the message already quotes it.
 */
function receivedText(error: InvalidOutputError): string {
  if (error.data?.refusal === true) return "";
  const text = oneLine(error.text, MAX_ERROR_MESSAGE_CHARS);
  return ` The model answered: ${text === "" ? "(nothing)" : text}`;
}

/** What to do next, by error class (never by the provider's wording). */
function hintFor(error: RephyscoError): string | undefined {
  if (error.provider === "client") return undefined;
  if (error instanceof InvalidOutputError)
    return error.data?.refusal === true ? undefined : "Ask again, or loosen the schema (--schema).";
  if (error instanceof AuthenticationError) {
    const stored = storedKeyUsedFor(error.provider);
    if (stored !== undefined) {
      return `The stored key for ${stored} was rejected: set a new one with \`rephysco keys set ${stored}\`.`;
    }
    const vars = keyVars(error.provider);
    return vars.length > 0 ? `Check ${orList(vars)}.` : "Check the API key.";
  }
  if (error instanceof QuotaExceededError) return "Check the account's plan, credits or billing.";
  if (error instanceof RateLimitError) return "Wait a moment and try again, or raise --retries.";
  if (error instanceof ContentFilterError)
    return "The provider refused the content; rephrase the prompt.";
  if (error instanceof TimeoutError) return "Try again, or raise --timeout.";
  if (error instanceof ServiceUnavailableError) {
    return error.status === undefined
      ? "Check the network and the base URL (--base-url or the provider's base URL variable)."
      : "The provider is having trouble; try again later.";
  }
  if (error instanceof InvalidRequestError) return "Check the model id (-m) and the options.";
  return undefined;
}

/** Is this the user's fault (exit 2) rather than the provider's or the network's (exit 1)? */
function isUsageError(error: unknown): boolean {
  if (error instanceof UsageError || error instanceof ConfigurationError) return true;
  // The client validates parameters before sending anything and marks those errors as its own.
  return error instanceof InvalidRequestError && error.provider === "client";
}

/**
 * Formats any error the CLI can meet as one line. Missing keys name the variable to set and the
 * `.env` file; provider errors carry their status and code so that they can be looked up.
 */
export function formatError(error: unknown): FormattedError {
  const exitCode = isUsageError(error) ? ExitCode.USAGE_ERROR : ExitCode.PROVIDER_ERROR;
  if (error instanceof CancelledError) {
    return { message: safeMessage(error.message), exitCode: ExitCode.INTERRUPTED };
  }
  if (error instanceof CommanderError) {
    return {
      message: safeMessage(error.message.replace(/^error:\s*/i, "")),
      exitCode: ExitCode.USAGE_ERROR,
    };
  }
  if (error instanceof AuthenticationError && error.reason === "missing_api_key") {
    const vars = keyVars(error.provider);
    if (vars.length > 0) {
      return {
        message: `No API key for ${error.provider}: set ${orList(vars)} in the environment or in a .env file in this directory, or store one with \`rephysco keys set ${keyOwnerId(error.provider)}\`.`,
        exitCode,
      };
    }
  }
  if (error instanceof RephyscoError) {
    let message = safeMessage(error.message).replace(/[.\s]+$/, "");
    if (
      error.provider !== "client" &&
      !message.toLowerCase().startsWith(error.provider.toLowerCase())
    ) {
      message = `${error.provider}: ${message}`;
    }
    // Status and code let the user look the error up; skip what the message already says.
    const tags = [
      error.status,
      error.code ?? error.reason,
      error.requestId === undefined ? undefined : `request id ${error.requestId}`,
    ]
      .map((t) => (t === undefined ? "" : oneLine(String(t), 100)))
      .filter((t) => t !== "" && !message.includes(t))
      .join(", ");
    if (tags) message += ` (${tags})`;
    const hint = hintFor(error);
    const received = error instanceof InvalidOutputError ? receivedText(error) : "";
    return { message: `${message}.${hint ? ` ${hint}` : ""}${received}`, exitCode };
  }
  if (error instanceof Error)
    return { message: safeMessage(error.message || error.name), exitCode };
  return { message: safeMessage(String(error)), exitCode };
}
