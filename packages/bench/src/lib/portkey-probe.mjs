// Preloaded into Portkey's gateway process (`node --expose-gc --import <this file>`) so the harness
// can read it the way it reads its own children (src/gateway-child.mjs): {type: "cpu"},
// {type: "mem"} and {type: "gc"} are answered by src/lib/probe-answers.mjs. It does nothing between
// questions (the benchmark asks only between measured slices and every 5 s of the memory soak),
// and it ends the process when the channel closes, so Portkey never outlives the benchmark.
import { answer } from "./probe-answers.mjs";

if (process.send) {
  process.on("message", answer);
  process.on("disconnect", () => process.exit(0));
}
