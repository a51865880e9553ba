// One memory sample (run by scenarios/memory.mjs with --expose-gc): opens `n` streams at once
// against /hold/ (the server sends the first chunk and holds the rest), waits until every stream
// has yielded its first text, measures the heap, then releases and drains them.
// Usage: node --expose-gc memory-child.mjs <contender> <server url> <n>
import { openaiContenders } from "./lib/contenders.mjs";

const [name, url, count] = process.argv.slice(2);
const n = Number(count);
// One client for every stream, as an app would have.
const contender = openaiContenders(`${url}/c2000/hold/v1`)[name];

async function release() {
  await fetch(`${url}/release`, { method: "POST" });
}

function heap() {
  globalThis.gc();
  globalThis.gc();
  const m = process.memoryUsage();
  return { heapUsed: m.heapUsed, external: m.external + m.arrayBuffers };
}

// Warm up: load the code and run one whole stream, so the delta is the streams' state, not code.
const warm = contender.iterate();
await warm.next();
await release();
while (!(await warm.next()).done);

const before = heap();
const iterators = Array.from({ length: n }, () => contender.iterate());
const firsts = await Promise.all(iterators.map((it) => it.next()));
if (firsts.some((r) => r.done || !r.value))
  throw new Error(`${name}: a stream ended before its first chunk`);
await new Promise((r) => setTimeout(r, 50));
const during = heap();
await release();
const counts = await Promise.all(
  iterators.map(async (it) => {
    let k = 1;
    while (!(await it.next()).done) k++;
    return k;
  }),
);
if (counts.some((k) => k !== 2000))
  throw new Error(`${name}: streams saw ${counts[0]} text chunks, expected 2000`);
process.stdout.write(
  `${JSON.stringify({ heapUsed: during.heapUsed - before.heapUsed, external: during.external - before.external })}\n`,
);
