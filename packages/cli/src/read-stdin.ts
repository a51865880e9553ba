import type { CliInput } from "./terminal.js";

/** Reads a stream to its end as UTF-8 text. */
export async function readAll(input: CliInput): Promise<string> {
  const parts: Buffer[] = [];
  for await (const chunk of input) {
    parts.push(typeof chunk === "string" ? Buffer.from(chunk) : (chunk as Buffer));
  }
  return Buffer.concat(parts).toString("utf8");
}
