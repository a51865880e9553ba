import { closeSync, constants, fstatSync, openSync, readSync } from "node:fs";

/**
 * Reads a small text file synchronously, or `undefined` when it does not exist. Refuses what is
 * not a regular file (a FIFO would block) and what is larger than `maxBytes` (counted while
 * reading, as the file may grow).
 *
 * @throws Error naming the file and what is wrong with it.
 */
export function readTextFile(path: string, maxBytes: number): string | undefined {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
  try {
    if (!fstatSync(fd).isFile()) throw new Error(`${path} is not a regular file.`);
    const buffer = Buffer.allocUnsafe(maxBytes + 1);
    let total = 0;
    for (;;) {
      const n = readSync(fd, buffer, total, buffer.length - total, null);
      if (n === 0) break;
      total += n;
      if (total > maxBytes) throw new Error(`${path} is larger than ${maxBytes} bytes.`);
    }
    return buffer.toString("utf8", 0, total);
  } finally {
    closeSync(fd);
  }
}
