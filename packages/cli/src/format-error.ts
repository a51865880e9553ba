import {
  AuthenticationError,
  ConfigurationError,
  InvalidRequestError,
  listProviders,
  RephyscoError,
} from "@rephysco/core";
import { CommanderError } from "commander";
import { ExitCode } from "./exit-codes.js";
import { UsageError } from "./usage-error.js";

/** An error reduced to what the CLI prints and how it exits. */
export interface FormattedError {
  /** One line, no stack, that says what went wrong and what to do. */
  readonly message: string;
  /** The exit code: 2 for usage errors, 1 for everything else. */
  readonly exitCode: ExitCode;
}

function keyVars(provider: string): readonly string[] {
  const info = listProviders().find((p) => p.id === provider);
  const target = info?.aliasOf ? listProviders().find((p) => p.id === info.aliasOf) : info;
  return target?.apiKeyEnvVars ?? info?.apiKeyEnvVars ?? [];
}

function orList(names: readonly string[]): string {
  return names.length > 1
    ? `${names.slice(0, -1).join(", ")} or ${names.at(-1)}`
    : (names[0] ?? "");
}

function firstLine(text: string): string {
  const line = text.split(/\r?\n/).find((l) => l.trim() !== "") ?? text;
  return line.trim();
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
  if (error instanceof CommanderError) {
    return {
      message: firstLine(error.message.replace(/^error:\s*/i, "")),
      exitCode: ExitCode.USAGE_ERROR,
    };
  }
  if (error instanceof AuthenticationError && error.code === "missing_api_key") {
    const vars = keyVars(error.provider);
    if (vars.length > 0) {
      return {
        message: `No API key for ${error.provider}: set ${orList(vars)} in the environment or in a .env file in this directory.`,
        exitCode,
      };
    }
  }
  if (error instanceof RephyscoError) {
    const tags = [error.status, error.code].filter((t) => t !== undefined && t !== "").join(" ");
    let message = firstLine(error.message);
    if (
      error.provider !== "client" &&
      !message.toLowerCase().startsWith(error.provider.toLowerCase())
    ) {
      message = `${error.provider}: ${message}`;
    }
    if (tags) message += ` (${tags})`;
    if (error instanceof AuthenticationError) {
      const vars = keyVars(error.provider);
      if (vars.length > 0) message += ` Check ${orList(vars)}.`;
    }
    return { message, exitCode };
  }
  if (error instanceof Error) return { message: firstLine(error.message || error.name), exitCode };
  return { message: firstLine(String(error)), exitCode };
}
