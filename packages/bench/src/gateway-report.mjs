// Prints the gateway scenarios' step-3 tables (side by side with Portkey, memory soak) from a
// saved run: `node src/gateway-report.mjs [results/latest.json]`. The memory soak is the
// gateway-memory scenario's when the run has it, else the gateway scenario's short one.
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { renderGatewayMemory, renderGatewayStep3 } from "./lib/gateway-report.mjs";

const file = process.argv[2] ?? fileURLToPath(new URL("../results/latest.json", import.meta.url));
const results = JSON.parse(await readFile(file, "utf8"));
const g = results.scenarios?.gateway;
const soakRun = results.scenarios?.["gateway-memory"];
if (!g && !soakRun) {
  process.stderr.write(
    `${file} has no gateway or gateway-memory scenario: run BENCH_ONLY=gateway[,gateway-memory] node src/run.mjs\n`,
  );
  process.exit(1);
}
const m = results.machine;
process.stdout.write(
  `Run: ${m.quick ? "BENCH_QUICK=1" : "full run"}, ${m.date}, commit ${m.commit}, ${m.cpus} CPUs (${m.cpu}), Node ${m.node}, ${m.durationS ?? "?"} s.\n\n`,
);
process.stdout.write(
  g ? renderGatewayStep3(g, soakRun?.memory ?? g.memory) : renderGatewayMemory(soakRun),
);
