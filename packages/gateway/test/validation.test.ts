import { describe, expect, it } from "vitest";
import { useGateway, type Wire } from "./helpers.js";

const s = useGateway();

/** Posts a raw body (so fields the SDK types forbid can be sent). */
async function post(body: unknown) {
  const res = await fetch(`${s.url}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as { error?: Record<string, unknown> } };
}

const user = { role: "user", content: "hi" };
const tool = { type: "function", function: { name: "f" } };

describe("nested fields are honoured or refused, never dropped", () => {
  it.each([
    ["messages[0].foo", { messages: [{ ...user, foo: 1 }] }, "unknown_parameter"],
    [
      "messages[1].cache_control",
      { messages: [user, { role: "system", content: "s", cache_control: { type: "ephemeral" } }] },
      "unknown_parameter",
    ],
    [
      "messages[0].content[0].cache_control",
      {
        messages: [
          {
            role: "user",
            content: [{ type: "text", text: "a", cache_control: { type: "ephemeral" } }],
          },
        ],
      },
      "unsupported_parameter",
    ],
    [
      "messages[0].content[0].foo",
      {
        messages: [
          {
            role: "user",
            content: [{ type: "image_url", image_url: { url: "https://x/a.png" }, foo: 1 }],
          },
        ],
      },
      "unknown_parameter",
    ],
    [
      "messages[1].reasoning_content",
      { messages: [user, { role: "assistant", content: "a", reasoning_content: "thought" }, user] },
      "unsupported_parameter",
    ],
    [
      "messages[1].audio",
      { messages: [user, { role: "assistant", content: "a", audio: { id: "x" } }, user] },
      "unsupported_parameter",
    ],
    [
      "messages[1].tool_calls[0].extra",
      {
        messages: [
          user,
          {
            role: "assistant",
            content: null,
            tool_calls: [
              { id: "c", type: "function", function: { name: "f", arguments: "{}" }, extra: 1 },
            ],
          },
          { role: "tool", tool_call_id: "c", content: "r" },
        ],
        tools: [tool],
      },
      "unknown_parameter",
    ],
    [
      "messages[1].tool_calls[0].function.extra",
      {
        messages: [
          user,
          {
            role: "assistant",
            content: null,
            tool_calls: [
              { id: "c", type: "function", function: { name: "f", arguments: "{}", extra: 1 } },
            ],
          },
          { role: "tool", tool_call_id: "c", content: "r" },
        ],
        tools: [tool],
      },
      "unknown_parameter",
    ],
    [
      "messages[2].extra",
      {
        messages: [
          user,
          {
            role: "assistant",
            content: null,
            tool_calls: [{ id: "c", type: "function", function: { name: "f", arguments: "{}" } }],
          },
          { role: "tool", tool_call_id: "c", content: "r", extra: 2 },
        ],
        tools: [tool],
      },
      "unknown_parameter",
    ],
    [
      "tools[0].cache_control",
      { messages: [user], tools: [{ ...tool, cache_control: {} }] },
      "unsupported_parameter",
    ],
    ["tools[0].foo", { messages: [user], tools: [{ ...tool, foo: 1 }] }, "unknown_parameter"],
    [
      "response_format.json_schema",
      { messages: [user], response_format: { type: "json_object", json_schema: { name: "x" } } },
      "unknown_parameter",
    ],
    [
      "response_format.foo",
      { messages: [user], response_format: { type: "text", foo: 1 } },
      "unknown_parameter",
    ],
    [
      "response_format.foo",
      {
        messages: [user],
        response_format: { type: "json_schema", json_schema: { name: "x" }, foo: 1 },
      },
      "unknown_parameter",
    ],
    [
      "tool_choice.foo",
      {
        messages: [user],
        tools: [tool],
        tool_choice: { type: "function", function: { name: "f" }, foo: 1 },
      },
      "unknown_parameter",
    ],
    [
      "tool_choice.function.strict",
      {
        messages: [user],
        tools: [tool],
        tool_choice: { type: "function", function: { name: "f", strict: true } },
      },
      "unknown_parameter",
    ],
    [
      "messages[1].refusal",
      { messages: [user, { role: "assistant", content: "a", refusal: 42 }, user] },
      "invalid_type",
    ],
    ["messages[0].content", { messages: [{ role: "user", content: [] }] }, "empty_array"],
  ])("refuses %s", async (param, body, code) => {
    const r = await post({ model: "m", ...body });
    expect(r.status).toBe(400);
    expect(r.body.error).toMatchObject({ type: "invalid_request_error", param, code });
    expect(s.upstream.requests).toHaveLength(0);
  });

  it("passes name on messages, and accepts neutral values of unsupported assistant fields", async () => {
    const r = await post({
      model: "m",
      messages: [
        { role: "system", content: "s", name: "sys" },
        { role: "user", content: "hi", name: "bob" },
        { role: "assistant", content: "a", refusal: null, audio: null, annotations: [] },
        { role: "user", content: "again" },
      ],
    });
    expect(r.status).toBe(200);
    const w = s.upstream.requests[0]!.body as Wire;
    expect(w.messages[0]).toMatchObject({ role: "system", name: "sys" });
    expect(w.messages[1]).toMatchObject({ role: "user", content: "hi", name: "bob" });
  });
});

describe("user content part order", () => {
  it("refuses a text part after an image part", async () => {
    const r = await post({
      model: "m",
      messages: [
        {
          role: "user",
          content: [
            { type: "text", text: "A:" },
            { type: "image_url", image_url: { url: "https://x/a.png" } },
            { type: "text", text: "B:" },
          ],
        },
      ],
    });
    expect(r.status).toBe(400);
    expect(r.body.error).toMatchObject({ param: "messages[0].content[2]" });
    expect(s.upstream.requests).toHaveLength(0);
  });

  it("keeps text parts then images, in order", async () => {
    const r = await post({
      model: "m",
      messages: [
        {
          role: "user",
          content: [
            { type: "text", text: "A" },
            { type: "text", text: "B" },
            { type: "image_url", image_url: { url: "https://x/a.png" } },
            { type: "image_url", image_url: { url: "https://x/b.png" } },
          ],
        },
      ],
    });
    expect(r.status).toBe(200);
    const parts = (s.upstream.requests[0]!.body as Wire).messages[0]!.content as {
      type: string;
      text?: string;
      image_url?: { url: string };
    }[];
    expect(parts.map((p) => p.text ?? p.image_url?.url)).toEqual([
      "A\nB",
      "https://x/a.png",
      "https://x/b.png",
    ]);
  });
});

describe("response_format.json_schema.strict", () => {
  const format = (strict?: boolean) => ({
    type: "json_schema",
    json_schema: {
      name: "r",
      ...(strict !== undefined && { strict }),
      schema: {
        type: "object",
        properties: { ok: { type: "boolean" } },
        required: ["ok"],
        additionalProperties: false,
      },
    },
  });

  it("refuses strict: false, naming it", async () => {
    const r = await post({ model: "m", messages: [user], response_format: format(false) });
    expect(r.status).toBe(400);
    expect(r.body.error).toMatchObject({
      param: "response_format.json_schema.strict",
      code: "unsupported_parameter",
    });
  });

  it("accepts strict absent or true", async () => {
    s.upstream.enqueue({ text: '{"ok":true}' });
    s.upstream.enqueue({ text: '{"ok":true}' });
    expect((await post({ model: "m", messages: [user], response_format: format() })).status).toBe(
      200,
    );
    expect(
      (await post({ model: "m", messages: [user], response_format: format(true) })).status,
    ).toBe(200);
    expect(s.upstream.requests).toHaveLength(2);
  });
});
