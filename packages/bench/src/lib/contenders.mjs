// The libraries compared, each set up the way its documentation recommends, retries off, and
// each doing the same work per call: send one user message, read the whole answer (or every
// streamed text delta). A contender's `generate()` resolves with the answer text; `stream()`
// resolves with the number of text deltas seen, which the scenarios check; `iterate()` yields
// the text deltas (the memory scenario stops it after the first one).
import { createOpenAI } from "@ai-sdk/openai";
import { GoogleGenAI } from "@google/genai";
import { LLMClient } from "@rephysco/core";
import "@rephysco/openai";
import { generateText, streamText } from "ai";
import { createParser } from "eventsource-parser";
import OpenAI from "openai";
import { API_KEY, GEMINI_MODEL, MODEL } from "./config.mjs";

// The AI SDK prints a warning per call for settings a model ignores; none apply here, but keep
// the console quiet whatever the version does.
globalThis.AI_SDK_LOG_WARNINGS = false;

/** Keeps the contenders named in BENCH_CONTENDERS (comma-separated; `raw` is always kept). */
export function only(contenders) {
  const wanted = process.env.BENCH_CONTENDERS?.split(",").map((s) => s.trim());
  if (!wanted) return contenders;
  return Object.fromEntries(
    Object.entries(contenders).filter(([k]) => k === "raw" || wanted.includes(k)),
  );
}

let geminiLoaded;
/** `true` once `@rephysco/gemini` is importable (it is built by another helper). */
export async function hasRephyscoGemini() {
  geminiLoaded ??= import("@rephysco/gemini").then(
    () => true,
    () => false,
  );
  return geminiLoaded;
}

/** OpenAI-dialect contenders against `baseURL` (which ends in `/v1` or any prefix). */
export function openaiContenders(baseURL, { messages } = {}) {
  const input = messages ?? [{ role: "user", content: "Hi" }];
  const raw = new OpenAI({ apiKey: API_KEY, baseURL, maxRetries: 0 });
  const rephysco = new LLMClient({ provider: "openai", apiKey: API_KEY, baseURL, retry: false });
  const aiModel = createOpenAI({ baseURL, apiKey: API_KEY }).chat(MODEL);
  const url = `${baseURL}/chat/completions`;
  const headers = { "content-type": "application/json", authorization: `Bearer ${API_KEY}` };

  return only({
    raw: {
      label: "openai SDK (raw)",
      async generate() {
        const r = await raw.chat.completions.create({ model: MODEL, messages: input });
        return r.choices[0].message.content;
      },
      async stream() {
        const s = await raw.chat.completions.create({
          model: MODEL,
          messages: input,
          stream: true,
          // Rephysco and the AI SDK always ask for usage; the raw call does the same work.
          stream_options: { include_usage: true },
        });
        let n = 0;
        for await (const c of s) if (c.choices[0]?.delta?.content) n++;
        return n;
      },
      async *iterate() {
        const s = await raw.chat.completions.create({
          model: MODEL,
          messages: input,
          stream: true,
          stream_options: { include_usage: true },
        });
        for await (const c of s) if (c.choices[0]?.delta?.content) yield c.choices[0].delta.content;
      },
    },
    rephysco: {
      label: "Rephysco",
      async generate() {
        return (await rephysco.generate(input, { model: MODEL })).content;
      },
      async stream() {
        let n = 0;
        for await (const c of rephysco.stream(input, { model: MODEL })) if (c.content) n++;
        return n;
      },
      async *iterate() {
        for await (const c of rephysco.stream(input, { model: MODEL }))
          if (c.content) yield c.content;
      },
    },
    aisdk: {
      label: "Vercel AI SDK",
      async generate() {
        return (await generateText({ model: aiModel, messages: input, maxRetries: 0 })).text;
      },
      async stream() {
        const r = streamText({
          model: aiModel,
          messages: input,
          maxRetries: 0,
          onError: ({ error }) => {
            throw error;
          },
        });
        let n = 0;
        for await (const t of r.textStream) if (t) n++;
        return n;
      },
      async *iterate() {
        const r = streamText({ model: aiModel, messages: input, maxRetries: 0 });
        for await (const t of r.textStream) if (t) yield t;
      },
    },
    fetch: {
      label: "fetch (floor)",
      async generate() {
        const res = await fetch(url, {
          method: "POST",
          headers,
          body: JSON.stringify({ model: MODEL, messages: input }),
        });
        if (!res.ok) throw new Error(`HTTP ${res.status}`);
        const body = await res.json();
        return body.choices[0].message.content;
      },
      async *iterate() {
        const res = await fetch(url, {
          method: "POST",
          headers,
          body: JSON.stringify({
            model: MODEL,
            messages: input,
            stream: true,
            stream_options: { include_usage: true },
          }),
        });
        if (!res.ok) throw new Error(`HTTP ${res.status}`);
        const texts = [];
        const parser = createParser({
          onEvent(e) {
            if (e.data === "[DONE]") return;
            const t = JSON.parse(e.data).choices[0]?.delta?.content;
            if (t) texts.push(t);
          },
        });
        const decoder = new TextDecoder();
        for await (const bytes of res.body) {
          parser.feed(decoder.decode(bytes, { stream: true }));
          yield* texts.splice(0);
        }
      },
      async stream() {
        const res = await fetch(url, {
          method: "POST",
          headers,
          body: JSON.stringify({
            model: MODEL,
            messages: input,
            stream: true,
            stream_options: { include_usage: true },
          }),
        });
        if (!res.ok) throw new Error(`HTTP ${res.status}`);
        let n = 0;
        const parser = createParser({
          onEvent(e) {
            if (e.data === "[DONE]") return;
            if (JSON.parse(e.data).choices[0]?.delta?.content) n++;
          },
        });
        const decoder = new TextDecoder();
        for await (const bytes of res.body) parser.feed(decoder.decode(bytes, { stream: true }));
        return n;
      },
    },
  });
}

/** Gemini contenders against the server root `url` (the SDK adds `/v1beta/models/...`). */
export async function geminiContenders(url) {
  const input = [{ role: "user", content: "Hi" }];
  const raw = new GoogleGenAI({
    vertexai: false,
    apiKey: API_KEY,
    apiVersion: "v1beta",
    httpOptions: { baseUrl: url, apiVersion: "v1beta" },
  });
  const contents = [{ role: "user", parts: [{ text: "Hi" }] }];
  const out = {
    raw: {
      label: "@google/genai (raw)",
      async generate() {
        return (await raw.models.generateContent({ model: GEMINI_MODEL, contents })).text;
      },
      async stream() {
        let n = 0;
        for await (const c of await raw.models.generateContentStream({
          model: GEMINI_MODEL,
          contents,
        }))
          if (c.text) n++;
        return n;
      },
    },
  };
  if (await hasRephyscoGemini()) {
    const rephysco = new LLMClient({
      provider: "gemini",
      apiKey: API_KEY,
      baseURL: url,
      retry: false,
    });
    out.rephysco = {
      label: "Rephysco",
      async generate() {
        return (await rephysco.generate(input, { model: GEMINI_MODEL })).content;
      },
      async stream() {
        let n = 0;
        for await (const c of rephysco.stream(input, { model: GEMINI_MODEL })) if (c.content) n++;
        return n;
      },
    };
  }
  return only(out);
}
