// A minimal benchmark server, run in its own process so that its CPU time is not charged to the
// client being measured. Every answer is rendered once and cached as a Buffer; a request costs
// the server one body read, one JSON.parse and one write.
//
// Paths (any prefix before them is allowed, so a base URL can carry options):
//   POST <prefix>/chat/completions                      OpenAI chat completions (JSON or SSE)
//   POST <prefix>/v1beta/models/<m>:generateContent     Gemini (JSON)
//   POST <prefix>/v1beta/models/<m>:streamGenerateContent?alt=sse   Gemini (SSE)
//   POST /release                                        releases the streams held by /hold/
//   GET  /stats                                          {"connections", "requests"} so far
// Prefix options:
//   /c<n>/   stream n content chunks (default 2000)
//   /tool/   stream one tool call whose arguments are the 20 KB JSON of lib/payload.mjs, in n
//            fragments (n from /c<n>/)
//   /obj/    stream that JSON as the answer's text, in n chunks
//   /hold/   send the first chunk, keep the rest until POST /release (memory scenario)
//   /pace<k>/  send k events per write, one write per millisecond (a fast model on a real
//            network: the client reads a few events at a time). Without it the whole answer
//            is written at once (the client reads as much as its socket buffer holds).
// Prints {"url": "http://127.0.0.1:<port>"} on stdout once listening.
import { createServer } from "node:http";
import { fragments, PAYLOAD_TEXT, TOOL_NAME } from "./lib/payload.mjs";

const MODEL = "gpt-4o-mini";
const CREATED = 1_700_000_000;
const REPLY = "Hello from the benchmark server.";

const cache = new Map();
function memo(key, build) {
  let value = cache.get(key);
  if (!value) {
    value = build();
    cache.set(key, value);
  }
  return value;
}

function openaiJson() {
  return Buffer.from(
    JSON.stringify({
      id: "chatcmpl-bench",
      object: "chat.completion",
      created: CREATED,
      model: MODEL,
      system_fingerprint: "fp_bench",
      choices: [
        {
          index: 0,
          message: { role: "assistant", content: REPLY, refusal: null, annotations: [] },
          logprobs: null,
          finish_reason: "stop",
        },
      ],
      usage: {
        prompt_tokens: 12,
        completion_tokens: 8,
        total_tokens: 20,
        prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
        completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 0 },
      },
      service_tier: "default",
    }),
  );
}

// The head (role chunk + first content chunk) is separate so that /hold/ can send it alone.
// `kind`: "text" (n chunks "t<i> "), "object" (the 20 KB JSON object of lib/payload.mjs as
// content in n chunks), "tool" (the same JSON as the arguments of one tool call in n fragments,
// shaped like recorded OpenAI traffic: the first delta carries the role, `content: null`, the
// call's index, id, type, name and `arguments: ""`; each fragment follows in a delta holding only
// the index and `function.arguments`; the finish reason is "tool_calls").
function openaiSse(n, usage, kind = "text") {
  const frame = (choices, extra = {}) =>
    `data: ${JSON.stringify({
      id: "chatcmpl-bench",
      object: "chat.completion.chunk",
      created: CREATED,
      model: MODEL,
      system_fingerprint: "fp_bench",
      choices,
      ...(usage && { usage: null }),
      ...extra,
    })}\n\n`;
  const delta = (d, finish = null) => [
    { index: 0, delta: d, logprobs: null, finish_reason: finish },
  ];
  const texts =
    kind === "text" ? Array.from({ length: n }, (_, i) => `t${i} `) : fragments(PAYLOAD_TEXT, n);
  const piece =
    kind === "tool"
      ? (t) => ({ tool_calls: [{ index: 0, function: { arguments: t } }] })
      : (t) => ({ content: t });
  const head =
    kind === "tool"
      ? [
          frame(
            delta({
              role: "assistant",
              content: null,
              tool_calls: [
                {
                  index: 0,
                  id: "call_bench",
                  type: "function",
                  function: { name: TOOL_NAME, arguments: "" },
                },
              ],
              refusal: null,
            }),
          ),
          frame(delta(piece(texts[0]))),
        ]
      : [
          frame(delta({ role: "assistant", content: "", refusal: null })),
          frame(delta(piece(texts[0]))),
        ];
  const tail = [];
  for (let i = 1; i < n; i++) tail.push(frame(delta(piece(texts[i]))));
  tail.push(frame(delta({}, kind === "tool" ? "tool_calls" : "stop")));
  if (usage) {
    tail.push(
      frame([], { usage: { prompt_tokens: 12, completion_tokens: n, total_tokens: 12 + n } }),
    );
  }
  tail.push("data: [DONE]\n\n");
  return { head: Buffer.from(head.join("")), tail: Buffer.from(tail.join("")), events: tail };
}

