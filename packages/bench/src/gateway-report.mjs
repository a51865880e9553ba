// Prints the gateway scenario's step-3 tables (side by side with Portkey, memory soak) from a
// saved run: `node src/gateway-report.mjs [results/latest.json]`.
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { renderGatewayStep3 } from "./lib/gateway-report.mjs";

const file = process.argv[2] ?? fileURLToPath(new URL("../results/latest.json", import.meta.url));
const results = JSON.parse(await readFile(file, "utf8"));
const g = results.scenarios?.gateway;
if (!g) {
  process.stderr.write(
    `${file} has no gateway scenario: run BENCH_ONLY=gateway node src/run.mjs\n`,
  );
  process.exit(1);
}
const m = results.machine;
process.stdout.write(
  `Run: ${m.quick ? "BENCH_QUICK=1" : "full run"}, ${m.date}, commit ${m.commit}, ${m.cpus} CPUs (${m.cpu}), Node ${m.node}, ${m.durationS ?? "?"} s.\n\n`,
);
process.stdout.write(renderGatewayStep3(g));
