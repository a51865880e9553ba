import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { jsonEvents, postJson, readEvents } from "./support/http.js";

// The bin is tested as shipped: the built file, in its own process.
const BIN = fileURLToPath(new URL("../dist/bin.js", import.meta.url));
const children: ChildProcess[] = [];

async function start(args: string[]): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ["ignore", "pipe", "pipe"] });
  children.push(child);
  const [line] = (await once(createInterface({ input: child.stdout! }), "line")) as [string];
  return { child, url: (JSON.parse(line) as { url: string }).url };
}

afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill("SIGKILL");
});

describe("rephysco-mock-server bin", () => {
  it("prints its url, echoes, and exits 0 on SIGTERM", async () => {
    const { child, url } = await start([]);
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const response = await postJson(`${url}/v1/chat/completions`, {
      model: "m",
      messages: [{ role: "user", content: "ping" }],
    });
    expect((await response.json()).choices[0].message.content).toBe("Echo: ping");
    child.kill("SIGTERM");
    const [code] = await once(child, "exit");
    expect(code).toBe(0);
  });

  it("answers --text in --chunks pieces and exits on SIGINT", async () => {
    const { child, url } = await start(["--text", "Hello streaming world", "--chunks", "3"]);
    const events = await readEvents(
      await postJson(`${url}/v1/chat/completions`, { model: "m", stream: true, messages: [] }),
    );
    const deltas = jsonEvents(events).map(
      (chunk) => (chunk.choices as { delta: { content?: string } }[])[0]!.delta.content,
    );
    expect(deltas).toEqual(["Hello s", "treamin", "g world", undefined]);
    child.kill("SIGINT");
    const [code] = await once(child, "exit");
    expect(code).toBe(0);
  });

  it("rejects bad arguments with exit code 2", async () => {
    const child = spawn(process.execPath, [BIN, "--port", "abc"], { stdio: "ignore" });
    const [code] = await once(child, "exit");
    expect(code).toBe(2);
  });
});
