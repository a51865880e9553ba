import { createHash, randomUUID, timingSafeEqual } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import {
  type CallParams,
  isAbortError,
  type Middleware,
  type PriceOverrides,
  ProviderError,
} from "@rephysco/core";
import { findPrice } from "@rephysco/core/http";
import { estimateTokens } from "@rephysco/limits";
import Fastify, { type FastifyReply, type FastifyRequest, LogController } from "fastify";
import pino from "pino";
import { type GatewayConfig, GatewayConfigError, validateGatewayConfig } from "./config.js";
import { errorEvent, HttpError, toErrorAnswer } from "./errors.js";
import { cacheNamespaceOf, createFleet } from "./fleet.js";
import { KeyLimiter } from "./key-limits.js";
import { type KeyIdentity, KeyRing, modelAllowed } from "./keys.js";
import {
  GatewayMetrics,
  ms3,
  type RequestRecord,
  recordAnswer,
  timingMiddleware,
  track,
} from "./observe.js";
import { ChunkWriter, completionBody, drained } from "./respond.js";
import { type ClientExtras, Router, setResponseFormat } from "./routes.js";
import { translateRequest } from "./translate.js";
import { createFastFetch } from "./transport.js";

/** Options of the gateway process itself. */
export interface GatewayOptions {
  /**
   * The log, as JSON lines on stdout (Fastify's default destination; default off). `true` logs
   * at level `"info"` (every request and failures); a level logs that level and above:
   * `"warn"` or `"error"` log failures only. Failures are logged as a fixed set of fields
   * (`type`, `message`, `provider`, `model`, `status`, `code`, `reason`, `requestId`): never
   * request bodies, model output or upstream bodies.
   */
  readonly logger?: boolean | "error" | "warn" | "info";
  /**
   * Middleware added to every upstream client (after the gateway's own limits), for example
   * `otel({ tracerProvider })` from `@rephysco/otel`. The config's `otel: true` adds `otel()`
   * with the global providers.
   */
  readonly middleware?: readonly Middleware[];
  /**
   * How upstream calls go out (unless a provider's settings name a `fetch`): `"pooled"`
   * (default) is the gateway's keep-alive `fetch` on undici's `request` (see `createFastFetch`),
   * about a quarter of the CPU of Node's `fetch`; `"global"` is Node's `fetch`; or your own
   * `fetch`. Gemini always keeps Node's (its image downloader's address checks need it).
   */
  readonly upstreamFetch?: "pooled" | "global" | typeof globalThis.fetch;
}

/** A running (or ready to run) gateway. */
export interface Gateway {
  /** For embedding: a plain Node request listener (`http.createServer(gateway.handler)`). */
  readonly handler: (req: IncomingMessage, res: ServerResponse) => void;
  /** The gateway's own HTTP server (not listening until `listen()`). */
  readonly server: Server;
  /** Starts listening (default `127.0.0.1:4000`; port 0 picks a free port). */
  listen(options?: { readonly port?: number; readonly host?: string }): Promise<{
    readonly url: string;
  }>;
  /**
   * Drains and stops: `/readyz` answers 503 at once, new connections are refused, requests and
   * streams in flight get up to `drainTimeoutMs` (the config's, default 30 s) to finish; then
   * the connections left are cut (their upstream calls aborted) and Redis connections closed.
   */
  close(options?: { readonly drainTimeoutMs?: number }): Promise<void>;
}

const DEFAULT_MAX_BODY = 8 * 1024 * 1024;
const CHAT_PATH = "/v1/chat/completions";
const KNOWN_PATHS: Readonly<Record<string, string>> = {
  [CHAT_PATH]: "POST",
  "/v1/models": "GET, HEAD",
  "/healthz": "GET, HEAD",
  "/readyz": "GET, HEAD",
};

/** `otel()` of `@rephysco/otel` when the config asks for it (an optional peer dependency). */
async function otelMiddleware(option: GatewayConfig["otel"]): Promise<Middleware[]> {
  if (!option) return [];
  let mod: { otel(o?: { captureContent?: boolean }): Middleware[] };
  try {
    mod = (await import("@rephysco/otel")) as typeof mod;
  } catch (error) {
    throw new GatewayConfigError(
      `cannot load @rephysco/otel (${(error as Error).message}): install it and @opentelemetry/api next to the gateway.`,
      { field: "otel" },
    );
  }
  return mod.otel(
    typeof option === "object" && option.captureContent !== undefined
      ? { captureContent: option.captureContent }
      : {},
  );
}

