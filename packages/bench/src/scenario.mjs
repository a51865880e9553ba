// Runs one scenario (argv[2]) and prints its result as JSON on stdout. run.mjs starts one process
// per scenario (with --expose-gc), so JIT state and heap do not carry over between scenarios.
import { log } from "./lib/log.mjs";

const name = process.argv[2];
const mod = await import(`./scenarios/${name}.mjs`);
const started = performance.now();
const result = await mod.run();
log(`${name}: done in ${((performance.now() - started) / 1000).toFixed(1)} s`);
process.stdout.write(`${JSON.stringify(result)}\n`);
