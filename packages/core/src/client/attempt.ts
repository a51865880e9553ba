import { ProviderError, RephyscoError, ServiceUnavailableError, TimeoutError } from "../errors.js";
import type { Provider } from "../provider.js";
import { isAbortError } from "../retry.js";
import {
  type FinishPart,
  isStreamPart,
  LegacyChunkAdapter,
  type StreamPart,
} from "../stream-part.js";
import { classifyTransportError, hasTransportCode, toTransportError } from "../transport-error.js";
import type { ProviderCallOptions, StreamChunk } from "../types.js";
import { mergeMetadata } from "./assemble.js";
import { attemptScope } from "./attempt-scope.js";
import type { EventListener } from "./events.js";
import { emit } from "./events.js";
import {
  type Next,
  type PipelinePart,
  type PipelineRequest,
  type ResolvedTarget,
  ResponseParts,
} from "./pipeline.js";
import type { Pricing } from "./pricing.js";
import type { Targets } from "./targets.js";

/** A finish part with its cost (the provider's report, else the usage at the model's price). */
function priced(
  part: FinishPart,
  req: PipelineRequest,
  target: ResolvedTarget,
  pricing: Pricing,
): FinishPart {
  const cost = pricing.costOf(
    target.provider,
    part.usage,
    part.cost,
    part.model ?? req.trace.model,
    req.params.model,
  );
  return cost === part.cost ? part : { ...part, cost: cost! };
}

/**
 * The attempt stage, the innermost: one call to one provider. It owns the attempt's abort scope
 * and timeouts (whole attempt, first chunk, idle gap), and it is the one place that enforces the
 * stream contract for every provider, ours and third parties': what was passed on stays passed
 * on; a stream that ends without a finish part is `incomplete_stream`; an error after output
 * carries that output (`partialContent`, `partialReasoning`); metadata never goes up alone (so
 * that a failure before any text can still be retried); a slow tail after the finish is not a
 * failure. Raw errors a provider let escape are classified like transport errors and scrubbed.
 */
export function attemptStage(
  targets: Targets,
  listener: EventListener | undefined,
  pricing: Pricing,
): Next {
  return (req) => {
    const target = req.target ?? targets.primary;
    if (listener)
      emit(listener, {
        type: "request",
        provider: target.provider.name,
        model: req.params.model,
        attempt: req.attempt ?? 1,
        stream: req.params.mode === "stream",
      });
    return req.params.mode === "generate"
      ? generateOnce(req, target, pricing)
      : streamOnce(req, target, pricing);
  };
}

function callOptions(req: PipelineRequest, signal: AbortSignal | undefined): ProviderCallOptions {
  const p = req.params;
  return {
    // The params carry the model of the target being tried (the fallback stage sets it).
    model: p.model,
    ...(p.temperature !== undefined && { temperature: p.temperature }),
    ...(p.maxTokens !== undefined && { maxTokens: p.maxTokens }),
    ...(p.topP !== undefined && { topP: p.topP }),
    ...(p.stop !== undefined && { stop: p.stop }),
    ...(p.providerOptions !== undefined && { providerOptions: p.providerOptions }),
    maxResponseBytes: p.maxResponseBytes,
    ...(p.tools !== undefined && { tools: p.tools }),
    ...(p.toolChoice !== undefined && { toolChoice: p.toolChoice }),
    ...(p.responseFormat !== undefined && { responseFormat: p.responseFormat }),
    ...(signal && { signal }),
  };
}

/**
 * A raw error a provider let escape, made a Rephysco error; Rephysco errors and aborts pass.
 * Transport failures are classified as everywhere (retried when they are connection failures);
 * anything else (a provider's own bug or an unmapped error) is a plain, non-retried
 * `ProviderError` that keeps the original as `cause`.
 */
function normalizeError(error: unknown, provider: Provider): unknown {
  if (error instanceof RephyscoError || isAbortError(error)) return error;
  const kind = classifyTransportError(error);
  if (kind === "connection" && !hasTransportCode(error)) {
    const message = error instanceof Error ? error.message : String(error);
    return provider.scrub(
      new ProviderError(`${provider.name}: the provider failed: ${message}`, {
        provider: provider.name,
        cause: error,
      }),
    );
  }
  return provider.scrub(toTransportError(error, { provider: provider.name }));
}

