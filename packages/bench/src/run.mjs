// `pnpm bench`: runs every scenario in its own process, one after the other, then writes
// results/latest.json and results/latest.md (the tables BENCHMARKS.md quotes) and prints the
// Markdown. BENCH_QUICK=1: about a minute. BENCH_ONLY=overhead,streaming: a subset (scenarios:
// overhead, streaming, cache, cold-start, bundle-size, memory, tools, limits, gateway, and
// gateway-memory, the 10-minute memory soak per gateway, which runs only when BENCH_ONLY names it;
// the default run has the gateway scenario's short soak, marked "indication only").
import { execFileSync, spawn } from "node:child_process";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { availableParallelism, totalmem } from "node:os";
import { fileURLToPath } from "node:url";
import { QUICK, ROUNDS } from "./lib/config.mjs";
import { log } from "./lib/log.mjs";
import { renderReport } from "./report.mjs";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const SCENARIOS = [
  "overhead",
  "streaming",
  "cache",
  "cold-start",
  "bundle-size",
  "memory",
  "tools",
  "limits",
  "gateway",
  "gateway-memory",
];
/** Run only when BENCH_ONLY names them: the 10-minute soak per product (about 21 minutes). */
const OPT_IN = new Set(["gateway-memory"]);

function runScenario(name) {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ["--expose-gc", fileURLToPath(new URL("./scenario.mjs", import.meta.url)), name],
      {
        stdio: ["ignore", "pipe", "inherit"],
      },
    );
    let out = "";
    child.stdout.on("data", (d) => {
      out += d;
    });
    child.on("exit", (code) => {
      if (code !== 0) reject(new Error(`scenario ${name} failed (exit ${code})`));
      else resolve(JSON.parse(out.trim().split("\n").at(-1)));
    });
  });
}

async function version(pkg) {
  // A dependency of core or the gateway (not of the bench) is found in their node_modules.
  const dirs = [
    `${ROOT}node_modules`,
    `${ROOT}../core/node_modules`,
    `${ROOT}../gateway/node_modules`,
  ];
  for (const dir of dirs) {
    try {
      return JSON.parse(await readFile(`${dir}/${pkg}/package.json`, "utf8")).version;
    } catch {}
  }
  return "missing";
}

async function machine() {
  let cpu = "unknown";
  try {
    cpu = /model name\s*:\s*(.*)/.exec(await readFile("/proc/cpuinfo", "utf8"))?.[1] ?? cpu;
  } catch {}
  let commit = "unknown";
  try {
    commit = execFileSync("git", ["rev-parse", "--short", "HEAD"], {
      cwd: ROOT,
      encoding: "utf8",
    }).trim();
  } catch {}
  const pkgs = [
    "@rephysco/core",
    "@rephysco/openai",
    "@rephysco/gemini",
    "@rephysco/gateway",
    "fastify",
    "openai",
    "ai",
    "@ai-sdk/openai",
    "@google/genai",
    "eventsource-parser",
    "@streamparser/json",
    "redis",
    "tinybench",
    "esbuild",
  ];
  return {
    date: new Date().toISOString(),
    commit,
    cpus: availableParallelism(),
    cpu,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    quick: QUICK,
    rounds: ROUNDS,
    versions: Object.fromEntries(await Promise.all(pkgs.map(async (p) => [p, await version(p)]))),
  };
}

const only = process.env.BENCH_ONLY?.split(",").map((s) => s.trim());
const unknown = only?.filter((name) => !SCENARIOS.includes(name)) ?? [];
if (unknown.length) {
  log(`BENCH_ONLY: no scenario ${unknown.join(", ")} (scenarios: ${SCENARIOS.join(", ")})`);
  process.exit(1);
}
const started = performance.now();
const results = { machine: await machine(), scenarios: {} };
for (const name of SCENARIOS) {
  if (only ? !only.includes(name) : OPT_IN.has(name)) continue;
  log(`== ${name}`);
  results.scenarios[name] = await runScenario(name);
}
results.machine.durationS = Math.round((performance.now() - started) / 1000);
const markdown = renderReport(results);
await mkdir(`${ROOT}results`, { recursive: true });
await writeFile(`${ROOT}results/latest.json`, `${JSON.stringify(results, null, 2)}\n`);
await writeFile(`${ROOT}results/latest.md`, markdown);
process.stdout.write(markdown);
log(`\nwritten: packages/bench/results/latest.{json,md} (${results.machine.durationS} s)`);
