// The contenders of the `tools` scenario: a streamed tool call and a streamed JSON object (the
// 20 KB object of payload.mjs in 2,000 deltas), each library used as its documentation shows,
// retries off, against the same local server. Every `stream()` reads the stream to its end and
// resolves with `{ deltas, value }`: `deltas` is what the library yielded on the way (argument
// deltas for a tool call, partial objects for streamObject) and `value` the parsed tool-call
// arguments or the final object, which the scenario checks.
import { createOpenAI } from "@ai-sdk/openai";
import { LLMClient } from "@rephysco/core";
import "@rephysco/openai";
import { jsonSchema, Output, streamObject, streamText, tool } from "ai";
import { createParser } from "eventsource-parser";
import OpenAI from "openai";
import { API_KEY, MODEL } from "./config.mjs";
import { only } from "./contenders.mjs";
import { PAYLOAD_SCHEMA, TOOL_NAME } from "./payload.mjs";

globalThis.AI_SDK_LOG_WARNINGS = false;

const DESCRIPTION = "Records the inventory of a warehouse.";
const INPUT = [{ role: "user", content: "Record the inventory of Bench Central." }];
const OPENAI_TOOLS = [
  {
    type: "function",
    function: { name: TOOL_NAME, description: DESCRIPTION, parameters: PAYLOAD_SCHEMA },
  },
];
const RESPONSE_FORMAT = {
  type: "json_schema",
  json_schema: { name: "response", schema: PAYLOAD_SCHEMA, strict: true },
};

function clients(baseURL) {
  return {
    raw: new OpenAI({ apiKey: API_KEY, baseURL, maxRetries: 0 }),
    rephysco: new LLMClient({ provider: "openai", apiKey: API_KEY, baseURL, retry: false }),
    aiModel: createOpenAI({ baseURL, apiKey: API_KEY }).chat(MODEL),
    url: `${baseURL}/chat/completions`,
    headers: { "content-type": "application/json", authorization: `Bearer ${API_KEY}` },
  };
}

/** The floor: fetch + eventsource-parser, `onData(chunk)` per parsed chunk. */
async function fetchStream(c, body, onData) {
  const res = await fetch(c.url, {
    method: "POST",
    headers: c.headers,
    body: JSON.stringify({
      model: MODEL,
      messages: INPUT,
      stream: true,
      stream_options: { include_usage: true },
      ...body,
    }),
  });
  if (!res.ok) throw new Error(`HTTP ${res.status}`);
  const parser = createParser({
    onEvent(e) {
      if (e.data !== "[DONE]") onData(JSON.parse(e.data));
    },
  });
  const decoder = new TextDecoder();
  for await (const bytes of res.body) parser.feed(decoder.decode(bytes, { stream: true }));
}

/** Tool-call stream contenders: `value` is the parsed arguments of the one call. */
export function toolCallContenders(baseURL) {
  const c = clients(baseURL);
  const rephyscoTools = { [TOOL_NAME]: { description: DESCRIPTION, parameters: PAYLOAD_SCHEMA } };
  const aiTools = {
    [TOOL_NAME]: tool({ description: DESCRIPTION, inputSchema: jsonSchema(PAYLOAD_SCHEMA) }),
  };
  return only({
    raw: {
      label: "openai SDK (raw): accumulate `delta.tool_calls`, `JSON.parse` at the end",
      async stream() {
        const s = await c.raw.chat.completions.create({
          model: MODEL,
          messages: INPUT,
          tools: OPENAI_TOOLS,
          stream: true,
          stream_options: { include_usage: true },
        });
        const calls = [];
        let deltas = 0;
        for await (const chunk of s) {
          const tcs = chunk.choices[0]?.delta?.tool_calls;
          if (!tcs) continue;
          for (const d of tcs) {
            let call = calls[d.index];
            if (!call) {
              call = { id: "", name: "", args: [] };
              calls[d.index] = call;
            }
            if (d.id) call.id = d.id;
            if (d.function?.name) call.name = d.function.name;
            if (d.function?.arguments) {
              call.args.push(d.function.arguments);
              deltas++;
            }
          }
        }
        return { deltas, value: JSON.parse(calls[0].args.join("")) };
      },
    },
    rephysco: {
      label: "Rephysco `client.stream` with `tools`",
      async stream() {
        let deltas = 0;
        let calls;
        for await (const chunk of c.rephysco.stream(INPUT, {
          model: MODEL,
          tools: rephyscoTools,
        })) {
          if (chunk.toolCallDelta?.argumentsDelta) deltas++;
          if (chunk.toolCalls) calls = chunk.toolCalls;
        }
        return { deltas, value: calls[0].arguments };
      },
    },
    aisdk: {
      label: "Vercel AI SDK `streamText` with a `tool` (`fullStream`, then `toolCalls`)",
      async stream() {
        const r = streamText({
          model: c.aiModel,
          messages: INPUT,
          tools: aiTools,
          maxRetries: 0,
          onError: ({ error }) => {
            throw error;
          },
        });
        let deltas = 0;
        for await (const part of r.fullStream) {
          if (part.type === "tool-input-delta" && part.delta) deltas++;
          else if (part.type === "error") throw part.error;
        }
        const calls = await r.toolCalls;
        return { deltas, value: calls[0].input };
      },
    },
    fetch: {
      label: "fetch + eventsource-parser (floor)",
      async stream() {
        const args = [];
        await fetchStream(c, { tools: OPENAI_TOOLS }, (chunk) => {
          const t = chunk.choices[0]?.delta?.tool_calls?.[0]?.function?.arguments;
          if (t) args.push(t);
        });
        return { deltas: args.length, value: JSON.parse(args.join("")) };
      },
    },
  });
}