function generateOnce(
  req: PipelineRequest,
  target: ResolvedTarget,
  pricing: Pricing,
): ResponseParts {
  return new ResponseParts(async () => {
    const scope = attemptScope(req.signal, req.timeoutMs, false, target.provider.name);
    try {
      const r = await target.provider.generate(req.params.messages, callOptions(req, scope.signal));
      req.trace.provider = r.provider ?? target.provider.name;
      req.trace.model = r.model;
      const cost = pricing.costOf(target.provider, r.usage, r.cost, r.model, req.params.model);
      return r.provider && cost === r.cost
        ? r
        : { ...r, provider: r.provider || target.provider.name, ...(cost && { cost }) };
    } catch (raw) {
      throw normalizeError(scope.translate(raw), target.provider);
    } finally {
      // Before the answer goes up: the timers must not wait for the consumer to come back.
      scope.dispose();
    }
  });
}

async function* streamOnce(
  req: PipelineRequest,
  target: ResolvedTarget,
  pricing: Pricing,
): AsyncGenerator<PipelinePart, void, undefined> {
  const name = target.provider.name;
  const firstMs = req.firstChunkTimeoutMs;
  const idleMs = req.idleTimeoutMs;
  const scope = attemptScope(
    req.signal,
    req.timeoutMs,
    firstMs !== undefined || idleMs !== undefined,
    name,
  );
  req.trace.provider = name;
  let content = "";
  let reasoning = "";
  let finished = false;
  let metadata: StreamPart | undefined; // held until the first text, reasoning or finish
  let legacy: LegacyChunkAdapter | undefined;
  let iterator: AsyncIterator<StreamPart | StreamChunk> | undefined;
  let done = false;
  try {
    iterator = target.provider
      .stream(req.params.messages, callOptions(req, scope.signal))
      [Symbol.asyncIterator]();
    let waitingFirst = true;
    for (;;) {
      const r = await scope.next(
        iterator,
        waitingFirst ? firstMs : idleMs,
        waitingFirst ? "first chunk" : "chunk",
      );
      if (r.done) {
        done = true;
        break;
      }
      // A provider that yields parts costs no array per part; legacy chunks are adapted.
      const single = isStreamPart(r.value) ? r.value : undefined;
      let adapted: StreamPart[] | undefined;
      if (!single) {
        legacy ??= new LegacyChunkAdapter();
        adapted = legacy.push(r.value as StreamChunk);
      }
      const count = adapted ? adapted.length : 1;
      for (let i = 0; i < count; i++) {
        let part = adapted ? adapted[i]! : single!;
        if (part.type === "metadata") {
          if (part.model) req.trace.model = part.model;
          // Two held metadata parts become one: nothing of the first is lost.
          metadata =
            metadata?.type === "metadata"
              ? {
                  type: "metadata",
                  ...((part.model ?? metadata.model) && { model: part.model ?? metadata.model }),
                  ...((metadata.providerMetadata || part.providerMetadata) && {
                    providerMetadata: mergeMetadata(
                      metadata.providerMetadata,
                      part.providerMetadata,
                    ),
                  }),
                }
              : part;
          continue;
        }
        if (part.type === "text") {
          if (!part.text) continue;
          content += part.text;
        } else if (part.type === "reasoning") {
          if (!part.text) continue;
          reasoning += part.text;
        } else if (part.type === "finish") {
          finished = true;
          if (part.model) req.trace.model = part.model;
          part = priced(part, req, target, pricing);
        }
        waitingFirst = false;
        if (metadata) {
          yield metadata;
          metadata = undefined;
        }
        yield part;
      }
    }
    if (legacy && !finished) {
      const end = legacy.end();
      if (end) {
        finished = true;
        if (metadata) yield metadata;
        yield priced(end, req, target, pricing);
      }
    }
    if (!finished) {
      throw new ServiceUnavailableError(
        `${name}: the stream ended without a finish reason (the answer may be cut short).`,
        { provider: name, reason: "incomplete_stream" },
      );
    }
  } catch (raw) {
    const error = normalizeError(scope.translate(raw), target.provider);
    // The answer was complete; only the tail (usage, end marker) was slow: not a failure.
    if (error instanceof TimeoutError) {
      if (finished) return;
      const end = legacy?.end();
      if (end) {
        if (metadata) yield metadata;
        yield priced(end, req, target, pricing);
        return;
      }
    }
    if ((content || reasoning) && error instanceof RephyscoError)
      throw error.withPartialOutput(content, reasoning || undefined);
    throw error;
  } finally {
    scope.dispose();
    // Close the provider's stream (and its socket) when we stop early.
    if (iterator && !done) await iterator.return?.().catch(() => {});
  }
}
