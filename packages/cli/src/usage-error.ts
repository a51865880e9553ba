/**
 * The user asked for something the CLI cannot do as given (bad number, missing prompt, unknown
 * provider). Exits with code 2, like an unknown option.
 */
export class UsageError extends Error {
  override readonly name = "UsageError";
}