/** Compares a header with a secret in constant time (by their SHA-256). */
function sameSecret(given: string | undefined, expected: string): boolean {
  if (given === undefined) return false;
  const a = createHash("sha256").update(given).digest();
  const b = createHash("sha256").update(expected).digest();
  return timingSafeEqual(a, b);
}

/** What every chat request shares. */
interface ChatContext {
  /** Whether the gateway is draining. */
  readonly closing: () => boolean;
  readonly keyLimiter: KeyLimiter;
  readonly prices: PriceOverrides | undefined;
}

/** What the access log, metrics and failure log learn about each request. */
const records = new WeakMap<FastifyRequest, RequestRecord>();

const DEFAULT_DRAIN_MS = 30_000;

function missingKey(): HttpError {
  return new HttpError(
    401,
    "You didn't provide an API key. Provide your gateway key in an Authorization header using Bearer auth (Authorization: Bearer YOUR_KEY).",
    "invalid_request_error",
    null,
    "missing_api_key",
  );
}

function invalidKey(): HttpError {
  return new HttpError(
    401,
    "Incorrect API key provided. Keys are created with `rephysco serve keys create NAME`.",
    "invalid_request_error",
    null,
    "invalid_api_key",
  );
}

/**
 * The fields of a failure that are logged: a fixed set, so model output (`partialContent`),
 * upstream bodies, headers and URLs never reach the log. Core scrubs keys from messages.
 */
function logFields(error: unknown, request: FastifyRequest): Record<string, unknown> {
  const e = (typeof error === "object" && error !== null ? error : {}) as {
    name?: unknown;
    message?: unknown;
    provider?: unknown;
    status?: unknown;
    code?: unknown;
    reason?: unknown;
    requestId?: unknown;
  };
  const fields: Record<string, unknown> = {
    type: typeof e.name === "string" ? e.name : "Error",
    message: typeof e.message === "string" ? e.message : String(error),
  };
  const model = records.get(request)?.routedModel;
  if (model !== undefined) fields.model = model;
  for (const k of ["provider", "status", "code", "reason", "requestId"] as const) {
    const v = e[k];
    if (typeof v === "string" || typeof v === "number") fields[k] = v;
  }
  return fields;
}

function sendError(reply: FastifyReply, error: unknown): FastifyReply {
  const a = toErrorAnswer(error);
  return reply
    .code(a.status)
    .headers(a.headers)
    .header("content-type", "application/json")
    .send(a.body);
}

/** Fastify's own errors (body too large, broken JSON, bad content type) in OpenAI's shape. */
function fastifyError(error: { code?: string; statusCode?: number; message: string }): HttpError {
  switch (error.code) {
    case "FST_ERR_CTP_BODY_TOO_LARGE":
      return new HttpError(
        413,
        "The request body is too large.",
        "invalid_request_error",
        null,
        "request_too_large",
      );
    case "FST_ERR_CTP_INVALID_MEDIA_TYPE":
      return new HttpError(
        415,
        "Unsupported content type: send the body as application/json.",
        "invalid_request_error",
        null,
        "unsupported_media_type",
      );
    case "FST_ERR_CTP_EMPTY_JSON_BODY":
      return new HttpError(
        400,
        "The request body is empty: send a JSON object.",
        "invalid_request_error",
        null,
        "invalid_body",
      );
    default: {
      const status = error.statusCode ?? 500;
      if (status >= 400 && status < 500)
        return new HttpError(
          status,
          status === 400
            ? `We could not parse the JSON body of your request. (${error.message})`
            : error.message,
          "invalid_request_error",
          null,
          status === 400 ? "invalid_json" : null,
        );
      return new HttpError(500, "The gateway failed to handle the request.", "server_error");
    }
  }
}

/**
 * Creates an OpenAI-compatible gateway: `POST /v1/chat/completions` (JSON and SSE),
 * `GET /v1/models`, `GET /healthz`, `GET /readyz`. Routes: a named model of the config, a
 * `provider/model`, or a model of the default provider. The clients of the routes are built
 * here, once.
 *
 * @example
 * ```ts
 * import "@rephysco/openai";
 * import { createGateway } from "@rephysco/gateway";
 *
 * const gateway = await createGateway({ models: { fast: { provider: "openai", model: "gpt-4.1-mini" } } });
 * const { url } = await gateway.listen({ port: 4000 });
 * ```
 *
 * @throws {GatewayConfigError} for an invalid config or a named model whose client cannot be created.
 */
