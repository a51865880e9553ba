// A fleet of real processes (node children running test/fixtures/fleet-child.mjs on the BUILT
// packages) sharing limits through a real redis-server, each calling the mock server over HTTP
// with an OpenAI client. What each test checks is counted where it matters: at the mock server.
import { type ChildProcess, spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import {
  createMockServer,
  type MockServer,
  type RecordedRequest,
  type RedisServer,
  startRedisServer,
  vendorErrors,
} from "@rephysco/testing";
import { createClient } from "redis";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";

const packageDir = fileURLToPath(new URL("..", import.meta.url));
const childScript = fileURLToPath(new URL("./fixtures/fleet-child.mjs", import.meta.url));

/**
 * Usage every mock reply reports: equal to a request's reservation (the prompt "from A#03" is
 * estimated at ceil(9 / 4) + 4 = 7 tokens, plus maxTokens 10).
 */
const USAGE = { promptTokens: 7, completionTokens: 10 };
const TOKENS_PER_REQUEST = 17;

interface ChildResult {
  type: "result";
  i: number;
  ok: boolean;
  name?: string;
  reason?: string;
  retryAfterMs?: number;
  message?: string;
  start: number;
  /** When the limiter handed the request to the provider (absent when it never did). */
  sent?: number;
  end: number;
}
interface ChildEvent {
  type: "event";
  event: {
    type: string;
    operation?: string;
    fallback?: string;
    until?: number;
    scope?: string;
    message?: string;
  };
}
type Line = ChildResult | ChildEvent | { type: "ready" } | { type: "done" };

interface ChildConfig {
  name: string;
  apiKey?: string;
  count: number;
  mode?: "parallel" | "sequential";
  intervalMs?: number;
  waitForGo?: boolean;
  warmUp?: boolean;
  maxTokens?: number;
  store?: { prefix?: string; commandTimeoutMs?: number; failClosed?: boolean };
  limits?: Record<string, unknown>;
  redisUrl?: string;
  baseURL?: string;
}

interface Child {
  readonly lines: Line[];
  readonly results: () => ChildResult[];
  readonly events: () => ChildEvent["event"][];
  /** Resolves with the first line (already seen or to come) that `match` accepts. */
  waitFor(match: (line: Line) => boolean): Promise<Line>;
  go(): void;
  /** Resolves once the child printed "done" and exited with 0. */
  readonly finished: Promise<void>;
  readonly process: ChildProcess;
}

let redis: RedisServer;
let mock: MockServer;
let prefixes = 0;
const children = new Set<ChildProcess>();
/** Arrival of every request at the mock server (Date.now()), with the process and request it came from. */
let arrivals: { at: number; from: string; id: string; status: number }[] = [];
/** What the mock server answers next; the default is a success with {@link USAGE}. */
const queued: ((req: RecordedRequest, at: number) => unknown)[] = [];

/** "A#03" of a request whose prompt is "from A#03" (process A, its request 3). */
const idOf = (req: RecordedRequest): string => {
  const messages = (req.body as { messages?: { content?: unknown }[] }).messages ?? [];
  return String(messages.at(-1)?.content ?? "").replace(/^from /, "");
};

function startChild(config: ChildConfig): Child {
  const full = {
    redisUrl: redis.url,
    baseURL: `${mock.url}/v1`,
    apiKey: "test-key",
    mode: "parallel",
    ...config,
    store: { prefix: `fleet${prefixes}:`, commandTimeoutMs: 1000, ...config.store },
  };
  const child = spawn(process.execPath, [childScript, JSON.stringify(full)], {
    cwd: packageDir,
    stdio: ["pipe", "pipe", "pipe"],
  });
  children.add(child);
  const lines: Line[] = [];
  const waiters: { match: (l: Line) => boolean; resolve: (l: Line) => void }[] = [];
  let stderr = "";
  child.stderr?.on("data", (d: Buffer) => {
    stderr += d.toString();
  });
  createInterface({ input: child.stdout! }).on("line", (text) => {
    let line: Line;
    try {
      line = JSON.parse(text) as Line;
    } catch {
      stderr += `${text}\n`;
      return;
    }
    lines.push(line);
    for (const w of waiters.splice(0)) {
      if (w.match(line)) w.resolve(line);
      else waiters.push(w);
    }
  });
  const finished = new Promise<void>((resolve, reject) => {
    child.once("exit", (code, signal) => {
      children.delete(child);
      // Lines may still be buffered in the readline interface: let it drain first.
      setImmediate(() => {
        if (code === 0 && lines.some((l) => l.type === "done")) resolve();
        else
          reject(
            new Error(
              `child ${config.name} exited with ${code ?? signal}:\n${stderr}\n${JSON.stringify(lines)}`,
            ),
          );
      });
    });
  });
  finished.catch(() => undefined);
  return {
    lines,
    results: () => lines.filter((l): l is ChildResult => l.type === "result"),
    events: () => lines.filter((l): l is ChildEvent => l.type === "event").map((l) => l.event),
    waitFor(match) {
      const seen = lines.find(match);
      if (seen) return Promise.resolve(seen);
      return Promise.race([
        new Promise<Line>((resolve) => waiters.push({ match, resolve })),
        finished.then(() => {
          throw new Error(`child ${config.name} finished without the line awaited`);
        }),
      ]);
    },
    go() {
      child.stdin?.write("go\n");
    },
    finished,
    process: child,
  };
}

/** Starts every child, waits until all are built, then releases them together. */
async function fleet(configs: ChildConfig[]): Promise<Child[]> {
  const started = configs.map((c) => startChild({ ...c, waitForGo: true }));
  await Promise.all(started.map((c) => c.waitFor((l) => l.type === "ready")));
  for (const c of started) c.go();
  await Promise.all(started.map((c) => c.finished));
  return started;
}

/** The most arrivals (each weighing `weight`) in any half-open span of `spanMs` starting at one. */
function maxInWindow(times: readonly number[], spanMs: number, weight = 1): number {
  return maxSumInWindow(
    times.map((at) => ({ at, amount: weight })),
    spanMs,
  );
}

/** The largest sum of amounts in any half-open span of `spanMs` starting at an entry. */
function maxSumInWindow(entries: readonly { at: number; amount: number }[], spanMs: number) {
  const e = [...entries].sort((a, b) => a.at - b.at);
  let best = 0;
  for (let i = 0; i < e.length; i++) {
    let sum = 0;
    for (let j = i; j < e.length && e[j]!.at - e[i]!.at < spanMs; j++) sum += e[j]!.amount;
    best = Math.max(best, sum);
  }
  return best;
}

/**
 * At the mock server. A client-side limiter decides when a request leaves, not when it arrives:
 * after the limiter lets a request through the client still builds and sends it, which on a
 * loaded machine takes 5 to 200 ms, differently for each request. That spread is measured per
 * request (arrival minus the moment the limiter handed it to the provider) and taken off the
 * window, with 50 ms more for Redis's answer to reach the client.
 */
function atTheServer(kids: Child[], names: string, windowMs: number) {
  const sent = new Map(
    kids.flatMap((k, n) =>
      k.results().map((r) => [`${names[n]}#${String(r.i).padStart(2, "0")}`, r.sent!]),
    ),
  );
  const delays = arrivals.map((a) => a.at - sent.get(a.id)!);
  const spread = Math.max(...delays) - Math.min(...delays);
  const span = windowMs - spread - 50;
  // A spread near the window would leave nothing to check (a span <= 0 passes anything).
  expect(span, `delivery delays spread over ${spread} ms`).toBeGreaterThan(0);
  return { times: arrivals.map((a) => a.at), span };
}

async function redisPid(url: string): Promise<number> {
  const client = createClient({ url });
  client.on("error", () => {});
  await client.connect();
  try {
    const info = await client.info("server");
    return Number(/process_id:(\d+)/.exec(info)![1]);
  } finally {
    await client.close();
  }
}

/**
 * Watches Redis (MONITOR on its own connection) for the window entries the limiter records:
 * the score of each `ZADD` under `prefix` is the time Redis admitted a request (its own clock).
 */
async function watchAdmissions(prefix: string) {
  const client = createClient({ url: redis.url });
  client.on("error", () => {});
  await client.connect();
  const admitted = new Map<string, { at: number; amount: number }[]>();
  await client.monitor((line: string) => {
    // 1700000000.123456 [0 lua] "ZADD" "<prefix>w:..." "<ms>" "<id>:<amount>"
    const args = [...line.matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((m) => m[1]!);
    if (args[0]?.toUpperCase() !== "ZADD" || !args[1]?.startsWith(prefix)) return;
    const key = args[1];
    const entry = { at: Number(args[2]), amount: Number(args[3]?.split(":").at(-1)) };
    admitted.set(key, [...(admitted.get(key) ?? []), entry]);
  });
  return {
    admitted,
    async stop() {
      await client.close().catch(() => client.destroy());
    },
  };
}

beforeAll(async () => {
  redis = await startRedisServer();
  mock = await createMockServer({
    maxRecordedRequests: Number.POSITIVE_INFINITY,
    defaultReply: (req) => {
      const at = Date.now();
      // A child's warm-up call (before the fleet starts): not counted, takes nothing queued.
      const id = idOf(req);
      if (id === "warmup") return { text: "ok", usage: USAGE };
      const next = queued.shift();
      const reply = next ? next(req, at) : { text: "ok", usage: USAGE };
      const status = (reply as { error?: { status?: number } }).error?.status ?? 200;
      arrivals.push({ at, from: id.split("#")[0]!, id, status });
      return reply as never;
    },
  });
});

afterEach(() => {
  for (const child of children) child.kill("SIGKILL");
  children.clear();
  mock.reset();
  arrivals = [];
  queued.length = 0;
  prefixes++;
});

afterAll(async () => {
  await mock?.close();
  await redis?.stop();
});

describe("a fleet sharing one rate limit", () => {
  it("4 processes x 8 concurrent requests under 5 per 1000 ms: no window of 1000 ms holds more than 5 (Redis's log; the mock server, less the client's dispatch spread)", async () => {
    const rule = { name: "rpm", requests: 5, windowMs: 1000, per: "account" };
    const watch = await watchAdmissions(`fleet${prefixes}:`);
    const kids = await fleet(
      ["A", "B", "C", "D"].map((name) => ({
        name,
        count: 8,
        limits: { rateLimits: [rule], onLimit: "wait" },
      })),
    );
    await watch.stop();
    const results = kids.flatMap((k) => k.results());
    expect(results).toHaveLength(32);
    expect(results.filter((r) => !r.ok)).toEqual([]);
    expect(arrivals).toHaveLength(32);
    // Every process sent its 8.
    for (const name of ["A", "B", "C", "D"])
      expect(arrivals.filter((a) => a.from === name)).toHaveLength(8);

    // The limiter's own guarantee, on Redis's clock: of the 32 entries Redis recorded, no span
    // of 1000 ms starting at one holds more than 5.
    const admitted = [...watch.admitted.values()];
    expect(admitted).toHaveLength(1);
    expect(admitted[0]).toHaveLength(32);
    expect(maxSumInWindow(admitted[0]!, 1000)).toBe(5);
    const { times, span } = atTheServer(kids, "ABCD", 1000);
    expect(maxInWindow(times, span)).toBeLessThanOrEqual(5);
    // And they did have to wait: 32 requests at 5 per second take more than 6 windows.
    expect(Math.max(...times) - Math.min(...times)).toBeGreaterThanOrEqual(5000);
  }, 40_000);

  it("tokens per window: 2 processes x 4 requests of 17 tokens under 68 tokens per 1000 ms", async () => {
    const rule = { name: "tpm", tokens: 4 * TOKENS_PER_REQUEST, windowMs: 1000, per: "global" };
    const watch = await watchAdmissions(`fleet${prefixes}:`);
    const kids = await fleet(
      ["A", "B"].map((name) => ({
        name,
        count: 4,
        limits: { rateLimits: [rule], onLimit: "wait" },
      })),
    );
    await watch.stop();
    expect(kids.flatMap((k) => k.results()).filter((r) => !r.ok)).toEqual([]);
    expect(arrivals).toHaveLength(8);
    // Redis's log: 8 entries of 17 tokens, at most 68 tokens in any span of 1000 ms.
    const admitted = [...watch.admitted.values()];
    expect(admitted).toHaveLength(1);
    expect(admitted[0]!.map((e) => e.amount)).toEqual(Array(8).fill(TOKENS_PER_REQUEST));
    expect(maxSumInWindow(admitted[0]!, 1000)).toBe(4 * TOKENS_PER_REQUEST);
    // The mock server (17 tokens each, as the replies' usage says).
    const { times, span } = atTheServer(kids, "AB", 1000);
    expect(maxInWindow(times, span, TOKENS_PER_REQUEST)).toBeLessThanOrEqual(
      4 * TOKENS_PER_REQUEST,
    );
    expect(Math.max(...times) - Math.min(...times)).toBeGreaterThanOrEqual(800);
  }, 20_000);
});

describe("a cool-down shared by the fleet", () => {
  it("A's 429 with Retry-After: 2 holds B (same account) back: fail fast with nothing sent, or wait until the end; C (another key) goes on", async () => {
    let t429 = 0;
    queued.push((_req, at) => {
      t429 = at;
      return vendorErrors.openai.rateLimit({ retryAfter: 2, limit: "requests" });
    });
    // B (same account, fail fast), W (same account, waits) and C (another API key) are built
    // and waiting; they start the moment A reports its cool-down.
    const others = [
      startChild({ name: "B", count: 2, waitForGo: true, limits: { onLimit: "fail" } }),
      startChild({ name: "W", count: 1, waitForGo: true, limits: { onLimit: "wait" } }),
      startChild({
        name: "C",
        apiKey: "other-key",
        count: 2,
        waitForGo: true,
        limits: { onLimit: "fail" },
      }),
    ];
    await Promise.all(others.map((c) => c.waitFor((l) => l.type === "ready")));
    const [bFail, bWait, c] = others as [Child, Child, Child];
    const a = startChild({ name: "A", count: 1 });
    const cooldownLine = (await a.waitFor(
      (l) => l.type === "event" && l.event.type === "cooldown",
    )) as ChildEvent;
    for (const o of others) o.go();
    await a.finished;
    const [aResult] = a.results();
    expect(aResult).toMatchObject({ ok: false, name: "RateLimitError" });
    expect(aResult!.retryAfterMs).toBe(2000);
    expect(cooldownLine.event).toMatchObject({ scope: "model" });
    expect(cooldownLine.event.until).toBeGreaterThanOrEqual(t429 + 2000);
    expect(arrivals.filter((x) => x.from === "A")).toEqual([
      { at: t429, from: "A", id: "A#00", status: 429 },
    ]);

    await Promise.all([bFail.finished, c.finished]);
    const bFailedAt = Math.max(...bFail.results().map((r) => r.end));
    expect(bFailedAt).toBeLessThan(t429 + 2000);
    for (const r of bFail.results()) {
      expect(r).toMatchObject({ ok: false, name: "RateLimitError", reason: "cooldown" });
      expect(r.retryAfterMs).toBeGreaterThan(0);
      expect(r.retryAfterMs).toBeLessThanOrEqual(2000);
    }
    expect(arrivals.filter((x) => x.from === "B")).toEqual([]);
    // Another account is not held back: its requests landed during A's cool-down.
    expect(c.results().every((r) => r.ok)).toBe(true);
    const fromC = arrivals.filter((x) => x.from === "C");
    expect(fromC).toHaveLength(2);
    for (const x of fromC) expect(x.at).toBeLessThan(t429 + 2000);

    await bWait.finished;
    expect(bWait.results()[0]).toMatchObject({ ok: true });
    const fromW = arrivals.filter((x) => x.from === "W");
    expect(fromW).toHaveLength(1);
    // Lands after the cool-down ends (a few ms of tolerance between Redis's clock and this one).
    expect(fromW[0]!.at).toBeGreaterThanOrEqual(t429 + 2000 - 20);
    expect(bWait.events().some((e) => e.type === "limit_wait")).toBe(true);
  }, 30_000);
});

describe("a budget shared by two processes", () => {
  it("a tokens budget with room for exactly 7 requests: the mock server gets 7, both processes end with BudgetExceededError", async () => {
    const budgets = [{ name: "fleet", tokens: 7 * TOKENS_PER_REQUEST, per: "global" }];
    const kids = await fleet(["A", "B"].map((name) => ({ name, count: 10, limits: { budgets } })));
    expect(arrivals).toHaveLength(7);
    const all = kids.flatMap((k) => k.results());
    expect(all.filter((r) => r.ok)).toHaveLength(7);
    const refused = all.filter((r) => !r.ok);
    expect(refused).toHaveLength(13);
    for (const r of refused)
      expect(r).toMatchObject({ name: "BudgetExceededError", reason: "budget_exceeded" });
    for (const k of kids)
      expect(k.results().some((r) => r.reason === "budget_exceeded")).toBe(true);
  }, 20_000);

  it("a USD budget (gpt-4o-mini prices) with room for 7 requests, two processes sending one at a time", async () => {
    // 7 prompt tokens at $0.15/M + 10 output tokens at $0.60/M = $0.00000705 per request.
    const budgets = [{ name: "usd", usd: 7.5 * 0.00000705, per: "account" }];
    const kids = await fleet(
      ["A", "B"].map((name) => ({
        name,
        // More than the 7 that fit, each: both processes must be stopped, however they interleave.
        count: 8,
        mode: "sequential" as const,
        limits: { budgets },
      })),
    );
    expect(arrivals).toHaveLength(7);
    const all = kids.flatMap((k) => k.results());
    expect(all.filter((r) => r.ok)).toHaveLength(7);
    for (const r of all.filter((x) => !x.ok))
      expect(r).toMatchObject({ name: "BudgetExceededError", reason: "budget_exceeded" });
    for (const k of kids) expect(k.results().at(-1)).toMatchObject({ reason: "budget_exceeded" });
  }, 20_000);
});

describe("redis-server killed mid-run", () => {
  const COMMAND_TIMEOUT_MS = 300;
  const MARGIN_MS = 700;

  async function killedMidRun(failClosed: boolean) {
    const own = await startRedisServer();
    try {
      const pid = await redisPid(own.url);
      const child = startChild({
        name: failClosed ? "F" : "L",
        redisUrl: own.url,
        count: 24,
        mode: "sequential",
        intervalMs: 20,
        store: { commandTimeoutMs: COMMAND_TIMEOUT_MS, failClosed },
        limits: {
          rateLimits: [{ requests: 1000, tokens: 1_000_000, windowMs: 60_000 }],
          budgets: [{ name: "b", tokens: 1_000_000 }],
          // Budgets would be refused while Redis is away (the default): count them locally here.
          budgetsOnStoreFailure: "local",
        },
      });
      // Let a few requests through on Redis, then kill it without warning.
      await child.waitFor((l) => l.type === "result" && (l as ChildResult).i === 4);
      const killedAt = Date.now();
      process.kill(pid, "SIGKILL");
      await child.finished;
      return { child, killedAt };
    } finally {
      await own.stop();
    }
  }

  it("requests keep succeeding under local limits, with limit_error events (fallback local); none hangs", async () => {
    const { child, killedAt } = await killedMidRun(false);
    const results = child.results();
    expect(results).toHaveLength(24);
    expect(results.filter((r) => !r.ok)).toEqual([]);
    expect(arrivals).toHaveLength(24);
    const errors = child.events().filter((e) => e.type === "limit_error");
    expect(errors.length).toBeGreaterThan(0);
    for (const e of errors) expect(e.fallback).toBe("local");
    expect(errors.some((e) => e.operation === "acquire")).toBe(true);
    // Every request after the kill went through the fallback: one acquire error each.
    const after = results.filter((r) => r.start > killedAt);
    expect(after.length).toBeGreaterThan(10);
    expect(errors.filter((e) => e.operation === "acquire").length).toBeGreaterThanOrEqual(
      after.length,
    );
    for (const r of results) expect(r.end - r.start).toBeLessThan(COMMAND_TIMEOUT_MS + MARGIN_MS);
  }, 30_000);

  it("with failClosed, requests after the kill fail with limits_unavailable and are not sent", async () => {
    const { child, killedAt } = await killedMidRun(true);
    const results = child.results();
    expect(results).toHaveLength(24);
    const before = results.filter((r) => r.end <= killedAt);
    const after = results.filter((r) => r.start > killedAt);
    expect(before.length).toBeGreaterThanOrEqual(5);
    expect(before.every((r) => r.ok)).toBe(true);
    expect(after.length).toBeGreaterThan(10);
    for (const r of after)
      expect(r).toMatchObject({
        ok: false,
        name: "ServiceUnavailableError",
        reason: "limits_unavailable",
      });
    expect(arrivals.filter((a) => a.at > killedAt + 5)).toEqual([]);
    const errors = child.events().filter((e) => e.type === "limit_error");
    expect(errors.some((e) => e.operation === "acquire" && e.fallback === "refused")).toBe(true);
    for (const r of results) expect(r.end - r.start).toBeLessThan(COMMAND_TIMEOUT_MS + MARGIN_MS);
  }, 30_000);
});
