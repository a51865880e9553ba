import type {
  Cost,
  Middleware,
  ModelResponse,
  RephyscoEvent,
  StreamChunk,
  StreamPart,
  Usage,
  WrapGenerateOptions,
  WrapStreamOptions,
} from "@rephysco/core";
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import type { Admission } from "./key-limits.js";
import type { KeyIdentity } from "./keys.js";

/** What the access log and the metrics learn about one request; filled as it is served. */
export interface RequestRecord {
  /** `performance.now()` when the request arrived. */
  readonly start: number;
  /** A request of the API (`/v1/...`): logged and counted, whatever its outcome. */
  readonly api: boolean;
  /** The virtual key's admission, settled with what the request spent when it ends. */
  admission?: Admission;
  /** The virtual key's name (never the key). */
  key?: string;
  /** The virtual key that authenticated the request. */
  identity?: KeyIdentity;
  /** The model the request was routed to (the route's, else the client's), for failure logs. */
  routedModel?: string;
  /** The model as the client asked for it. */
  model?: string;
  /** The provider that answered (after fallbacks), or the route's primary one. */
  provider?: string;
  /** The provider's model that answered. */
  upstreamModel?: string;
  stream?: boolean;
  /** `"hit"`, `"miss"` (a cacheable route that went upstream) or `"off"`. */
  cache?: "hit" | "miss" | "off";
  usage?: Usage;
  cost?: Cost;
  /** Time inside upstream attempts (provider adapter, its SDK, the network), ms. */
  upstreamMs: number;
  /** Attempts still running: `performance.now()` when the first one started. */
  attemptStart?: number;
  /** Time in the gateway itself, ms, once known (sent as `x-rephysco-overhead-ms`). */
  overheadMs?: number;
  /** The error class of a failed request. */
  errorType?: string;
}

/** Records of calls in flight, keyed by the abort signal each request gives its call. */
const bySignal = new WeakMap<AbortSignal, RequestRecord>();

/** Ties a call's signal to its request record (so the timing middleware can find it). */
export function track(signal: AbortSignal, record: RequestRecord): void {
  bySignal.set(signal, record);
}

/** Adds an attempt's time to its record. */
function attemptDone(record: RequestRecord, started: number): void {
  record.upstreamMs += performance.now() - started;
}

/**
 * An attempt-level middleware that times upstream attempts: the whole attempt for an answer,
 * the time to the first part for a stream (after that, the gateway forwards as parts arrive).
 */
export const timingMiddleware: Middleware = {
  level: "attempt",
  async wrapGenerate(o: WrapGenerateOptions): Promise<ModelResponse> {
    const record = o.params.signal ? bySignal.get(o.params.signal) : undefined;
    if (!record) return o.doGenerate();
    const started = performance.now();
    try {
      return await o.doGenerate();
    } finally {
      attemptDone(record, started);
    }
  },
  wrapStream(o: WrapStreamOptions): AsyncIterable<StreamPart> {
    const record = o.params.signal ? bySignal.get(o.params.signal) : undefined;
    if (!record) return o.doStream();
    const inner = o.doStream();
    return {
      [Symbol.asyncIterator]() {
        const it = inner[Symbol.asyncIterator]();
        let first = true;
        const started = performance.now();
        return {
          next() {
            if (!first) return it.next();
            first = false;
            return it.next().finally(() => attemptDone(record, started));
          },
          return: (value?: unknown) =>
            it.return ? it.return(value) : Promise.resolve({ done: true, value: undefined }),
          throw: (e?: unknown) => (it.throw ? it.throw(e) : Promise.reject(e)),
        };
      },
    };
  },
};

/** Most distinct `model` label values (named models and provider/model routes). */
const MAX_MODEL_LABELS = 500;

/** Most label sets whose metric children are kept (then the map starts over; counts stay). */
const MAX_LABEL_SETS = 10_000;

/** The metric children of one label set. */
interface LabelChildren {
  readonly requests: { inc(v?: number): void };
  readonly latency: { observe(v: number): void };
  readonly overhead: { observe(v: number): void };
  readonly prompt: { inc(v?: number): void };
  readonly completion: { inc(v?: number): void };
  readonly cost: { inc(v?: number): void };
}

const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];
const OVERHEAD_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1];

/** The gateway's Prometheus metrics, in a registry of its own (embedding never collides). */
export class GatewayMetrics {
  /** The registry `/metrics` serves. */
  readonly registry = new Registry();
  readonly #requests: Counter<"key" | "model" | "provider" | "status" | "cache" | "stream">;
  readonly #latency: Histogram<"model" | "provider" | "stream">;
  readonly #overhead: Histogram<"stream">;
  readonly #tokens: Counter<"key" | "model" | "provider" | "type">;
  readonly #cost: Counter<"key" | "model" | "provider">;
  readonly #upstreamErrors: Counter<"provider" | "class">;
  readonly #inFlight: Gauge;
  readonly #children = new Map<string, LabelChildren>();
  /** Model names seen as labels (bounded: the strings are the clients'). */
  readonly #models = new Set<string>();

