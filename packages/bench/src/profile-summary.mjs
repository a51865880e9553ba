// Self time by function (and by package) from a .cpuprofile written by `node --cpu-prof`.
import { readFileSync } from "node:fs";

const profile = JSON.parse(readFileSync(process.argv[2], "utf8"));
const top = Number(process.argv[3] ?? 30);
const dt = new Map();
for (let i = 0; i < profile.samples.length; i++) {
  const id = profile.samples[i];
  dt.set(id, (dt.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
}
const total = [...dt.values()].reduce((a, b) => a + b, 0);
const byFn = new Map();
const byPkg = new Map();
for (const node of profile.nodes) {
  const t = dt.get(node.id) ?? 0;
  if (!t) continue;
  const f = node.callFrame;
  const url = f.url.replace(/^file:\/\//, "");
  const pkg =
    /node_modules\/(?:\.pnpm\/[^/]+\/node_modules\/)?((?:@[^/]+\/)?[^/]+)/.exec(url)?.[1] ??
    (/packages\/([^/]+)\//.exec(url)?.[1]
      ? `@rephysco/${/packages\/([^/]+)\//.exec(url)[1]}`
      : url.startsWith("node:")
        ? "node (internal)"
        : f.url
          ? url
          : `(${f.functionName || "program"})`);
  const key = `${f.functionName || "(anonymous)"}  ${url.split("/").slice(-2).join("/")}:${f.lineNumber + 1}`;
  byFn.set(key, (byFn.get(key) ?? 0) + t);
  byPkg.set(pkg, (byPkg.get(pkg) ?? 0) + t);
}
const pct = (t) =>
  `${((100 * t) / total).toFixed(1).padStart(5)}% ${(t / 1000).toFixed(0).padStart(6)} ms`;
console.log("self time by package");
for (const [k, t] of [...byPkg].sort((a, b) => b[1] - a[1]).slice(0, 15)) console.log(pct(t), k);
console.log("\nself time by function");
for (const [k, t] of [...byFn].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(pct(t), k);
