// Scenario 3: cache hit latency (memory and file stores) through LLMClient.generate(), against an
// uncached raw SDK request for the same conversation; and cacheKey() cost versus message size.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as core from "@rephysco/core";
import "@rephysco/openai";
import OpenAI from "openai";
import { API_KEY, MODEL, ROUNDS, size } from "../lib/config.mjs";
import { importCoreInternal } from "../lib/internal.mjs";
import { log } from "../lib/log.mjs";
import { micro } from "../lib/micro.mjs";
import { startServer } from "../lib/server-process.mjs";

const { LLMClient, memoryStore } = core;
// cacheKey() is internal since the public surface was narrowed; measured from core's source.
const { cacheKey } = core.cacheKey ? core : await importCoreInternal("cache/cache-key.ts");

/** A conversation of about `bytes` characters: a system prompt and alternating turns of 1 KB. */
function conversation(bytes) {
  const text = (n, seed) => `${seed} `.repeat(Math.ceil(n / (seed.length + 1))).slice(0, n);
  const messages = [{ role: "system", content: text(Math.min(200, bytes / 4), "You are terse.") }];
  let left = bytes - messages[0].content.length;
  for (let i = 0; left > 0; i++) {
    const n = Math.min(1024, left);
    messages.push({ role: i % 2 ? "assistant" : "user", content: text(n, `turn${i}`) });
    left -= n;
  }
  if (messages.at(-1).role !== "user") messages.push({ role: "user", content: "And now?" });
  return messages;
}

export async function run() {
  const server = await startServer();
  const dir = await mkdtemp(join(tmpdir(), "rephysco-bench-cache-"));
  try {
    const baseURL = `${server.url}/v1`;
    const messages = conversation(1024);
    const raw = new OpenAI({ apiKey: API_KEY, baseURL, maxRetries: 0 });
    const memory = new LLMClient({
      provider: "openai",
      apiKey: API_KEY,
      baseURL,
      retry: false,
      cache: memoryStore(),
    });
    const tasks = {
      "raw SDK request (no cache)": () => raw.chat.completions.create({ model: MODEL, messages }),
      "memory hit": () => memory.generate(messages, { model: MODEL }),
    };
    await memory.generate(messages, { model: MODEL });
    if (typeof core.fileStore === "function") {
      const file = new LLMClient({
        provider: "openai",
        apiKey: API_KEY,
        baseURL,
        retry: false,
        cache: core.fileStore({ dir }),
      });
      await file.generate(messages, { model: MODEL });
      tasks["file hit"] = () => file.generate(messages, { model: MODEL });
    }
    const hits = await micro(tasks, {
      rounds: ROUNDS,
      time: size(400, 150),
      log: (m) => log(`cache hits: ${m}`),
    });
    for (const [name, s] of Object.entries(hits)) {
      if (name.includes("hit") && !(s.median > 0)) throw new Error(`${name}: no timing`);
    }

    const keyTasks = {};
    const sizes = { "1 KB": 1024, "10 KB": 10 * 1024, "100 KB": 100 * 1024, "1 MB": 1024 * 1024 };
    for (const [label, bytes] of Object.entries(sizes)) {
      const msgs = conversation(bytes);
      const input = {
        provider: "openai",
        baseURL,
        keyFingerprint: "fp",
        model: MODEL,
        messages: msgs,
        temperature: 0,
      };
      keyTasks[label] = () => cacheKey(input);
    }
    const keys = await micro(keyTasks, {
      rounds: ROUNDS,
      time: size(300, 100),
      log: (m) => log(`cache keys: ${m}`),
    });
    return {
      conversationBytes: 1024,
      hitsUs: hits,
      cacheKeyUs: keys,
      fileStore: typeof core.fileStore === "function",
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
    await server.close();
  }
}
