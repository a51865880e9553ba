import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

const SERVER = fileURLToPath(new URL("../server.mjs", import.meta.url));

/**
 * Starts the benchmark server in its own process and resolves with its URL once it listens.
 * The server exits when its stdin closes, so it never outlives the benchmark.
 */
export async function startServer() {
  const child = spawn(process.execPath, [SERVER], { stdio: ["pipe", "pipe", "inherit"] });
  const lines = createInterface({ input: child.stdout });
  const url = await new Promise((resolve, reject) => {
    child.once("exit", (code) => reject(new Error(`benchmark server exited early (${code})`)));
    lines.once("line", (line) => resolve(JSON.parse(line).url));
  });
  return {
    url,
    async close() {
      const exited = new Promise((r) => child.once("exit", r));
      child.stdin.end();
      await exited;
    },
  };
}
