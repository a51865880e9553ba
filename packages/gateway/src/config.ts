import { readFile } from "node:fs/promises";
import { dirname, isAbsolute, resolve } from "node:path";
import { hasProvider, type PriceOverrides } from "@rephysco/core";
import { validatePriceOverrides } from "@rephysco/core/http";
import type { BudgetRule, CooldownOptions, RateLimitRule } from "@rephysco/limits";
import { isMap, isPair, isScalar, isSeq, LineCounter, type Node, parseDocument } from "yaml";

/** A fallback of a named model: another provider (and model) tried when the first fails. */
export interface FallbackRoute {
  /** Registered provider id. */
  readonly provider: string;
  /** The provider's default model when absent. */
  readonly model?: string;
}

/** A named model in the config: which provider and model answer it, and how. */
export interface ModelRoute {
  /** Registered provider id. */
  readonly provider: string;
  /** The provider's default model when absent. */
  readonly model?: string;
  /** Tried in order when the primary fails before any output reached the client. */
  readonly fallbacks?: readonly FallbackRoute[];
  /** `true`: answers are cached in core's default (disk) cache. Default `false`. */
  readonly cache?: boolean;
  /** Retries after the first attempt (default: core's, 3). */
  readonly retries?: number;
  /** Time limit of each attempt, in ms. */
  readonly timeoutMs?: number;
  /** Provider settings (`baseURL`, `apiKey`, `headers`, provider-specific fields) as `LLMClient` takes them. */
  readonly settings?: Readonly<Record<string, unknown>>;
}

/** What a gateway serves: named models, the default route, provider settings, limits. */
export interface GatewayConfig {
  /** Named models, by the name clients send as `model`. */
  readonly models?: Readonly<Record<string, ModelRoute>>;
  /** Route of a bare model that is not a named model (default `"openai"`). */
  readonly defaultProvider?: string;
  /** Per-provider settings (`baseURL`, `apiKey`...) for `provider/model` routes and fallbacks. */
  readonly providers?: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
  /** Largest request body, in bytes (default 8 MiB: images travel inline as base64). */
  readonly maxBodyBytes?: number;
  /** Virtual keys: where they are stored and whether keys share cached answers. */
  readonly keys?: GatewayKeysConfig;
  /**
   * Redis shared by every instance: the answer cache of routes with `cache: true`, rate limits,
   * cool-downs and budgets. Without it each instance counts and caches on its own.
   */
  readonly redis?: GatewayRedisConfig;
  /** Gateway-wide rate limits, budgets and cool-downs (`@rephysco/limits` rules). */
  readonly limits?: GatewayLimitsConfig;
  /** On SIGTERM / `close()`: longest wait for requests and streams in flight, ms (default 30 000). */
  readonly drainTimeoutMs?: number;
  /** Prometheus metrics on `GET /metrics` (default on, unauthenticated). */
  readonly metrics?: GatewayMetricsConfig;
  /**
   * OpenTelemetry spans and GenAI metrics of every upstream call through `@rephysco/otel` (an
   * optional peer dependency, with `@opentelemetry/api`), sent to the global tracer and meter
   * providers your OpenTelemetry SDK registers. Default off.
   */
  readonly otel?: boolean | { readonly captureContent?: boolean };
  /**
   * Prices (USD per million tokens) by provider and model, over core's price sheet: for cost in
   * logs and metrics, and for USD budgets of models the sheet does not know (self-hosted ones).
   */
  readonly prices?: PriceOverrides;
}

/** The `metrics` section of a {@link GatewayConfig}. */
export interface GatewayMetricsConfig {
  /** Serve `GET /metrics` (default `true`). */
  readonly enabled?: boolean;
  /** When set, `/metrics` needs `Authorization: Bearer <token>` (it names keys and spend). */
  readonly bearerToken?: string;
  /** Node process metrics (CPU, memory, event loop lag, GC) too (default `true`). */
  readonly processMetrics?: boolean;
}

/** The `keys` section of a {@link GatewayConfig}. */
export interface GatewayKeysConfig {
  /**
   * The keys file `rephysco serve keys create` writes (relative paths are relative to the config
   * file). Once it exists, every request needs one of its keys.
   */
  readonly file?: string;
  /** Whether requests of different keys share cached answers (default `true`; a key can override it). */
  readonly shareCache?: boolean;
}

