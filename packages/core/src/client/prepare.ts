import { cacheKey } from "../cache/cache-key.js";
import type { Stage } from "./pipeline.js";
import type { Targets } from "./targets.js";

/**
 * The prepare stage: computes the cache key of a call, after call-level middleware (a redactor
 * changes what is keyed as well as what is sent) and before anything reads the cache. Input was
 * normalized and validated at the client's door. Absent when the client has no cache; a call
 * with `cache: false` passes through without a layer.
 */
export function prepareStage(targets: Targets): Stage {
  return (next) => (req) => {
    if (req.cacheMode === "off") return next(req);
    const p = req.params;
    const primary = targets.primary.provider;
    // Fields passed as they are (absent ones are undefined): no spread per optional field on
    // the path of every cached call.
    const key = cacheKey({
      provider: primary.name,
      baseURL: primary.baseURL,
      keyFingerprint: primary.keyFingerprint,
      providerIdentity: primary.cacheIdentity,
      model: p.model,
      fallbacks: targets.length > 1 ? targets.keyTargets() : undefined,
      messages: p.messages,
      temperature: p.temperature,
      maxTokens: p.maxTokens,
      topP: p.topP,
      stop: p.stop,
      providerOptions: p.providerOptions,
      tools: p.tools,
      toolChoice: p.toolChoice,
      responseFormat: p.responseFormat,
    });
    return next({ ...req, key });
  };
}