export async function createGateway(
  config: GatewayConfig = {},
  options: GatewayOptions = {},
): Promise<Gateway> {
  const checked = validateGatewayConfig(config);
  let log: { error(o: object, m: string): void } | undefined;
  // A failure outside any request: to the log, or a process warning when the log is off.
  const warn = (type: string, message: string): void => {
    if (log) log.error({ failure: { type, message } }, message);
    else process.emitWarning(message, "RephyscoGatewayWarning");
  };
  const ring = checked.keys?.file
    ? new KeyRing(checked.keys.file, {
        onChange: () => {
          privateRouters.clear();
        },
        onError: (error) =>
          warn(
            "KeysFileError",
            `keys file reload failed; the previous keys stay in force: ${(error as Error).message}`,
          ),
      })
    : undefined;
  await ring?.load();
  const metrics =
    checked.metrics?.enabled === false
      ? undefined
      : new GatewayMetrics({ defaultMetrics: checked.metrics?.processMetrics !== false });
  // Before the pool: a missing optional peer fails the start with nothing to close.
  const telemetry = await otelMiddleware(checked.otel);
  const pooled =
    options.upstreamFetch === undefined || options.upstreamFetch === "pooled"
      ? createFastFetch()
      : undefined;
  const upstreamFetch =
    pooled?.fetch ??
    (typeof options.upstreamFetch === "function" ? options.upstreamFetch : undefined);
  const extras: ClientExtras = {
    ...(upstreamFetch && { fetch: upstreamFetch }),
    middleware: [timingMiddleware, ...telemetry, ...(options.middleware ?? [])],
    ...(metrics && { onEvent: (e) => metrics.event(e) }),
  };
  const fleet = createFleet(checked);
  const keyLimiter = new KeyLimiter(fleet.limitStore, (error) =>
    warn(
      "LimitStoreError",
      `the limit store failed: ${(error as Error)?.message ?? String(error)}`,
    ),
  );
  // Keys that keep their cached answers to themselves: their own clients, built on first use.
  const privateRouters = new Map<string, Router>();
  let router: Router;
  try {
    router = new Router(checked, fleet, undefined, extras);
  } catch (error) {
    await fleet.close();
    await pooled?.destroy();
    throw error;
  }
  ring?.watch();
  const startedAt = Math.floor(Date.now() / 1000);
  let handler: ((req: IncomingMessage, res: ServerResponse) => void) | undefined;
  let closing: Promise<void> | undefined;
  /** Responses in flight: cut at the drain deadline, also when embedded in another server. */
  const open = new Set<ServerResponse>();
  let idle: (() => void) | undefined;
  const app = Fastify({
    // The gateway's own pino (pinned here), JSON lines on stdout; none when the log is off.
    ...(options.logger
      ? {
          loggerInstance: pino({
            level: typeof options.logger === "string" ? options.logger : "info",
          }),
        }
      : { logger: false }),
    bodyLimit: checked.maxBodyBytes ?? DEFAULT_MAX_BODY,
    genReqId: () => randomUUID().replaceAll("-", ""),
    // One access line per request is written below (with model, tokens, cost...), not Fastify's two.
    logController: new LogController({ disableRequestLogging: true }),
    // Requests that arrive while closing get OpenAI's error shape (the onRequest hook below).
    return503OnClosing: false,
    serverFactory: (h) => {
      handler = h;
      return createServer(h);
    },
  });

  log = app.log;
  const accessLog = options.logger === true || options.logger === "info";
  // Only JSON bodies: anything else (text/plain included) gets the 415.
  app.removeContentTypeParser("text/plain");

  app.addHook("onRequest", (request, reply, done) => {
    reply.header("x-request-id", `req_${request.id}`);
    if (closing && request.url !== "/readyz" && request.url !== "/healthz") {
      // On a keep-alive connection that was open when the drain began: refused, retryable
      // elsewhere, and the connection closes after this answer.
      reply.header("connection", "close");
      done(
        new HttpError(
          503,
          "The gateway is shutting down; retry the request (another instance will take it).",
          "server_error",
          null,
          "shutting_down",
          { "x-should-retry": "true" },
        ),
      );
      return;
    }
    const api = request.url.startsWith("/v1/");
    const record: RequestRecord = { start: performance.now(), upstreamMs: 0, api };
    records.set(request, record);
    metrics?.started();
    const res = reply.raw;
    open.add(res);
    res.once("close", () => {
      open.delete(res);
      if (open.size === 0 && idle) idle();
      const ms = performance.now() - record.start;
      // A response cut before it ended (client gone, drain deadline) is logged as 499.
      const status = res.writableFinished ? res.statusCode : 499;
      record.admission?.settle({
        ...(record.usage && { usage: record.usage }),
        ...(record.cost && { cost: record.cost }),
        cached: record.cache === "hit",
      });
      metrics?.finished(record, status, ms / 1000);
      if (api && accessLog) accessLine(request, record, status, ms);
    });
    // Virtual keys: once the keys file exists, the API needs one of its keys, checked from the
    // headers before any body is read.
    if (api && ring?.enabled) {
      const header = request.headers.authorization;
      const identity = header ? ring.authenticate(header) : undefined;
      if (!identity) {
        done(header ? invalidKey() : missingKey());
        return;
      }
      record.identity = identity;
      record.key = identity.name;
    }
    done();
  });

  app.setErrorHandler((error, request, reply) => {
    const e = error as { code?: string; statusCode?: number; message: string; name?: unknown };
    // The access line's error class (and, for an upstream failure, the provider that failed).
    const record = records.get(request);
    if (record) {
      record.errorType = typeof e.name === "string" ? e.name : "Error";
      const provider = (error as { provider?: unknown }).provider;
      if (typeof provider === "string") record.provider = provider;
    }
    let mapped: unknown = error;
    if (typeof e.code === "string" && e.code.startsWith("FST_")) mapped = fastifyError(e);
    else if (
      e.statusCode !== undefined &&
      !(error instanceof HttpError) &&
      !("provider" in (error as object))
    )
      mapped = fastifyError(e);
    const answer = toErrorAnswer(mapped);
    // Upstream failures and the gateway's own bugs are logged (core scrubs keys from error
    // messages); the request body never is.
    if (answer.status >= 500 || !(mapped instanceof HttpError || mapped instanceof ProviderError))
      request.log.error({ failure: logFields(error, request) }, "request failed");
    return reply
      .code(answer.status)
      .headers(answer.headers)
      .header("content-type", "application/json")
      .send(answer.body);
  });

  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split("?", 1)[0] ?? "";
    const allow = KNOWN_PATHS[path] ?? (metrics && path === "/metrics" ? "GET, HEAD" : undefined);
    if (allow)
      return sendError(
        reply,
        new HttpError(
          405,
          `Method ${request.method} is not allowed on ${path}; use ${allow}.`,
          "invalid_request_error",
          null,
          "method_not_allowed",
          { allow },
        ),
      );
    return sendError(
      reply,
      new HttpError(
        404,
        `Unknown request URL: ${request.method} ${path}.`,
        "invalid_request_error",
        null,
        "unknown_url",
      ),
    );
  });

  app.get("/healthz", (_req, reply) => reply.send({ status: "ok" }));
  if (metrics) {
    const token = checked.metrics?.bearerToken;
    app.get("/metrics", async (request, reply) => {
      if (token !== undefined && !sameSecret(request.headers.authorization, `Bearer ${token}`))
        throw new HttpError(
          401,
          "The metrics need Authorization: Bearer <metrics.bearerToken>.",
          "invalid_request_error",
          null,
          "invalid_api_key",
        );
      const body = await metrics.registry.metrics();
      return reply.header("content-type", metrics.registry.contentType).send(body);
    });
  }
  app.get("/readyz", (_req, reply) =>
    closing ? reply.code(503).send({ status: "not ready" }) : reply.send({ status: "ready" }),
  );
  // Built once: the list changes only with the config and the registered providers.
  const modelsBody = JSON.stringify({
    object: "list",
    data: router.models().map((m) => ({
      id: m.id,
      object: "model",
      created: startedAt,
      owned_by: m.owned_by,
    })),
  });
  app.get("/v1/models", (request, reply) => {
    const allowed = records.get(request)?.identity?.record.models;
    const body = allowed
      ? JSON.stringify({
          object: "list",
          data: router
            .models()
            .filter((m) => modelAllowed(allowed, m.id))
            .map((m) => ({ id: m.id, object: "model", created: startedAt, owned_by: m.owned_by })),
        })
      : modelsBody;
    return reply.header("content-type", "application/json; charset=utf-8").send(body);
  });

  const ctx: ChatContext = { keyLimiter, prices: checked.prices, closing: () => !!closing };
  app.post(CHAT_PATH, (request, reply) => {
    const identity = records.get(request)?.identity;
    if (identity && !fleet.sharesCache(identity)) {
      const ns = cacheNamespaceOf(identity);
      let own = privateRouters.get(ns);
      if (!own) {
        own = new Router(checked, fleet, ns, extras);
        privateRouters.set(ns, own);
      }
      return chat(request, reply, own, identity, ctx);
    }
    return chat(request, reply, router, identity, ctx);
  });
  // Responses that end while the gateway drains close their connection: the client's next
  // request opens a new one (to another instance) instead of meeting a cut socket.
  app.addHook("onSend", (_request, reply, payload, done) => {
    if (closing) reply.header("connection", "close");
    done(null, payload);
  });

  /** The access line of a chat request: never the key, the prompt or the answer. */
  function accessLine(request: FastifyRequest, r: RequestRecord, status: number, ms: number) {
    request.log.info(
      {
        key: r.key,
        // The client's string, bounded (a line is not a place for a megabyte).
        model:
          r.model !== undefined && r.model.length > 200 ? `${r.model.slice(0, 200)}…` : r.model,
        provider: r.provider,
        upstreamModel: r.upstreamModel,
        stream: r.stream,
        status,
        cache: r.cache,
        ...(r.usage && {
          tokens: {
            prompt: r.usage.promptTokens,
            completion: r.usage.completionTokens,
            total: r.usage.totalTokens,
          },
        }),
        ...(r.cost && { costUsd: r.cost.total }),
        latencyMs: ms3(ms),
        upstreamMs: ms3(r.upstreamMs),
        ...(r.overheadMs !== undefined && { overheadMs: ms3(r.overheadMs) }),
        ...(r.errorType && { error: r.errorType }),
      },
      "request",
    );
  }

  await app.ready();
  if (!handler) throw new Error("Fastify did not call the server factory.");
  const h = handler;
  return {
    handler: h,
    server: app.server,
    async listen(o = {}) {
      const url = await app.listen({ port: o.port ?? 4000, host: o.host ?? "127.0.0.1" });
      return { url };
    },
    close(o = {}) {
      if (closing) return closing;
      const deadline = o.drainTimeoutMs ?? checked.drainTimeoutMs ?? DEFAULT_DRAIN_MS;
      closing = (async () => {
        const closed = app.close();
        // Keep-alive sockets with no request in flight would hold the close until they time out.
        app.server.closeIdleConnections();
        // Once the requests in flight are answered (or the deadline passed), drop every
        // connection left (also those that never sent a request): a cut stream aborts its
        // upstream call.
        if (open.size > 0) {
          let timer: NodeJS.Timeout | undefined;
          await Promise.race([
            new Promise<void>((resolve) => (idle = resolve)),
            new Promise<void>((resolve) => (timer = setTimeout(resolve, deadline))),
          ]);
          clearTimeout(timer);
        }
        for (const res of open) res.destroy();
        app.server.closeAllConnections();
        await closed;
        metrics?.registry.clear();
        await ring?.close();
        await fleet.close();
        // Every request is answered or cut by now: what is left upstream goes too.
        await pooled?.destroy();
      })();
      return closing;
    },
  };
}