/** streamObject contenders: `deltas` counts partial objects seen, `value` is the final object. */
export function objectContenders(baseURL) {
  const c = clients(baseURL);
  const aiSchema = jsonSchema(PAYLOAD_SCHEMA);
  return only({
    raw: {
      label:
        "openai SDK (raw): `response_format` json_schema, text joined, `JSON.parse` at the end (no partial objects)",
      async stream() {
        const s = await c.raw.chat.completions.create({
          model: MODEL,
          messages: INPUT,
          response_format: RESPONSE_FORMAT,
          stream: true,
          stream_options: { include_usage: true },
        });
        const texts = [];
        for await (const chunk of s) {
          const t = chunk.choices[0]?.delta?.content;
          if (t) texts.push(t);
        }
        return { textDeltas: texts.length, value: JSON.parse(texts.join("")) };
      },
    },
    rephysco: {
      label: "Rephysco `client.streamObject` (every partial)",
      async stream() {
        let deltas = 0;
        let value;
        for await (const item of c.rephysco.streamObject(INPUT, {
          model: MODEL,
          schema: PAYLOAD_SCHEMA,
        })) {
          if (item.done) value = item.object;
          else deltas++;
        }
        return { deltas, value };
      },
    },
    aisdk: {
      label: "Vercel AI SDK `streamText` + `Output.object` (`partialOutputStream`, then `output`)",
      async stream() {
        const r = streamText({
          model: c.aiModel,
          messages: INPUT,
          output: Output.object({ schema: aiSchema }),
          maxRetries: 0,
          onError: ({ error }) => {
            throw error;
          },
        });
        let deltas = 0;
        for await (const _ of r.partialOutputStream) deltas++;
        return { deltas, value: await r.output };
      },
    },
    aisdkObject: {
      label:
        "Vercel AI SDK `streamObject` (deprecated in ai 6; `partialObjectStream`, then `object`)",
      async stream() {
        let failure;
        const r = streamObject({
          model: c.aiModel,
          messages: INPUT,
          schema: aiSchema,
          maxRetries: 0,
          onError: ({ error }) => {
            failure = error;
          },
        });
        let deltas = 0;
        for await (const _ of r.partialObjectStream) deltas++;
        if (failure) throw failure;
        return { deltas, value: await r.object };
      },
    },
    fetch: {
      label: "fetch + eventsource-parser, `JSON.parse` at the end (floor, no partial objects)",
      async stream() {
        const texts = [];
        await fetchStream(c, { response_format: RESPONSE_FORMAT }, (chunk) => {
          const t = chunk.choices[0]?.delta?.content;
          if (t) texts.push(t);
        });
        return { textDeltas: texts.length, value: JSON.parse(texts.join("")) };
      },
    },
  });
}
