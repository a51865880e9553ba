/**
 * The user cancelled a prompt (Ctrl+C while `keys set` waits for the key). Printed like any
 * error, but exits with code 130, as a shell reports a command stopped by Ctrl+C.
 */
export class CancelledError extends Error {
  override readonly name = "CancelledError";
}
