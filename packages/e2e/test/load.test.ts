import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { useMockServer } from "./helpers.js";

const ctx = useMockServer();

describe("load through one client", () => {
  it("answers 1,000 concurrent requests and 200 concurrent streams, memory bounded, and the process exits by itself", async () => {
    const { server } = ctx;
    const child = spawn(
      process.execPath,
      ["--expose-gc", fileURLToPath(new URL("./fixtures/load-child.mjs", import.meta.url))],
      {
        env: { ...process.env, MOCK_URL: `${server.url}/v1` },
        cwd: fileURLToPath(new URL("..", import.meta.url)),
      },
    );
    let out = "";
    let err = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (err += d));
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
    const result = JSON.parse(out) as {
      okAnswers: number;
      okStreams: number;
      heapGrowthMb: number;
      unhandled: string[];
      alive: string[];
    };
    expect(result).toMatchObject({ okAnswers: 1000, okStreams: 200, unhandled: [] });
    expect(result.heapGrowthMb).toBeLessThan(64);
    expect(server.requests.length).toBe(1201);
    // Nothing kept the child's event loop alive once the work was done (it was not killed).
    expect(result.alive).toEqual([]);
    expect(child.signalCode).toBeNull();
  }, 120_000);
});