/** The `redis` section of a {@link GatewayConfig}. */
export interface GatewayRedisConfig {
  /** `redis://[user:password@]host:port[/db]` or `rediss://...`. */
  readonly url: string;
  /** Prefix of every key the gateway writes (default `"rephysco:"`; limits use `prefix + "limits:"`). */
  readonly prefix?: string;
}

/** The `limits` section of a {@link GatewayConfig}: `@rephysco/limits` options. */
export interface GatewayLimitsConfig {
  /** Rate limits (requests and tokens per sliding window). */
  readonly rateLimits?: readonly RateLimitRule[];
  /** Spending caps. */
  readonly budgets?: readonly BudgetRule[];
  /** Shared cool-downs after an upstream 429 (default on). */
  readonly cooldowns?: boolean | CooldownOptions;
  /** What a request does when a gateway-wide limit is full (default `"fail"`: a 429 with Retry-After). */
  readonly onLimit?: "wait" | "fail";
  /** Longest wait for capacity with `onLimit: "wait"`, ms. */
  readonly maxWaitMs?: number;
}

/** A config that cannot be read or is invalid; names the file, line and field when known. */
export class GatewayConfigError extends Error {
  /** The config file. */
  readonly path?: string;
  /** 1-based line of the offending value. */
  readonly line?: number;
  /** The offending field, as a dotted path (`models.fast.retries`). */
  readonly field?: string;

  constructor(message: string, where: { path?: string; line?: number; field?: string } = {}) {
    const at = [
      where.path !== undefined ? where.path : undefined,
      where.line !== undefined ? String(where.line) : undefined,
    ]
      .filter((x) => x !== undefined)
      .join(":");
    const field = where.field ? `${where.field}: ` : "";
    super(`${at ? `${at}: ` : ""}${field}${message}`);
    this.name = "GatewayConfigError";
    if (where.path !== undefined) this.path = where.path;
    if (where.line !== undefined) this.line = where.line;
    if (where.field !== undefined) this.field = where.field;
  }
}

/** Finds the line of a field: of its key when `key`, else of its value. */
type Locate = (path: readonly (string | number)[], key?: boolean) => number | undefined;

const MAX_TIMER = 2 ** 31 - 1;