  /**
   * The `model` label: the client's model of a request that succeeded, while fewer than
   * {@link MAX_MODEL_LABELS} distinct ones were seen (then `"other"`); `""` for failures, whose
   * strings are anything a client sends.
   */
  #modelLabel(model: string | undefined, status: number): string {
    if (model === undefined || status >= 400) return "";
    if (this.#models.has(model)) return model;
    if (this.#models.size >= MAX_MODEL_LABELS || model.length > 200) return "other";
    this.#models.add(model);
    return model;
  }

  constructor(options: { defaultMetrics?: boolean } = {}) {
    const registers = [this.registry];
    this.#requests = new Counter({
      name: "rephysco_gateway_requests_total",
      help: "Chat completion requests answered, by key, model, provider, HTTP status and cache status.",
      labelNames: ["key", "model", "provider", "status", "cache", "stream"],
      registers,
    });
    this.#latency = new Histogram({
      name: "rephysco_gateway_request_duration_seconds",
      help: "Time from a request's arrival to its last byte (streams: the whole stream).",
      labelNames: ["model", "provider", "stream"],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.#overhead = new Histogram({
      name: "rephysco_gateway_overhead_seconds",
      help: "Time spent in the gateway itself: the request's time minus its upstream attempts (streams: up to the first byte).",
      labelNames: ["stream"],
      buckets: OVERHEAD_BUCKETS,
      registers,
    });
    this.#tokens = new Counter({
      name: "rephysco_gateway_tokens_total",
      help: "Tokens of answered requests, by type (prompt, completion).",
      labelNames: ["key", "model", "provider", "type"],
      registers,
    });
    this.#cost = new Counter({
      name: "rephysco_gateway_cost_usd_total",
      help: "What answered requests cost, in US dollars (0 for cache hits; models without prices are not counted).",
      labelNames: ["key", "model", "provider"],
      registers,
    });
    this.#upstreamErrors = new Counter({
      name: "rephysco_gateway_upstream_errors_total",
      help: "Failed upstream attempts (each retry and fallback counts), by provider and error class.",
      labelNames: ["provider", "class"],
      registers,
    });
    this.#inFlight = new Gauge({
      name: "rephysco_gateway_requests_in_flight",
      help: "Requests being served.",
      registers,
    });
    if (options.defaultMetrics !== false)
      collectDefaultMetrics({ register: this.registry, prefix: "rephysco_gateway_" });
  }

  /** A request arrived. */
  started(): void {
    this.#inFlight.inc();
  }

  /** A request ended (its response closed): counts it. */
  finished(r: RequestRecord, status: number, seconds: number): void {
    this.#inFlight.dec();
    if (!r.api) return; // health, readiness, metrics
    const key = r.key ?? "";
    const model = this.#modelLabel(r.model, status);
    const provider = r.provider ?? "";
    const stream = r.stream === true;
    const cache = r.cache ?? "off";
    // Label sets repeat: their metric children are kept, so a request hashes no label object.
    const id = `${key}\u0000${model}\u0000${provider}\u0000${status}\u0000${cache}\u0000${stream}`;
    let c = this.#children.get(id);
    if (!c) {
      if (this.#children.size >= MAX_LABEL_SETS) this.#children.clear();
      const s = stream ? "true" : "false";
      c = {
        requests: this.#requests.labels({
          key,
          model,
          provider,
          status: String(status),
          cache,
          stream: s,
        }),
        latency: this.#latency.labels({ model, provider, stream: s }),
        overhead: this.#overhead.labels({ stream: s }),
        prompt: this.#tokens.labels({ key, model, provider, type: "prompt" }),
        completion: this.#tokens.labels({ key, model, provider, type: "completion" }),
        cost: this.#cost.labels({ key, model, provider }),
      };
      this.#children.set(id, c);
    }
    c.requests.inc();
    c.latency.observe(seconds);
    if (r.overheadMs !== undefined) c.overhead.observe(r.overheadMs / 1000);
    if (r.usage) {
      c.prompt.inc(r.usage.promptTokens);
      c.completion.inc(r.usage.completionTokens);
    }
    if (r.cost) c.cost.inc(r.cost.total);
  }

  /** A client event: failed attempts are counted by provider and error class. */
  event(e: RephyscoEvent): void {
    let provider: string;
    let error: unknown;
    if (e.type === "retry" || e.type === "error") {
      provider = e.provider;
      error = e.error;
    } else if (e.type === "fallback") {
      provider = e.from.provider;
      error = e.error;
    } else return;
    // Only failures of upstream calls (the provider's errors carry a status or a reason).
    const name = (error as { name?: unknown } | null)?.name;
    if (typeof name !== "string" || !("provider" in (error as object))) return;
    this.#upstreamErrors.inc({ provider, class: name });
  }
}

/** The record's fields from an answer, or from a stream chunk that carries some of them. */
export function recordAnswer(
  r: RequestRecord,
  a: Pick<StreamChunk, "provider" | "model" | "usage" | "cost" | "cached">,
  cacheable: boolean,
): void {
  if (a.provider !== undefined) r.provider = a.provider;
  if (a.model !== undefined) r.upstreamModel = a.model;
  if (a.usage) r.usage = a.usage;
  if (a.cost) r.cost = a.cost;
  if (a.cached !== undefined) r.cache = a.cached ? "hit" : cacheable ? "miss" : "off";
}

/** Rounds ms to 3 decimals (µs), for headers and logs. */
export const ms3 = (v: number): number => Math.round(v * 1000) / 1000;
