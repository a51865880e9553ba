import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { build } from "esbuild";
import { describe, expect, it } from "vitest";

const here = dirname(fileURLToPath(import.meta.url));
const packageDir = resolve(here, "..");
const repoRoot = resolve(packageDir, "../..");

async function bundleXai(): Promise<{ code: string; inputs: string[] }> {
  const result = await build({
    stdin: {
      contents: 'import "@rephysco/xai";\nexport { listProviders } from "@rephysco/core";\n',
      resolveDir: packageDir,
      loader: "js",
    },
    bundle: true,
    write: false,
    format: "esm",
    platform: "node",
    external: ["openai"],
    metafile: true,
    absWorkingDir: repoRoot,
    logLevel: "silent",
  });
  const inputs = Object.keys(result.metafile.inputs).map((p) =>
    relative(repoRoot, resolve(repoRoot, p)),
  );
  return { code: result.outputFiles[0]!.text, inputs };
}

describe("a bundle that imports @rephysco/xai", () => {
  it("contains no code of the other providers", async () => {
    const { code, inputs } = await bundleXai();
    const fromPackages = inputs
      .filter((p) => p.startsWith("packages/"))
      .map((p) => p.replace(/\\/g, "/"));
    expect(fromPackages.some((p) => p.startsWith("packages/xai/"))).toBe(true);
    expect(fromPackages.some((p) => p.startsWith("packages/openai/dist/compatible.js"))).toBe(true);
    // The OpenAI provider lives in the registering entry; only the compatible base may come in.
    expect(fromPackages).not.toContain("packages/openai/dist/index.js");
    for (const other of ["aliyun", "siliconflow", "gemini", "anthropic"]) {
      expect(fromPackages.filter((p) => p.startsWith(`packages/${other}/`))).toEqual([]);
    }
    for (const text of [
      "api.openai.com",
      "OPENAI_API_KEY",
      "OpenAIProvider",
      "max_completion_tokens",
      "dashscope.aliyuncs.com",
      "DASHSCOPE_API_KEY",
      "api.siliconflow",
      "SILICONFLOW_API_KEY",
      "generativelanguage.googleapis.com",
    ]) {
      expect(code, text).not.toContain(text);
    }
    expect(code).toContain("https://api.x.ai/v1");
  });

  it('registers only "xai" when run', async () => {
    const { code } = await bundleXai();
    // Point the external "openai" import at the SDK this workspace installed, then load the bundle.
    const openaiDir = dirname(
      createRequire(resolve(repoRoot, "packages/openai/package.json")).resolve("openai"),
    );
    const runnable = code.replace(
      /from\s*"openai"/g,
      `from ${JSON.stringify(pathToFileURL(join(openaiDir, "index.mjs")).href)}`,
    );
    const dir = await mkdtemp(join(tmpdir(), "rephysco-xai-bundle-"));
    try {
      const file = join(dir, "bundle.mjs");
      await writeFile(file, runnable);
      const mod = (await import(/* @vite-ignore */ pathToFileURL(file).href)) as {
        listProviders: () => { id: string }[];
      };
      expect(mod.listProviders().map((p) => p.id)).toEqual(["xai"]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