function fieldName(path: readonly (string | number)[]): string {
  return path
    .map((p, i) => (typeof p === "number" ? `[${p}]` : i === 0 ? p : `.${p}`))
    .join("")
    .replace(/\.\[/g, "[");
}

/** A plain object (not null, not an array): what a JSON/YAML mapping parses to. */
export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/**
 * Checks a config value (parsed from a file, or given in code). Throws a
 * {@link GatewayConfigError} naming the field (and its line, when `locate` can tell).
 */
export function validateGatewayConfig(
  value: unknown,
  file?: string,
  locate: Locate = () => undefined,
): GatewayConfig {
  const fail = (path: readonly (string | number)[], message: string, key = false): never => {
    throw new GatewayConfigError(message, {
      ...(file !== undefined && { path: file }),
      ...(locate(path, key) !== undefined && { line: locate(path, key) as number }),
      ...(path.length > 0 && { field: fieldName(path) }),
    });
  };
  const known = (
    obj: Record<string, unknown>,
    path: readonly (string | number)[],
    keys: readonly string[],
  ) => {
    for (const k of Object.keys(obj))
      if (!keys.includes(k))
        fail([...path, k], `unknown field (expected one of: ${keys.join(", ")}).`, true);
  };
  const provider = (v: unknown, path: readonly (string | number)[]) => {
    if (typeof v !== "string" || v === "")
      fail(path, "must be a provider id (a non-empty string).");
    if (!hasProvider(v as string))
      fail(
        path,
        `unknown provider ${JSON.stringify(v)}: import the package that registers it (for example "@rephysco/${String(v).replaceAll("_", "")}").`,
      );
  };
  const model = (v: unknown, path: readonly (string | number)[]) => {
    if (v !== undefined && (typeof v !== "string" || v === ""))
      fail(path, "must be a non-empty string.");
  };
  const settings = (v: unknown, path: readonly (string | number)[]) => {
    if (v !== undefined && !isRecord(v)) fail(path, "must be an object of provider settings.");
  };

  if (value === undefined || value === null) return {};
  if (!isRecord(value)) fail([], "the config must be an object (a mapping).");
  const c = value as Record<string, unknown>;
  known(
    c,
    [],
    [
      "models",
      "defaultProvider",
      "providers",
      "maxBodyBytes",
      "keys",
      "redis",
      "limits",
      "drainTimeoutMs",
      "metrics",
      "otel",
      "prices",
    ],
  );
  if (c.prices !== undefined) {
    try {
      validatePriceOverrides(c.prices);
    } catch (error) {
      fail(["prices"], (error as Error).message);
    }
  }
  if (c.metrics !== undefined) {
    if (!isRecord(c.metrics))
      fail(["metrics"], "must be an object { enabled?, bearerToken?, processMetrics? }.");
    const m = c.metrics as Record<string, unknown>;
    known(m, ["metrics"], ["enabled", "bearerToken", "processMetrics"]);
    for (const k of ["enabled", "processMetrics"])
      if (m[k] !== undefined && typeof m[k] !== "boolean")
        fail(["metrics", k], "must be true or false.");
    if (
      m.bearerToken !== undefined &&
      (typeof m.bearerToken !== "string" || m.bearerToken.length < 16)
    )
      fail(["metrics", "bearerToken"], "must be a string of at least 16 characters.");
  }
  if (c.otel !== undefined && typeof c.otel !== "boolean") {
    if (!isRecord(c.otel)) fail(["otel"], "must be true, false or { captureContent? }.");
    known(c.otel as Record<string, unknown>, ["otel"], ["captureContent"]);
    const cc = (c.otel as Record<string, unknown>).captureContent;
    if (cc !== undefined && typeof cc !== "boolean")
      fail(["otel", "captureContent"], "must be true or false.");
  }
  if (c.drainTimeoutMs !== undefined) {
    const t = c.drainTimeoutMs;
    if (typeof t !== "number" || !Number.isInteger(t) || t < 0 || t > MAX_TIMER)
      fail(["drainTimeoutMs"], `must be an integer from 0 to ${MAX_TIMER} (ms).`);
  }
  if (c.keys !== undefined) {
    if (!isRecord(c.keys)) fail(["keys"], "must be an object { file?, shareCache? }.");
    const k = c.keys as Record<string, unknown>;
    known(k, ["keys"], ["file", "shareCache"]);
    if (k.file !== undefined && (typeof k.file !== "string" || k.file === ""))
      fail(["keys", "file"], "must be a file path.");
    if (k.shareCache !== undefined && typeof k.shareCache !== "boolean")
      fail(["keys", "shareCache"], "must be true or false.");
  }
  if (c.redis !== undefined) {
    if (!isRecord(c.redis)) fail(["redis"], "must be an object { url, prefix? }.");
    const r = c.redis as Record<string, unknown>;
    known(r, ["redis"], ["url", "prefix"]);
    if (typeof r.url !== "string" || !/^rediss?:\/\//.test(r.url))
      fail(["redis", "url"], "must be a redis:// or rediss:// URL.");
    if (r.prefix !== undefined && typeof r.prefix !== "string")
      fail(["redis", "prefix"], "must be a string.");
  }
  if (c.limits !== undefined) {
    if (!isRecord(c.limits)) fail(["limits"], "must be an object { rateLimits?, budgets?, ... }.");
    known(
      c.limits as Record<string, unknown>,
      ["limits"],
      ["rateLimits", "budgets", "cooldowns", "onLimit", "maxWaitMs"],
    );
    // The rules themselves are checked by @rephysco/limits when the gateway starts.
  }
  if (c.defaultProvider !== undefined) provider(c.defaultProvider, ["defaultProvider"]);
  if (c.maxBodyBytes !== undefined) {
    const n = c.maxBodyBytes;
    if (typeof n !== "number" || !Number.isSafeInteger(n) || n < 1)
      fail(["maxBodyBytes"], "must be a positive integer (bytes).");
  }
  if (c.providers !== undefined) {
    if (!isRecord(c.providers))
      fail(["providers"], "must be a mapping of provider id to settings.");
    for (const [id, s] of Object.entries(c.providers as Record<string, unknown>)) {
      if (!hasProvider(id))
        fail(
          ["providers", id],
          `unknown provider ${JSON.stringify(id)}: import the package that registers it.`,
          true,
        );
      if (!isRecord(s)) fail(["providers", id], "must be an object of provider settings.");
    }
  }
  if (c.models !== undefined) {
    if (!isRecord(c.models)) fail(["models"], "must be a mapping of model name to route.");
    for (const [name, r] of Object.entries(c.models as Record<string, unknown>)) {
      const p = ["models", name];
      if (name === "") fail(p, "a model name must be a non-empty string.", true);
      if (!isRecord(r)) fail(p, "must be an object with at least a provider.");
      const route = r as Record<string, unknown>;
      known(route, p, [
        "provider",
        "model",
        "fallbacks",
        "cache",
        "retries",
        "timeoutMs",
        "settings",
      ]);
      if (route.provider === undefined) fail(p, "provider is required.");
      provider(route.provider, [...p, "provider"]);
      model(route.model, [...p, "model"]);
      if (route.cache !== undefined && typeof route.cache !== "boolean")
        fail([...p, "cache"], "must be true or false.");
      const retries = route.retries;
      if (
        retries !== undefined &&
        (typeof retries !== "number" || !Number.isInteger(retries) || retries < 0 || retries > 100)
      )
        fail([...p, "retries"], "must be an integer from 0 to 100.");
      const t = route.timeoutMs;
      if (
        t !== undefined &&
        (typeof t !== "number" || !Number.isInteger(t) || t < 1 || t > MAX_TIMER)
      )
        fail([...p, "timeoutMs"], `must be an integer from 1 to ${MAX_TIMER} (ms).`);
      settings(route.settings, [...p, "settings"]);
      if (route.fallbacks !== undefined) {
        if (!Array.isArray(route.fallbacks))
          fail([...p, "fallbacks"], "must be a list of { provider, model? }.");
        (route.fallbacks as unknown[]).forEach((f, i) => {
          const fp = [...p, "fallbacks", i];
          if (!isRecord(f)) fail(fp, "must be an object { provider, model? }.");
          known(f as Record<string, unknown>, fp, ["provider", "model"]);
          provider((f as Record<string, unknown>).provider, [...fp, "provider"]);
          model((f as Record<string, unknown>).model, [...fp, "model"]);
        });
      }
    }
  }
  return c as GatewayConfig;
}

/**
 * Parses and validates a gateway config written in JSON or YAML (JSON is YAML too). Every
 * error names the file, the line and the field.
 *
 * @param text - the config text.
 * @param path - the file it came from (for messages).
 * @throws {GatewayConfigError} on a syntax error, an unknown field, a value of the wrong type or
 *   an unregistered provider id.
 */
export function parseGatewayConfig(text: string, path: string): GatewayConfig {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const first = doc.errors[0];
  if (first) {
    const line = lineCounter.linePos(first.pos[0]).line;
    throw new GatewayConfigError(`invalid YAML/JSON: ${first.message.split("\n")[0]}`, {
      path,
      line,
    });
  }
  const lineAt = (node: Node | null | undefined): number | undefined => {
    const offset = node?.range?.[0];
    return offset === undefined ? undefined : lineCounter.linePos(offset).line;
  };
  const locate: Locate = (fieldPath, key) => {
    let node: unknown = doc.contents;
    let last: unknown = node;
    for (let i = 0; i < fieldPath.length; i++) {
      const seg = fieldPath[i];
      if (isMap(node)) {
        const pair = node.items.find(
          (it) => isPair(it) && isScalar(it.key) && String(it.key.value) === String(seg),
        );
        if (!pair) break;
        if (key && i === fieldPath.length - 1) return lineAt(pair.key as Node);
        node = pair.value;
      } else if (isSeq(node) && typeof seg === "number") {
        node = node.items[seg];
      } else break;
      if (node) last = node;
    }
    return lineAt(last as Node);
  };
  const config = validateGatewayConfig(doc.toJS(), path, locate);
  // The keys file is relative to the config file, wherever the gateway is started from.
  const file = config.keys?.file;
  if (file !== undefined && !isAbsolute(file))
    return { ...config, keys: { ...config.keys, file: resolve(dirname(path), file) } };
  return config;
}

/**
 * Reads, parses and validates a gateway config file (JSON or YAML).
 *
 * @throws {GatewayConfigError} when the file cannot be read or is invalid.
 */
export async function loadGatewayConfig(path: string): Promise<GatewayConfig> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    throw new GatewayConfigError(`cannot read the config: ${(error as Error).message}`, { path });
  }
  return parseGatewayConfig(text, path);
}
