import { InvalidRequestError, type Message } from "@rephysco/core";
import type { MockServer } from "@rephysco/testing";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { GeminiProvider } from "../src/index.js";
import {
  bodyOf,
  call,
  PNG_1X1,
  rejection,
  setup,
  startImageServer,
  streamOf,
  TEST_KEY,
  user,
} from "./helpers.js";

let server: MockServer;
let provider: GeminiProvider;

beforeAll(async () => {
  ({ server, provider } = await setup());
});
beforeEach(() => server.reset());
afterAll(() => server.close());

describe("request: transport", () => {
  it("posts to /v1beta/models/{model}:generateContent with the key in x-goog-api-key only", async () => {
    await provider.generate([user("Hi")], call("gemini-2.5-pro"));
    const req = server.requests[0]!;
    expect(req.method).toBe("POST");
    expect(req.path).toBe("/v1beta/models/gemini-2.5-pro:generateContent");
    expect(req.headers["x-goog-api-key"]).toBe(TEST_KEY);
    expect(req.query).toEqual({});
    expect(req.headers["content-type"]).toBe("application/json");
  });

  it("streams from :streamGenerateContent?alt=sse", async () => {
    for await (const _ of streamOf(provider, [user("Hi")], call())) {
      // drain
    }
    const req = server.requests[0]!;
    expect(req.path).toBe("/v1beta/models/gemini-2.5-flash:streamGenerateContent");
    expect(req.query).toEqual({ alt: "sse" });
    expect(req.headers["x-goog-api-key"]).toBe(TEST_KEY);
  });

  it("sends extra headers and honours apiVersion", async () => {
    const { server: s, provider: p } = await setup({
      headers: { "x-team": "blue" },
      apiVersion: "v1",
    });
    try {
      await p.generate([user("Hi")], call());
      expect(s.requests[0]!.path).toBe("/v1/models/gemini-2.5-flash:generateContent");
      expect(s.requests[0]!.headers["x-team"]).toBe("blue");
    } finally {
      await s.close();
    }
  });

  it("keeps a path prefix of the base URL and drops its trailing slash", async () => {
    const { server: s } = await setup();
    const prefixed = new GeminiProvider({ apiKey: TEST_KEY, baseURL: `${s.url}/proxy/google/` });
    try {
      await prefixed.generate([user("Hi")], call());
      expect(s.requests[0]!.path).toBe(
        "/proxy/google/v1beta/models/gemini-2.5-flash:generateContent",
      );
    } finally {
      await s.close();
    }
  });
});

describe("request: fetch setting", () => {
  it("sends API calls and image downloads through the fetch setting", async () => {
    const seen: string[] = [];
    const counting: typeof fetch = (input, init) => {
      seen.push(String(input instanceof Request ? input.url : input));
      return fetch(input, init);
    };
    const { server: s } = await setup();
    const images = await startImageServer((_req, res) => {
      res.writeHead(200, { "content-type": "image/png" });
      res.end(PNG_1X1);
    });
    try {
      const p = new GeminiProvider({
        apiKey: TEST_KEY,
        baseURL: s.url,
        fetch: counting,
        allowPrivateImageHosts: true,
      });
      await p.generate([user("Hi", { images: [`${images.url}/a.png`] })], call());
      for await (const _ of p.stream([user("Hi")], call())) {
        // drain
      }
      expect(seen).toEqual([
        `${images.url}/a.png`,
        `${s.url}/v1beta/models/gemini-2.5-flash:generateContent`,
        `${s.url}/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse`,
      ]);
    } finally {
      await images.close();
      await s.close();
    }
  });
});

describe("request: contents", () => {
  it("maps roles, merges consecutive turns and lifts system messages to systemInstruction", async () => {
    const messages: Message[] = [
      { role: "system", content: "You are terse." },
      user("first"),
      user("second"),
      { role: "assistant", content: "previous answer" },
      { role: "assistant", content: "more" },
      { role: "system", content: "Answer in French." },
      user("and now?"),
    ];
    await provider.generate(messages, call());
    const body = bodyOf(server);
    expect(body.contents).toEqual([
      { role: "user", parts: [{ text: "first" }, { text: "second" }] },
      { role: "model", parts: [{ text: "previous answer" }, { text: "more" }] },
      { role: "user", parts: [{ text: "and now?" }] },
    ]);
    expect(body.systemInstruction).toEqual({
      parts: [{ text: "You are terse." }, { text: "Answer in French." }],
    });
  });

  it("sends a system-only conversation as one user turn", async () => {
    await provider.generate([{ role: "system", content: "Say hello." }], call());
    const body = bodyOf(server);
    expect(body.contents).toEqual([{ role: "user", parts: [{ text: "Say hello." }] }]);
    expect(body.systemInstruction).toBeUndefined();
  });

  it("leaves out empty texts, and merges the turns around them", async () => {
    await provider.generate([user("a"), { role: "assistant", content: "" }, user("b")], call());
    expect(bodyOf(server).contents).toEqual([
      { role: "user", parts: [{ text: "a" }, { text: "b" }] },
    ]);
  });

  it("rejects unknown roles, orphan tool results and empty conversations before sending", async () => {
    const role = await rejection(
      provider.generate([{ role: "function" as Message["role"], content: "42" }], call()),
    );
    expect(role).toBeInstanceOf(InvalidRequestError);
    expect((role as InvalidRequestError).reason).toBe("unsupported_role");
    const tool = await rejection(
      provider.generate([{ role: "tool", toolCallId: "c1", content: "42" }], call()),
    );
    expect(tool).toBeInstanceOf(InvalidRequestError);
    expect((tool as InvalidRequestError).reason).toBe("invalid_input");
    const empty = await rejection(provider.generate([user("")], call()));
    expect(empty).toBeInstanceOf(InvalidRequestError);
    expect((empty as InvalidRequestError).reason).toBe("invalid_input");
    expect(server.requests).toHaveLength(0);
  });
});

