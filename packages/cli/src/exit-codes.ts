/** Process exit codes of the `rephysco` binary. */
export const ExitCode = {
  /** The command did what was asked. */
  OK: 0,
  /** The provider or the network failed (bad key, rate limit, outage, timeout...). */
  PROVIDER_ERROR: 1,
  /** The command line was wrong: unknown option, bad number, missing prompt, unknown provider. */
  USAGE_ERROR: 2,
  /** Ctrl+C stopped the answer (128 + SIGINT, as shells report it). */
  INTERRUPTED: 130,
} as const;

/** One of the {@link ExitCode} values. */
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];
