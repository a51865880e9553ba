// Scenario 5: bundle size of small apps, esbuild (bundle + minify, ESM, platform node) then
// gzip. Deterministic: one build per app, no rounds needed.

import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { build } from "esbuild";

const RESOLVE_DIR = fileURLToPath(new URL("../..", import.meta.url));

/** Each app calls what it imports, so tree shaking keeps what a real app keeps. */
const APPS = {
  raw: {
    label: "openai SDK alone",
    code: `import OpenAI from "openai"; const c = new OpenAI({ apiKey: "k" }); console.log(await c.chat.completions.create({ model: "m", messages: [] }));`,
  },
  core: {
    label: "@rephysco/core alone",
    code: `import { LLMClient } from "@rephysco/core"; console.log(await new LLMClient({ provider: "x" }).generate("hi"));`,
  },
  rephysco: {
    label: "core + @rephysco/openai (openai SDK counted)",
    code: `import { LLMClient } from "@rephysco/core"; import "@rephysco/openai"; console.log(await new LLMClient({ provider: "openai" }).generate("hi"));`,
  },
  rephyscoNoSdk: {
    label: "core + @rephysco/openai (openai SDK external)",
    code: `import { LLMClient } from "@rephysco/core"; import "@rephysco/openai"; console.log(await new LLMClient({ provider: "openai" }).generate("hi"));`,
    external: ["openai"],
  },
  rephyscoGemini: {
    label: "core + @rephysco/gemini (@google/genai counted)",
    code: `import { LLMClient } from "@rephysco/core"; import "@rephysco/gemini"; console.log(await new LLMClient({ provider: "gemini" }).generate("hi"));`,
  },
  rawGemini: {
    label: "@google/genai alone",
    code: `import { GoogleGenAI } from "@google/genai"; console.log(await new GoogleGenAI({ apiKey: "k" }).models.generateContent({ model: "m", contents: "hi" }));`,
  },
  aisdk: {
    label: "Vercel AI SDK (ai + @ai-sdk/openai)",
    code: `import { generateText, streamText } from "ai"; import { createOpenAI } from "@ai-sdk/openai"; const m = createOpenAI({ apiKey: "k" }).chat("m"); console.log(await generateText({ model: m, prompt: "hi" }), streamText({ model: m, prompt: "hi" }));`,
  },
};

/** Bytes by package (input bytes after minification, from esbuild's metafile). */
function byPackage(metafile) {
  const out = {};
  for (const output of Object.values(metafile.outputs)) {
    for (const [path, { bytesInOutput }] of Object.entries(output.inputs)) {
      // Workspace packages resolve through their symlink to ../<dir>/dist/...
      const workspace = /^(?:\.\.\/)+(?:packages\/)?([^/.][^/]*)\/dist\//.exec(path)?.[1];
      const pkg =
        /node_modules\/(?:\.pnpm\/[^/]+\/node_modules\/)?((?:@[^/]+\/)?[^/]+)/.exec(path)?.[1] ??
        (workspace ? `@rephysco/${workspace}` : "(app)");
      out[pkg] = (out[pkg] ?? 0) + bytesInOutput;
    }
  }
  return Object.fromEntries(Object.entries(out).sort((a, b) => b[1] - a[1]));
}

export async function measureApp(app) {
  const result = await build({
    stdin: { contents: app.code, resolveDir: RESOLVE_DIR, loader: "js", sourcefile: "app.mjs" },
    bundle: true,
    minify: true,
    format: "esm",
    platform: "node",
    target: "node20",
    write: false,
    metafile: true,
    logLevel: "silent",
    external: app.external ?? [],
  });
  const bytes = Buffer.concat(result.outputFiles.map((f) => Buffer.from(f.contents)));
  return {
    minified: bytes.length,
    gzip: gzipSync(bytes, { level: 9 }).length,
    packages: byPackage(result.metafile),
  };
}

export async function run() {
  const out = {};
  for (const [name, app] of Object.entries(APPS)) {
    out[name] = { label: app.label, ...(await measureApp(app)) };
  }
  for (const v of Object.values(out)) v.ratio = v.gzip / out.raw.gzip;
  return { apps: out };
}
