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
    const key = cacheKey({
      provider: primary.name,
      baseURL: primary.baseURL,
      keyFingerprint: primary.keyFingerprint,
      providerIdentity: primary.cacheIdentity,
      model: p.model,
      ...(targets.length > 1 && { fallbacks: targets.keyTargets() }),
      messages: p.messages,
      ...(p.temperature !== undefined && { temperature: p.temperature }),
      ...(p.maxTokens !== undefined && { maxTokens: p.maxTokens }),
      ...(p.topP !== undefined && { topP: p.topP }),
      ...(p.stop !== undefined && { stop: p.stop }),
      ...(p.providerOptions !== undefined && { providerOptions: p.providerOptions }),
      ...(p.tools !== undefined && { tools: p.tools }),
      ...(p.toolChoice !== undefined && { toolChoice: p.toolChoice }),
      ...(p.responseFormat !== undefined && { responseFormat: p.responseFormat }),
    });
    return next({ ...req, key });
  };
}
