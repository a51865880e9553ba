// One process of the gateway scenario, forked with an IPC channel: argv[2] is
//   mock     the mock server of @rephysco/testing (the upstream of every path)
//   proxy    a bare node:http pass-through proxy to argv[3] (the floor any Node gateway pays)
//   gateway  @rephysco/gateway with the openai provider pointed at argv[3]/v1
// It sends {url} once listening. The benchmark asks {type: "cpu"}, {type: "mem"} and {type: "gc"}
// (a full GC, then process.memoryUsage(); the harness forks it with --expose-gc) over the same
// channel and gets answers from src/lib/probe-answers.mjs (the harness's own channel, not an
// endpoint of the gateway). It exits when the channel closes, so it never outlives the benchmark.
import { Agent, createServer, request } from "node:http";
import { CHUNK_DELAY_MS, STREAM_CHUNKS, STREAM_MODEL } from "./lib/gateway-paths.mjs";
import { answer } from "./lib/probe-answers.mjs";

const [kind, upstream] = process.argv.slice(2);

process.on("message", answer);
process.on("disconnect", () => process.exit(0));

async function startMock() {
  const { createMockServer } = await import("@rephysco/testing");
  const chunks = Array.from({ length: STREAM_CHUNKS }, (_, i) => `t${i} `);
  const paced = { chunks, chunkDelayMs: CHUNK_DELAY_MS };
  const plain = { text: "Hello from the mock server." };
  const server = await createMockServer({
    // A benchmark target: keep no request bodies.
    maxRecordedRequests: 0,
    defaultReply: (req) => (req.body?.model === STREAM_MODEL ? paced : plain),
  });
  return server.url;
}

function startProxy(target) {
  const { hostname, port } = new URL(target);
  const agent = new Agent({ keepAlive: true, maxSockets: Number.POSITIVE_INFINITY });
  const server = createServer((req, res) => {
    const up = request(
      { host: hostname, port, method: req.method, path: req.url, headers: req.headers, agent },
      (upRes) => {
        res.writeHead(upRes.statusCode ?? 502, upRes.headers);
        upRes.pipe(res);
      },
    );
    up.on("error", () => {
      if (!res.headersSent) res.writeHead(502);
      res.end();
    });
    req.pipe(up);
  });
  server.keepAliveTimeout = 60_000;
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () => resolve(`http://127.0.0.1:${server.address().port}`)),
  );
}

async function startGateway(target) {
  // Importing a provider package registers it with core, as a program embedding the gateway does.
  await import("@rephysco/openai");
  const { createGateway } = await import("@rephysco/gateway");
  const gateway = await createGateway({
    defaultProvider: "openai",
    providers: { openai: { baseURL: `${target}/v1`, apiKey: "bench" } },
  });
  const { url } = await gateway.listen({ port: 0, host: "127.0.0.1" });
  return url;
}

const url =
  kind === "mock"
    ? await startMock()
    : kind === "proxy"
      ? await startProxy(upstream)
      : kind === "gateway"
        ? await startGateway(upstream)
        : undefined;
if (url === undefined) throw new Error(`gateway-child: unknown kind ${kind}`);
process.send({ type: "ready", url });