async function chat(
  request: FastifyRequest,
  reply: FastifyReply,
  router: Router,
  identity: KeyIdentity | undefined,
  ctx: ChatContext,
): Promise<FastifyReply | undefined> {
  const record = records.get(request)!;
  // The client's string, recorded before validation (a refused request is logged with it).
  const model = (request.body as { model?: unknown } | null)?.model;
  if (typeof model === "string") record.model = model;
  const plan = translateRequest(request.body);
  record.stream = plan.stream;
  if (identity && !modelAllowed(identity.record.models, plan.model))
    throw new HttpError(
      403,
      `The key "${identity.name}" may not use the model ${JSON.stringify(plan.model)}.`,
      "invalid_request_error",
      "model",
      "model_not_allowed",
    );
  const route = router.resolve(plan.model);
  const routed = route.model ?? route.client.model ?? plan.model;
  record.routedModel = routed;
  record.provider = route.provider.name;
  record.cache = route.cached ? "miss" : "off";
  if (identity && (identity.record.rateLimit || identity.record.budget)) {
    const maxTokens = plan.options.maxTokens;
    record.admission = await ctx.keyLimiter.admit(identity, {
      // An estimate of the messages (and schema): the window is settled to the actual usage.
      promptTokens: estimateTokens({
        messages: plan.messages,
        ...(plan.responseFormat && { responseFormat: plan.responseFormat }),
      } as unknown as CallParams),
      ...(maxTokens !== undefined && { maxTokens }),
      priced:
        findPrice(route.provider.name, [routed], route.provider.prices?.models, ctx.prices) !==
        undefined,
      model: routed,
    });
  }
  const ac = new AbortController();
  track(ac.signal, record);
  const res = reply.raw;
  // The client went away before the answer was complete: stop the upstream call.
  res.on("close", () => {
    if (!res.writableFinished) ac.abort();
  });
  // Only requests with a response format go through the client with the format middleware.
  let client = route.client;
  if (plan.responseFormat) {
    setResponseFormat(ac.signal, plan.responseFormat, route);
    client = route.formatClient;
  }
  const options = {
    ...plan.options,
    signal: ac.signal,
    ...(route.model !== undefined && { model: route.model }),
  };
  const rid = request.id;
  const id = `chatcmpl-${rid}`;
  const created = Math.floor(Date.now() / 1000);

  // The client went away before the answer (its disconnect aborted the call): nothing to send.
  const clientGone = (error: unknown): boolean => {
    if (!ac.signal.aborted && !isAbortError(error)) return false;
    reply.hijack();
    res.destroy();
    return true;
  };

  if (!plan.stream) {
    let answer: Awaited<ReturnType<typeof route.client.generate>>;
    const callStart = performance.now();
    try {
      answer = await client.generate(plan.messages, options);
    } catch (error) {
      if (clientGone(error)) return undefined;
      throw error;
    }
    recordAnswer(record, answer, route.cached);
    // No attempt was seen (the request joined an identical one in flight, or led one whose
    // signal the cache replaced): the whole call was the upstream's wait.
    if (record.upstreamMs === 0 && !answer.cached)
      record.upstreamMs = performance.now() - callStart;
    const bodyText = completionBody(id, created, answer);
    record.overheadMs = performance.now() - record.start - record.upstreamMs;
    return reply
      .header("content-type", "application/json")
      .header("x-rephysco-overhead-ms", ms3(record.overheadMs).toString())
      .send(bodyText);
  }

  const callStart = performance.now();
  const iterator = client.stream(plan.messages, options)[Symbol.asyncIterator]();
  let next: IteratorResult<import("@rephysco/core").StreamChunk, void>;
  // Nothing is sent before the first chunk: until then errors are plain HTTP errors and
  // fallbacks still apply.
  try {
    next = await iterator.next();
  } catch (error) {
    if (clientGone(error)) return undefined;
    throw error;
  }
  reply.hijack();
  // Up to the first byte: the stream's time to first part was upstream (see generate above).
  if (record.upstreamMs === 0 && !(!next.done && next.value.cached === true))
    record.upstreamMs = performance.now() - callStart;
  record.overheadMs = performance.now() - record.start - record.upstreamMs;
  res.writeHead(200, {
    "x-rephysco-overhead-ms": ms3(record.overheadMs).toString(),
    "content-type": "text/event-stream; charset=utf-8",
    "cache-control": "no-cache",
    connection: ctx.closing() ? "close" : "keep-alive",
    "x-request-id": `req_${rid}`,
  });
  const writer = new ChunkWriter(id, created, plan.includeUsage);
  try {
    if (!next.done) recordAnswer(record, next.value, route.cached);
    // Written inline; a promise only when the socket's buffer is full.
    if (!res.write(writer.start((!next.done && next.value.model) || route.model || client.model)))
      await drained(res);
    while (!next.done) {
      if (res.destroyed) {
        await iterator.return?.();
        return undefined;
      }
      const v = next.value;
      if (v.usage !== undefined || v.cached !== undefined) recordAnswer(record, v, route.cached);
      const s = writer.chunk(v);
      if (s && !res.write(s)) await drained(res);
      next = await iterator.next();
    }
    if (!res.destroyed) res.end(writer.end());
  } catch (error) {
    if (ac.signal.aborted || isAbortError(error) || res.destroyed) {
      res.destroy();
      return undefined;
    }
    // After the first byte: an error event the OpenAI SDK raises, never a clean end.
    const name = (error as { name?: unknown } | null)?.name;
    record.errorType = typeof name === "string" ? name : "Error";
    request.log.error({ failure: logFields(error, request) }, "upstream failed mid-stream");
    res.end(errorEvent(error));
  }
  return undefined;
}
