import type { CachedResponse, CacheEntry, CacheStore } from "../cache/cache-store.js";
import { isCacheEntry } from "../cache/cache-store.js";
import type { StreamPart } from "../stream-part.js";
import type { ModelResponse, ToolCall } from "../types.js";
import { Assembler, responseParts } from "./assemble.js";
import type { EventListener } from "./events.js";
import { emit } from "./events.js";
import type { CallMode, PipelinePart, PipelineRequest, Stage } from "./pipeline.js";

/** The cache stage with the means to wait for its background writes. */
export interface CacheStage {
  readonly stage: Stage;
  /** Resolves once every write started so far has landed (or failed and been reported). */
  flush(): Promise<void>;
}

/**
 * The cache stage: reads the store (replaying a stored stream as parts, or a stored answer as one
 * response, whichever the call wants), and writes complete answers in the background (a slow
 * store never delays a caller; hits are served from the pending write meanwhile). A failing
 * store never fails a call: it is a `cache_error` event (or one process warning when nobody
 * listens) and the call goes upstream. Absent when the client has no cache.
 */
export function cacheStage(
  store: CacheStore,
  listener: EventListener | undefined,
  primaryName: string,
): CacheStage {
  const pending = new Map<string, CacheEntry>();
  const writes = new Set<Promise<unknown>>();
  let warned = false;

  const failed = (operation: "get" | "set", key: string, error: unknown) => {
    emit(listener, { type: "cache_error", operation, key, error });
    if (listener || warned) return;
    warned = true;
    process.emitWarning(
      `rephysco: the cache store failed, requests go upstream: ${String((error as Error)?.message ?? error)}`,
      "RephyscoWarning",
    );
  };

  const read = async (key: string, stream: boolean): Promise<CacheEntry | undefined> => {
    let value: unknown = pending.get(key);
    if (value === undefined) {
      try {
        value = await store.get(key);
      } catch (error) {
        failed("get", key, error);
        return undefined;
      }
      if (value !== undefined && value !== null && !isCacheEntry(value)) {
        // Not ours or damaged: a miss, and make room for a good entry.
        store.delete(key).catch(() => {});
        value = undefined;
      }
    }
    if (listener) emit(listener, { type: value ? "cache_hit" : "cache_miss", key, stream });
    return (value as CacheEntry | undefined) ?? undefined;
  };

  const write = (key: string, entry: CacheEntry, ttlMs: number | undefined): void => {
    pending.set(key, entry);
    let op: Promise<unknown>;
    try {
      op = store.set(key, entry, ttlMs);
    } catch (error) {
      op = Promise.reject(error);
    }
    const done = Promise.resolve(op)
      .catch((error: unknown) => failed("set", key, error))
      .finally(() => {
        if (pending.get(key) === entry) pending.delete(key);
        writes.delete(done);
      });
    writes.add(done);
  };

  async function* cached(
    req: PipelineRequest,
    next: (r: PipelineRequest) => AsyncIterable<PipelinePart>,
  ): AsyncGenerator<PipelinePart, void, undefined> {
    const key = req.key!;
    const mode = req.params.mode;
    if (req.cacheMode === "use") {
      const hit = await read(key, mode === "stream");
      if (hit) {
        req.trace.cached = true;
        yield* replay(hit, mode, req, primaryName);
        return;
      }
    }
    const collected: PipelinePart[] = [];
    for await (const part of next(req)) {
      collected.push(part);
      yield part;
    }
    const entry = toEntry(collected, mode, req);
    if (entry) write(key, entry, req.ttlMs);
  }

  return {
    stage: (next) => (req) =>
      req.cacheMode === "off" || req.key === undefined ? next(req) : cached(req, next),
    async flush() {
      while (writes.size > 0) await Promise.all(writes);
    },
  };
}

/** What is stored of a completed call: the answer, or the stream's parts. */
function toEntry(
  parts: readonly PipelinePart[],
  mode: CallMode,
  req: PipelineRequest,
): CacheEntry | undefined {
  if (mode === "generate") {
    const part = parts.find((p) => p.type === "response");
    if (part?.type !== "response") return undefined;
    const r = part.response;
    // Only the documented fields, with objects of their own: the caller may change theirs.
    // Tool arguments are stored as the raw text only; the client parses them on every read.
    const response: CachedResponse = {
      content: r.content,
      ...(r.reasoning !== undefined && { reasoning: r.reasoning }),
      ...(r.refusal !== undefined && { refusal: r.refusal }),
      model: r.model,
      provider: r.provider,
      ...(r.usage !== undefined && { usage: { ...r.usage } }),
      ...(r.finishReason !== undefined && { finishReason: r.finishReason }),
      ...(r.toolCalls?.length && {
        toolCalls: r.toolCalls.map((c) => ({
          id: c.id,
          name: c.name,
          rawArguments: c.rawArguments,
          ...(c.providerMetadata && { providerMetadata: c.providerMetadata }),
        })),
      }),
      ...(r.providerMetadata !== undefined && { providerMetadata: r.providerMetadata }),
    };
    return { v: 1, kind: "response", response };
  }
  // A replay spends nothing: the finish part is stored without the cost (the edge reports 0).
  const stored: StreamPart[] = [];
  for (const p of parts) {
    if (p.type === "response") continue;
    if (p.type === "finish" && p.cost) {
      const { cost: _spent, ...finish } = p;
      stored.push(finish);
    } else stored.push(p);
  }
  return {
    v: 1,
    kind: "parts",
    provider: req.trace.provider ?? "",
    ...(req.trace.model !== undefined && { model: req.trace.model }),
    parts: stored,
  };
}

/** A stored entry as the parts this call wants; records who answered on the trace. */
function* replay(
  entry: CacheEntry,
  mode: CallMode,
  req: PipelineRequest,
  primaryName: string,
): Generator<PipelinePart, void, undefined> {
  if (entry.kind === "response") {
    const r = entry.response;
    req.trace.provider = r.provider;
    req.trace.model = r.model;
    if (mode === "generate") {
      yield { type: "response", response: fromCached(r, true) };
      return;
    }
    yield* responseParts(fromCached(r, true));
    return;
  }
  const provider = entry.provider || primaryName;
  req.trace.provider = provider;
  req.trace.model = entry.model ?? req.params.model;
  if (mode === "stream") {
    yield* entry.parts;
    return;
  }
  const a = new Assembler();
  for (const p of entry.parts) a.push(p);
  if (a.model) req.trace.model = a.model;
  yield { type: "response", response: a.response(provider, req.trace.model, true) };
}

/** A stored answer as a response of its own (tool arguments left for the client to parse). */
function fromCached(r: CachedResponse, cached: boolean): ModelResponse {
  const response = { ...r, cached } as { -readonly [K in keyof ModelResponse]: ModelResponse[K] };
  if (r.usage) response.usage = { ...r.usage };
  if (r.toolCalls)
    response.toolCalls = r.toolCalls.map((c): ToolCall => ({ ...c, arguments: undefined }));
  return response;
}
