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
        : {
            error: {
              status: 503,
              body: { error: { message: "busy", type: "server_error", param: null, code: null } },
            },
          },
    );
    server.enqueue((req) =>
      JSON.stringify(req.body).includes("stall please")
        ? { chunks: ["first", " never"], stallAfterChunks: 1 }
        : {
            error: {
              status: 503,
              body: { error: { message: "busy", type: "server_error", param: null, code: null } },
            },
          },
    );
    const child = spawn(
      process.execPath,
      [fileURLToPath(new URL("./fixtures/abort-child.mjs", import.meta.url))],
      {
        env: { ...process.env, MOCK_URL: `${server.url}/v1` },
        cwd: fileURLToPath(new URL("..", import.meta.url)),
      },
    );
    let out = "";
    child.stdout.on("data", (d) => {
      out += d;
    });
    // A leaked 60 s retry timer or an open socket would keep the child alive: it is killed then.
    const killer = setTimeout(() => child.kill("SIGKILL"), 30_000);
    const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
      child.on("exit", (c, s) => resolve([c, s])),
    );
    clearTimeout(killer);
    expect(signal).toBeNull();
    expect(code).toBe(0);
    const { results, alive } = JSON.parse(out) as { results: string[]; alive: string[] };
    expect(results).toEqual(["first", "AbortError", "AbortError"]);
    expect(alive).toEqual([]);
  });
});
