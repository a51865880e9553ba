import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { useMockServer } from "./helpers.js";

const ctx = useMockServer();

describe("cancellation leaves nothing alive", () => {
  it("after aborting a stalled stream and a retry wait, the process exits at once", async () => {
    const { server } = ctx;
    server.enqueue((req) =>
      JSON.stringify(req.body).includes("stall please")
        ? { chunks: ["first", " never"], stallAfterChunks: 1 }
        : { error: { status: 503, body: { error: { message: "busy", type: "server_error", param: null, code: null } } } },
    );
    server.enqueue((req) =>
      JSON.stringify(req.body).includes("stall please")
        ? { chunks: ["first", " never"], stallAfterChunks: 1 }
        : { error: { status: 503, body: { error: { message: "busy", type: "server_error", param: null, code: null } } } },
    );
    const child = spawn(process.execPath, [fileURLToPath(new URL("./fixtures/abort-child.mjs", import.meta.url))], {
      env: { ...process.env, MOCK_URL: `${server.url}/v1` },
      cwd: fileURLToPath(new URL("..", import.meta.url)),
    });
    let out = "";
    let printedAt = 0;
    child.stdout.on("data", (d) => {
      out += d;
      printedAt = Date.now();
    });
    const exitedAt = await new Promise<number>((resolve) => {
      const killer = setTimeout(() => child.kill("SIGKILL"), 30_000);
      child.on("exit", () => {
        clearTimeout(killer);
        resolve(Date.now());
      });
    });
    expect(JSON.parse(out)).toEqual(["first", "AbortError", "AbortError"]);
    // Ended by itself right after printing, not after a 60 s retry timer or an open socket.
    expect(exitedAt - printedAt).toBeLessThan(2_000);
  });
});
