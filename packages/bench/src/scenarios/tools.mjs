// Scenario 7: tool calling and structured output. (1) A streamed tool call whose arguments are a
// 20 KB JSON object in 2,000 deltas, read to the end and parsed; (2) the same object as a
// streamed JSON answer (`streamObject`), every partial object read, then the final one. Rephysco
// against the Vercel AI SDK (the issue's bar: ahead on CPU and on wall time), with the raw openai
// SDK and fetch + eventsource-parser as floors, all against the same local server, burst and
// paced (as the streaming scenario).
import { isDeepStrictEqual } from "node:util";
import { alternate } from "../lib/alternate.mjs";
import { ROUNDS, size } from "../lib/config.mjs";
import { log } from "../lib/log.mjs";
import {
  looksWhole,
  PAYLOAD_DELTAS,
  PAYLOAD_OBJECT,
  PAYLOAD_SCHEMA,
  PAYLOAD_TEXT,
} from "../lib/payload.mjs";
import { startServer } from "../lib/server-process.mjs";
import { ratioSummary, summarize } from "../lib/stats.mjs";
import { objectContenders, toolCallContenders } from "../lib/tool-contenders.mjs";

const PACE = 20;
/** The AI SDK contenders Rephysco is compared with one to one. */
const AI_SDK = ["aisdk", "aisdkObject"];

/** Throws unless `r` is a whole, correct answer (cheap; the first stream is checked in full). */
function check(r, name, kind, full) {
  const what = `${kind}: ${name}`;
  if (full ? !isDeepStrictEqual(r.value, PAYLOAD_OBJECT) : !looksWhole(r.value))
    throw new Error(`${what}: the parsed value is not the object that was sent`);
  if (kind === "tool call" && r.deltas !== PAYLOAD_DELTAS)
    throw new Error(`${what}: saw ${r.deltas} argument deltas, expected ${PAYLOAD_DELTAS}`);
  if (r.textDeltas !== undefined && r.textDeltas !== PAYLOAD_DELTAS)
    throw new Error(`${what}: saw ${r.textDeltas} text deltas, expected ${PAYLOAD_DELTAS}`);
  if (
    kind === "object" &&
    r.textDeltas === undefined &&
    !(r.deltas > 0 && r.deltas <= PAYLOAD_DELTAS)
  )
    throw new Error(`${what}: saw ${r.deltas} partial objects`);
}

async function measure(contenders, streams, kind, mode) {
  const deltas = {};
  const checked = new Set();
  const { rate, cpu } = await alternate(contenders, {
    rounds: ROUNDS,
    slices: streams,
    batch: async (c, name) => {
      const r = await c.stream();
      check(r, name, kind, !checked.has(name));
      checked.add(name);
      deltas[name] = r.deltas;
      return 1;
    },
    log: (m) => log(`tools ${kind} ${mode}: ${m}`),
  });
  // Streams per second -> ms per stream (one stream at a time: time to the parsed value).
  const ms = Object.fromEntries(Object.entries(rate).map(([n, v]) => [n, v.map((x) => 1000 / x)]));
  const out = {};
  for (const [name, values] of Object.entries(ms)) {
    out[name] = {
      label: contenders[name].label,
      deltasSeen: deltas[name],
      msPerStream: summarize(values),
      ratio: ratioSummary(values, ms.raw, false),
      cpuMsPerStream: summarize(cpu[name].map((us) => us / 1000)),
      cpuRatio: ratioSummary(cpu[name], cpu.raw, false),
    };
  }
  // Rephysco against each AI SDK contender, per round (AI SDK / Rephysco: above 1, Rephysco is
  // faster or cheaper by that factor).
  const versus = {};
  if (ms.rephysco)
    for (const other of AI_SDK)
      if (ms[other])
        versus[other] = {
          wall: ratioSummary(ms.rephysco, ms[other], false),
          cpu: ratioSummary(cpu.rephysco, cpu[other], false),
        };
  return {
    streamsPerRound: streams,
    ...(mode === "paced" && { eventsPerWrite: PACE }),
    contenders: out,
    rephyscoVersus: versus,
  };
}

export async function run() {
  const server = await startServer();
  try {
    const base = (kind, paced) =>
      `${server.url}/c${PAYLOAD_DELTAS}/${kind}${paced ? `/pace${PACE}` : ""}/v1`;
    const toolCall = {
      burst: await measure(
        toolCallContenders(base("tool", false)),
        size(6, 3),
        "tool call",
        "burst",
      ),
      paced: await measure(
        toolCallContenders(base("tool", true)),
        size(4, 2),
        "tool call",
        "paced",
      ),
    };
    const object = {
      burst: await measure(objectContenders(base("obj", false)), size(4, 2), "object", "burst"),
      paced: await measure(objectContenders(base("obj", true)), size(3, 2), "object", "paced"),
    };
    return {
      bytes: PAYLOAD_TEXT.length,
      deltas: PAYLOAD_DELTAS,
      items: PAYLOAD_OBJECT.items.length,
      schemaProperties: Object.keys(PAYLOAD_SCHEMA.properties.items.items.properties).length,
      toolCall,
      object,
    };
  } finally {
    await server.close();
  }
}
