// The child's side of the harness's IPC channel, shared by src/gateway-child.mjs (the mock, the
// proxy, @rephysco/gateway) and src/lib/portkey-probe.mjs (preloaded into Portkey):
//   {type: "cpu"}  answered with process.cpuUsage() (user + system µs, all threads)
//   {type: "mem"}  answered with process.memoryUsage(), as it is (no GC)
//   {type: "gc"}   runs one full, synchronous garbage collection (global.gc(), a major
//                  mark-compact; the process must run with --expose-gc) and answers with
//                  process.memoryUsage() right after it, the pause in ms, and whether a GC ran
// It is the harness's channel, not an endpoint of either gateway, and it is idle between questions
// (asked only between measured slices, and once per 5-s sample of the memory soak).
export function answer(message) {
  if (message?.type === "cpu") process.send({ type: "cpu", cpu: process.cpuUsage() });
  else if (message?.type === "mem") process.send({ type: "mem", mem: process.memoryUsage() });
  else if (message?.type === "gc") {
    const forced = typeof globalThis.gc === "function";
    const t0 = performance.now();
    if (forced) globalThis.gc();
    const pauseMs = performance.now() - t0;
    process.send({ type: "gc", gc: { ...process.memoryUsage(), pauseMs, forced } });
  }
}
