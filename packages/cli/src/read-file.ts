import { constants, type Stats } from "node:fs";
import { type FileHandle, open, stat } from "node:fs/promises";
import { UsageError } from "./usage-error.js";

/** Builds the usage error for a file that cannot be used, from the reason why. */
export type CannotRead = (why: string) => UsageError;

function formatBytes(bytes: number): string {
  const mib = 1024 * 1024;
  return bytes % mib === 0 ? `${bytes / mib} MiB` : `${bytes} bytes`;
}

/** Why `info` is not something to read, or `undefined` when it is a regular file. */
function notRegular(info: Stats): string | undefined {
  if (info.isFile()) return undefined;
  if (info.isDirectory()) return "it is a directory";
  if (info.isFIFO()) return "it is a FIFO (named pipe), not a regular file";
  if (info.isCharacterDevice()) return "it is a character device, not a regular file";
  if (info.isBlockDevice()) return "it is a block device, not a regular file";
  if (info.isSocket()) return "it is a socket, not a regular file";
  return "it is not a regular file";
}

function tooLarge(size: number | undefined, maxBytes: number): string {
  const what = size === undefined ? "it is larger than" : `it is ${size} bytes, above`;
  return `${what} the limit of ${formatBytes(maxBytes)}`;
}

function describeCode(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === "ENOENT") return "no such file";
  if (code === "EACCES" || code === "EPERM") return "permission denied";
  if (code === "EISDIR") return "it is a directory";
  return String(code ?? error);
}

/** Reads at most `maxBytes` from the file, whatever its size said: it may grow while read. */
async function readBounded(
  handle: FileHandle,
  size: number,
  maxBytes: number,
  cannotRead: CannotRead,
): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  // One byte more than allowed, so that a file over the limit is seen to be.
  let want = Math.min(size, maxBytes) + 1;
  for (;;) {
    const buffer = Buffer.allocUnsafe(want);
    const { bytesRead } = await handle.read(buffer, 0, want, null);
    if (bytesRead === 0) break;
    total += bytesRead;
    if (total > maxBytes) throw cannotRead(tooLarge(undefined, maxBytes));
    chunks.push(buffer.subarray(0, bytesRead));
    want = Math.min(64 * 1024, maxBytes - total + 1);
  }
  return Buffer.concat(chunks, total);
}

/** An open regular file, as {@link withRegularFile} hands it over. */
export interface RegularFile {
  readonly handle: FileHandle;
  /** Its size in bytes when opened (it may grow while read). */
  readonly size: number;
}

/**
 * Opens a file the user named on the command line and hands it to `use`, closing it after. Only
 * regular files (a symbolic link to one is fine): `/dev/zero` would never end and a FIFO would
 * block (past `--timeout`, which starts later) until someone writes to it.
 *
 * @param cannotRead - makes the usage error from the reason (`no such file`, `it is a directory`...).
 * @throws {UsageError} from `cannotRead` for anything but a readable regular file, or what `use` throws.
 */
export async function withRegularFile<T>(
  path: string,
  cannotRead: CannotRead,
  use: (file: RegularFile) => Promise<T>,
): Promise<T> {
  let handle: FileHandle;
  try {
    // Checked before opening, because opening a FIFO for reading waits for a writer.
    const why = notRegular(await stat(path));
    if (why) throw cannotRead(why);
    // O_NONBLOCK: should the path turn into a FIFO after the check, the open still returns.
    handle = await open(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw cannotRead(describeCode(error));
  }
  try {
    // What was opened is what counts, whatever the path pointed to when checked.
    const info = await handle.stat();
    const why = notRegular(info);
    if (why) throw cannotRead(why);
    return await use({ handle, size: info.size });
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw cannotRead(describeCode(error));
  } finally {
    await handle.close();
  }
}

/**
 * Reads at most `maxBytes` of a file {@link withRegularFile} opened, from its start, whatever
 * its size said: it may grow while read.
 *
 * @throws {UsageError} from `cannotRead` when the file holds more than `maxBytes`.
 */
export async function readAtMost(
  file: RegularFile,
  maxBytes: number,
  cannotRead: CannotRead,
): Promise<Buffer> {
  if (file.size > maxBytes) throw cannotRead(tooLarge(file.size, maxBytes));
  return readBounded(file.handle, file.size, maxBytes, cannotRead);
}

/**
 * Reads a file the user named on the command line: see {@link withRegularFile}. The size is
 * checked before reading, and the read stops at `maxBytes` in case the file grows meanwhile.
 *
 * @param cannotRead - makes the usage error from the reason (`no such file`, `it is a directory`...).
 * @throws {UsageError} from `cannotRead` for anything but a readable regular file of at most `maxBytes`.
 */
export async function readRegularFile(
  path: string,
  maxBytes: number,
  cannotRead: CannotRead,
): Promise<Buffer> {
  return withRegularFile(path, cannotRead, (file) => readAtMost(file, maxBytes, cannotRead));
}