describe("request: generationConfig", () => {
  it("puts sampling settings in generationConfig", async () => {
    await provider.generate(
      [user("Hi")],
      call("gemini-2.5-flash", { temperature: 0.7, maxTokens: 1024, topP: 0.95, stop: ["END"] }),
    );
    const body = bodyOf(server);
    expect(body.generationConfig).toEqual({
      temperature: 0.7,
      maxOutputTokens: 1024,
      topP: 0.95,
      stopSequences: ["END"],
    });
    expect(Object.keys(body).sort()).toEqual(["contents", "generationConfig"]);
  });

  it("passes providerOptions through: safetySettings top-level, thinkingConfig and topK in generationConfig", async () => {
    await provider.generate(
      [{ role: "system", content: "sys" }, user("Hi")],
      call("gemini-2.5-flash", {
        temperature: 0.2,
        providerOptions: {
          safetySettings: [{ category: "HARM_CATEGORY_HARASSMENT", threshold: "BLOCK_NONE" }],
          thinkingConfig: { thinkingBudget: 1024 },
          topK: 40,
          temperature: 1.5,
        },
      }),
    );
    const body = bodyOf(server);
    expect(body.safetySettings).toEqual([
      { category: "HARM_CATEGORY_HARASSMENT", threshold: "BLOCK_NONE" },
    ]);
    expect(body.systemInstruction).toEqual({ parts: [{ text: "sys" }] });
    // The named option wins over the same setting in providerOptions.
    expect(body.generationConfig).toEqual({
      temperature: 0.2,
      topK: 40,
      thinkingConfig: { thinkingBudget: 1024 },
    });
  });

  it("turns the includeThoughts shorthand into thinkingConfig.includeThoughts", async () => {
    await provider.generate(
      [user("Hi")],
      call("gemini-2.5-flash", {
        providerOptions: { includeThoughts: true, thinkingConfig: { thinkingBudget: 512 } },
      }),
    );
    expect(bodyOf(server).generationConfig).toEqual({
      thinkingConfig: { thinkingBudget: 512, includeThoughts: true },
    });
  });

  it("ignores providerOptions that would turn SDK retries or continuation on", async () => {
    server.enqueue({
      error: { status: 503, body: { error: { code: 503, message: "x", status: "UNAVAILABLE" } } },
    });
    const e = await rejection(
      provider.generate(
        [user("Hi")],
        call("gemini-2.5-flash", {
          providerOptions: {
            httpOptions: { retryOptions: { attempts: 3, initialDelay: 0 } },
            automaticContinuation: true,
          },
        }),
      ),
    );
    expect(e).toBeInstanceOf(Error);
    expect(server.requests).toHaveLength(1);
    expect(bodyOf(server).generationConfig).toEqual({});
  });

  it("never lets the SDK call tools and send follow-up requests by itself", async () => {
    // A callable tool: with automatic function calling on, the SDK would run it and ask again.
    let toolCalls = 0;
    const callable = {
      tool: async () => ({ functionDeclarations: [{ name: "lookup", description: "Looks up" }] }),
      callTool: async () => {
        toolCalls++;
        return [{ functionResponse: { name: "lookup", response: { ok: true } } }];
      },
    };
    server.enqueue({
      text: "",
      extra: {
        candidates: [
          {
            content: { role: "model", parts: [{ functionCall: { name: "lookup", args: {} } }] },
            finishReason: "STOP",
            index: 0,
          },
        ],
      },
    });
    await provider
      .generate([user("Hi")], call("gemini-2.5-flash", { providerOptions: { tools: [callable] } }))
      .catch(() => undefined);
    expect(toolCalls).toBe(0);
    expect(server.requests).toHaveLength(1);
  });
});
