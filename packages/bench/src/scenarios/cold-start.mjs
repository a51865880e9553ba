// Scenario 4: cold start. Each sample is a fresh `node` process that imports the packages and
// exits; we record the whole process's wall time and, inside it, the time of the imports alone.
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { API_KEY, MODEL, size } from "../lib/config.mjs";
import { log } from "../lib/log.mjs";
import { startServer } from "../lib/server-process.mjs";
import { ratioSummary, rotate, summarize } from "../lib/stats.mjs";

const CWD = fileURLToPath(new URL("../..", import.meta.url));

/** What each contender imports, as the code of an ES module. */
const APPS = {
  baseline: [],
  raw: ["openai"],
  core: ["@rephysco/core"],
  rephysco: ["@rephysco/core", "@rephysco/openai"],
  rephyscoGemini: ["@rephysco/core", "@rephysco/gemini"],
  rawGemini: ["@google/genai"],
  aisdk: ["ai", "@ai-sdk/openai"],
};

function sample(imports) {
  const code = `const t = performance.now(); ${imports.map((m) => `await import(${JSON.stringify(m)});`).join(" ")} process.stdout.write(String(performance.now() - t));`;
  const t0 = performance.now();
  const r = spawnSync(process.execPath, ["--input-type=module", "-e", code], {
    cwd: CWD,
    encoding: "utf8",
  });
  const wall = performance.now() - t0;
  if (r.status !== 0) throw new Error(`cold start of ${imports.join(" + ")} failed: ${r.stderr}`);
  return { wall, imports: Number(r.stdout) };
}

/**
 * The first call in a fresh process, after the imports: what a lazily loaded SDK costs the first
 * request (it is loaded then), measured from the call to its answer against the local server.
 */
const FIRST_CALLS = {
  raw: (url) =>
    `const { default: OpenAI } = await import("openai"); const c = new OpenAI({ apiKey: "${API_KEY}", baseURL: "${url}/v1", maxRetries: 0 }); const t = performance.now(); await c.chat.completions.create({ model: "${MODEL}", messages: [{ role: "user", content: "hi" }] }); process.stdout.write(String(performance.now() - t));`,
  rephysco: (url) =>
    `const { LLMClient } = await import("@rephysco/core"); await import("@rephysco/openai"); const c = new LLMClient({ provider: "openai", apiKey: "${API_KEY}", baseURL: "${url}/v1", model: "${MODEL}", retry: false }); const t = performance.now(); await c.generate("hi"); process.stdout.write(String(performance.now() - t));`,
};

function firstCall(code) {
  const r = spawnSync(process.execPath, ["--input-type=module", "-e", code], {
    cwd: CWD,
    encoding: "utf8",
  });
  if (r.status !== 0) throw new Error(`first call failed: ${r.stderr}`);
  return Number(r.stdout);
}

export async function run() {
  const rounds = Number(process.env.BENCH_COLD_ROUNDS ?? size(15, 6));
  const names = Object.keys(APPS);
  const wall = Object.fromEntries(names.map((n) => [n, []]));
  const imports = Object.fromEntries(names.map((n) => [n, []]));
  for (const n of names) sample(APPS[n]);
  for (let r = 0; r < rounds; r++) {
    for (const n of rotate(names, r)) {
      const s = sample(APPS[n]);
      wall[n].push(s.wall);
      imports[n].push(s.imports);
    }
    log(`cold start: round ${r + 1}/${rounds}`);
  }
  const out = {};
  for (const n of names) {
    out[n] = {
      imports: APPS[n],
      processMs: summarize(wall[n]),
      importMs: summarize(imports[n]),
      // Import time relative to the raw openai SDK's (same round); above 1 is faster.
      ...(n !== "baseline" && { ratio: ratioSummary(imports[n], imports.raw, false) }),
    };
  }
  const server = await startServer();
  const first = { raw: [], rephysco: [] };
  try {
    for (const n of Object.keys(first)) firstCall(FIRST_CALLS[n](server.url));
    for (let r = 0; r < rounds; r++) {
      for (const n of rotate(Object.keys(first), r))
        first[n].push(firstCall(FIRST_CALLS[n](server.url)));
    }
  } finally {
    await server.close();
  }
  const firstCallMs = Object.fromEntries(Object.entries(first).map(([n, v]) => [n, summarize(v)]));
  return { rounds, contenders: out, firstCallMs };
}
