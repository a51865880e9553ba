import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { useMockServer } from "./helpers.js";

const ctx = useMockServer();

describe("load through one client", () => {
  it("answers 1,000 concurrent requests and 200 concurrent streams, memory bounded, and the process exits by itself", async () => {
    const { server } = ctx;
    const child = spawn(process.execPath, ["--expose-gc", fileURLToPath(new URL("./fixtures/load-child.mjs", import.meta.url))], {
      env: { ...process.env, MOCK_URL: `${server.url}/v1` },
      cwd: fileURLToPath(new URL("..", import.meta.url)),
    });
    let out = "";
    let err = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (err += d));
    let finishedAt = 0;
    child.stdout.on("data", () => (finishedAt = Date.now()));
    const code = await new Promise<number | null>((resolve) => {
      // A leaked socket or timer keeps the child alive: kill it after a generous bound.
      const killer = setTimeout(() => child.kill("SIGKILL"), 60_000);
      child.on("exit", (c) => {
        clearTimeout(killer);
        resolve(c);
      });
    });
    expect(err).toBe("");
    expect(code).toBe(0);
    const result = JSON.parse(out) as { okAnswers: number; okStreams: number; heapGrowthMb: number; unhandled: string[] };
    expect(result).toMatchObject({ okAnswers: 1000, okStreams: 200, unhandled: [] });
    expect(result.heapGrowthMb).toBeLessThan(64);
    expect(server.requests.length).toBe(1201);
    // The child printed its result and then ended on its own, well before the keep-alive timeouts.
    expect(Date.now() - finishedAt).toBeLessThan(10_000);
  }, 120_000);
});
