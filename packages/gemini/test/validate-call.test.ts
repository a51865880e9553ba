import {
  InvalidRequestError,
  type Message,
  type ProviderCallOptions,
  type ToolSpec,
} from "@rephysco/core";
import type { MockServer } from "@rephysco/testing";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { GeminiProvider } from "../src/index.js";
import { call, setup, user } from "./helpers.js";

let server: MockServer;
let provider: GeminiProvider;

beforeAll(async () => {
  ({ server, provider } = await setup());
});
beforeEach(() => server.reset());
afterAll(() => server.close());

const tool = (name: string): ToolSpec => ({ name, parameters: { type: "object" } });
const options = (extra: Partial<ProviderCallOptions>) => call("gemini-2.5-flash", extra);

function thrown(messages: Message[], extra: Partial<ProviderCallOptions>): InvalidRequestError {
  try {
    provider.validateCall(messages, options(extra));
  } catch (e) {
    expect(e).toBeInstanceOf(InvalidRequestError);
    return e as InvalidRequestError;
  }
  throw new Error("expected validateCall to throw");
}

describe("validateCall", () => {
  it("accepts names Gemini accepts: letters, digits, _ . : - up to 64, starting with a letter or _", () => {
    const names = ["get_weather", "_private", "ns.tool", "mcp:search", "a-b", `a${"b".repeat(63)}`];
    expect(() =>
      provider.validateCall([user("Hi")], options({ tools: names.map(tool), toolChoice: "auto" })),
    ).not.toThrow();
  });

  it.each([
    ["1tool", "starts with a digit"],
    ["-tool", "starts with a dash"],
    ["get weather", "has a space"],
    ["tool/x", "has a slash"],
    [`a${"b".repeat(64)}`, "has 65 characters"],
    ["", "is empty"],
  ])("refuses %j (%s), naming the rule and the provider", (name) => {
    const e = thrown([user("Hi")], { tools: [tool("ok"), tool(name)] });
    expect(e.reason).toBe("invalid_tool");
    expect(e.provider).toBe("gemini");
    expect(e.message).toContain(JSON.stringify(name));
    expect(e.message).toContain("gemini");
    expect(e.message).toContain("starting with a letter or an underscore");
    expect(e.message).toContain("64");
  });

  it("refuses forcing a tool the call does not declare", () => {
    const e = thrown([user("Hi")], { tools: [tool("a")], toolChoice: { name: "b" } });
    expect(e.reason).toBe("invalid_tool");
    expect(e.message).toContain('"b"');
  });

  it("refuses forced calls (ANY mode) together with a JSON answer, as Gemini does", () => {
    for (const toolChoice of ["required", { name: "a" }] as const) {
      const e = thrown([user("Hi")], {
        tools: [tool("a")],
        toolChoice,
        responseFormat: { type: "json" },
      });
      expect(e.reason).toBe("unsupported_feature");
      expect(e.message).toContain("responseFormat");
    }
    // Gemini 3 takes tools with a JSON answer in AUTO mode.
    expect(() =>
      provider.validateCall(
        [user("Hi")],
        options({
          model: "gemini-3-pro-preview",
          tools: [tool("a")],
          toolChoice: "auto",
          responseFormat: { type: "json" },
        }),
      ),
    ).not.toThrow();
  });

  it("refuses tools with a JSON answer before Gemini 3, in any tool mode", () => {
    for (const model of ["gemini-2.5-flash", "models/gemini-2.0-flash"]) {
      expect(() =>
        provider.validateCall(
          [user("Hi")],
          options({
            model,
            tools: [tool("a")],
            toolChoice: "auto",
            responseFormat: { type: "json" },
          }),
        ),
      ).toThrow(/does not support tools together with responseFormat/);
    }
  });

  it("refuses a tool result that answers no earlier call, naming it", () => {
    const calls = [{ id: "c1", name: "a", arguments: {}, rawArguments: "{}" }];
    const unknown = thrown(
      [
        user("Hi"),
        { role: "assistant", content: "", toolCalls: calls },
        { role: "tool", toolCallId: "c2", content: "x" },
      ],
      {},
    );
    expect(unknown.reason).toBe("invalid_input");
    expect(unknown.message).toContain('"c2"');
    expect(unknown.message).toContain("Message 2");
    // A result before the call that it answers is no better.
    const early = thrown(
      [
        user("Hi"),
        { role: "tool", toolCallId: "c1", content: "x" },
        { role: "assistant", content: "", toolCalls: calls },
      ],
      {},
    );
    expect(early.message).toContain('"c1"');
    const missing = thrown([user("Hi"), { role: "tool", content: "x" }], {});
    expect(missing.message).toContain("no toolCallId");
    expect(() =>
      provider.validateCall(
        [
          user("Hi"),
          { role: "assistant", content: "", toolCalls: calls },
          { role: "tool", toolCallId: "c1", content: "x" },
        ],
        options({}),
      ),
    ).not.toThrow();
  });
});
