// Preloaded into Portkey's gateway process (`node --import <this file>`) so the harness can read
// it the way it reads its own children (src/gateway-child.mjs): {type: "cpu"} is answered with
// process.cpuUsage(), {type: "mem"} with process.memoryUsage(). It does nothing between questions
// (the benchmark asks only between measured slices and every 5 s of the memory soak), and it ends
// the process when the channel closes, so Portkey never outlives the benchmark.
if (process.send) {
  process.on("message", (message) => {
    if (message?.type === "cpu") process.send({ type: "cpu", cpu: process.cpuUsage() });
    else if (message?.type === "mem") process.send({ type: "mem", mem: process.memoryUsage() });
  });
  process.on("disconnect", () => process.exit(0));
}
