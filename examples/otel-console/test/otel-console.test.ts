import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const script = fileURLToPath(new URL("../otel-console.mjs", import.meta.url));

describe("otel-console example", () => {
  it("runs offline and prints the span trees and the GenAI metrics, no key", async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [script], {
      env: { ...process.env, OPENAI_API_KEY: "" },
      timeout: 20_000,
    });
    expect(stdout).toContain("generate: Hello!");
    expect(stdout).toContain("stream: Bonjour!");
    expect(stdout).toContain("tool loop: 2 + 3 = 5");
    for (const name of [
      "chat gpt-4o-mini",
      "attempt openai gpt-4o-mini",
      "retry wait",
      "step 1",
      "step 2",
      "execute_tool add",
    ])
      expect(stdout).toContain(`name: '${name}'`);
    expect(stdout).toContain("gen_ai.client.operation.duration");
    expect(stdout).toContain("gen_ai.client.token.usage");
    expect(stdout).toContain("gen_ai.client.operation.time_to_first_chunk");
    expect(stdout).not.toContain("sk-example-not-a-real-key");
  });
});
