import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const run = promisify(execFile);

// A resolve hook that fails the first resolution of "openai" (as a missing install would) and
// lets later ones through: if `@rephysco/openai` imported the SDK when it is imported, that
// import would be the one to fail.
const HOOKS = `
let failed = false;
export async function resolve(specifier, context, next) {
  if (specifier === "openai" && !failed) {
    failed = true;
    throw Object.assign(new Error("Cannot find package 'openai' (test hook)"), { code: "ERR_MODULE_NOT_FOUND" });
  }
  return next(specifier, context);
}`;

const CHILD = `
import { register } from "node:module";
register("data:text/javascript," + encodeURIComponent(${JSON.stringify(HOOKS)}));
const { OpenAIProvider } = await import("@rephysco/openai");
const { createMockServer } = await import("@rephysco/testing");
const server = await createMockServer();
const provider = new OpenAIProvider({ apiKey: "sk-test-0123456789abcdefSECRET", baseURL: server.url + "/v1" });
const hi = [{ role: "user", content: "Hi" }];
const first = await provider.generate(hi, { model: "gpt-4o" }).catch((e) => e);
server.enqueue({ text: "loaded now" });
const second = await provider.generate(hi, { model: "gpt-4o" }).catch((e) => e);
await server.close();
console.log(JSON.stringify({
  first: { name: first.name, reason: first.reason, retryable: first.retryable, message: first.message },
  second: { content: second.content, name: second.name, message: second.message },
  requests: server.requests.length,
}));
`;

describe("the openai SDK is loaded on the first request", () => {
  it("importing @rephysco/openai does not load it; a failed load is a ConfigurationError, and the next request loads it again", async () => {
    const { stdout } = await run(process.execPath, ["--input-type=module", "-e", CHILD], {
      cwd: fileURLToPath(new URL("..", import.meta.url)),
    });
    const result = JSON.parse(stdout.trim().split("\n").at(-1) ?? "{}");
    expect(result.first).toMatchObject({
      name: "ConfigurationError",
      reason: "sdk_unavailable",
      retryable: false,
    });
    expect(result.first.message).toContain('"openai"');
    expect(result.second).toMatchObject({ content: "loaded now" });
    // The failed load sent nothing.
    expect(result.requests).toBe(1);
  });
});