function geminiResponse(text, finish, tokens) {
  return {
    candidates: [
      {
        content: { parts: [{ text }], role: "model" },
        ...(finish && { finishReason: "STOP" }),
        index: 0,
      },
    ],
    usageMetadata: {
      promptTokenCount: 12,
      candidatesTokenCount: tokens,
      totalTokenCount: 12 + tokens,
      promptTokensDetails: [{ modality: "TEXT", tokenCount: 12 }],
    },
    modelVersion: "gemini-2.5-flash",
    responseId: "bench-response",
  };
}

function geminiJson() {
  return Buffer.from(JSON.stringify(geminiResponse(REPLY, true, 8)));
}

function geminiSse(n) {
  const frames = [];
  for (let i = 0; i < n; i++) {
    frames.push(`data: ${JSON.stringify(geminiResponse(`t${i} `, i === n - 1, i + 1))}\r\n\r\n`);
  }
  return {
    head: Buffer.from(frames[0]),
    tail: Buffer.from(frames.slice(1).join("")),
    events: frames.slice(1),
  };
}

const held = [];
const stats = { connections: 0, requests: 0 };

function send(res, status, type, body) {
  res.writeHead(status, {
    "content-type": type,
    "content-length": body.length,
    "x-request-id": "req_bench",
  });
  res.end(body);
}

function sendPaced(res, answer, perWrite) {
  answer.paced ??= new Map();
  let groups = answer.paced.get(perWrite);
  if (!groups) {
    groups = [];
    for (let i = 0; i < answer.events.length; i += perWrite)
      groups.push(Buffer.from(answer.events.slice(i, i + perWrite).join("")));
    answer.paced.set(perWrite, groups);
  }
  let i = 0;
  const tick = () => {
    if (res.destroyed) return;
    if (i === groups.length - 1) res.end(groups[i]);
    else {
      res.write(groups[i++]);
      setTimeout(tick, 1);
    }
  };
  setTimeout(tick, 1);
}

function sendStream(res, answer, { hold, pace }) {
  res.writeHead(200, {
    "content-type": "text/event-stream",
    "cache-control": "no-cache",
    "x-request-id": "req_bench",
  });
  res.write(answer.head);
  if (hold) held.push(() => res.end(answer.tail));
  else if (pace) sendPaced(res, answer, pace);
  else res.end(answer.tail);
}

const server = createServer({ keepAliveTimeout: 60_000 }, (req, res) => {
  const parts = [];
  req.on("data", (d) => parts.push(d));
  req.on("end", () => {
    const url = req.url ?? "/";
    if (url === "/stats") {
      send(res, 200, "application/json", Buffer.from(JSON.stringify(stats)));
      return;
    }
    stats.requests++;
    if (url === "/release") {
      const n = held.length;
      for (const release of held.splice(0)) release();
      send(res, 200, "application/json", Buffer.from(JSON.stringify({ released: n })));
      return;
    }
    let body = {};
    try {
      body = parts.length ? JSON.parse(Buffer.concat(parts).toString("utf8")) : {};
    } catch {
      send(
        res,
        400,
        "application/json",
        Buffer.from('{"error":{"message":"bad json","type":"invalid_request_error"}}'),
      );
      return;
    }
    const n = Number(/\/c(\d+)\//.exec(url)?.[1] ?? 2000);
    const mode = {
      hold: url.includes("/hold/"),
      pace: Number(/\/pace(\d+)\//.exec(url)?.[1] ?? 0),
    };
    const path = url.split("?")[0];
    if (path.endsWith("/chat/completions")) {
      if (body.stream) {
        const usage = body.stream_options?.include_usage === true;
        const kind = url.includes("/tool/") ? "tool" : url.includes("/obj/") ? "object" : "text";
        sendStream(
          res,
          memo(`oa-sse-${n}-${usage}-${kind}`, () => openaiSse(n, usage, kind)),
          mode,
        );
      } else {
        send(res, 200, "application/json", memo("oa-json", openaiJson));
      }
    } else if (path.endsWith(":streamGenerateContent")) {
      sendStream(
        res,
        memo(`g-sse-${n}`, () => geminiSse(n)),
        mode,
      );
    } else if (path.endsWith(":generateContent")) {
      send(res, 200, "application/json", memo("g-json", geminiJson));
    } else {
      send(res, 404, "application/json", Buffer.from('{"error":{"message":"not found"}}'));
    }
  });
});
server.on("connection", () => {
  stats.connections++;
});
server.keepAliveTimeout = 60_000;
server.headersTimeout = 65_000;
server.maxRequestsPerSocket = 0;

server.listen(0, "127.0.0.1", () => {
  const { port } = server.address();
  process.stdout.write(`${JSON.stringify({ url: `http://127.0.0.1:${port}` })}\n`);
});

// Exit with the parent: stdin closes when it goes.
process.stdin.on("end", () => process.exit(0));
process.stdin.resume();
process.on("SIGTERM", () => process.exit(0));
