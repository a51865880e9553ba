import type { CacheKeyTarget } from "../cache/cache-key.js";
import { isProvider, type Provider } from "../provider.js";
import { createProvider, type ProviderOptions } from "../registry.js";
import type { ResolvedTarget } from "./pipeline.js";

/** A fallback as the client options give it. */
export interface FallbackSpec {
  readonly provider: string | Provider;
  readonly model?: string;
  readonly apiKey?: string;
  readonly baseURL?: string;
  readonly settings?: object;
}

/** Creates a provider from a registry id and settings, or takes an instance as it is. */
export function toProvider(spec: FallbackSpec): Provider {
  if (isProvider(spec.provider)) return spec.provider;
  return createProvider(spec.provider, {
    ...(spec.settings as ProviderOptions),
    ...(spec.apiKey !== undefined && { apiKey: spec.apiKey }),
    ...(spec.baseURL !== undefined && { baseURL: spec.baseURL }),
  });
}

/**
 * The providers a call may be answered by: the primary (created with the client, so that a
 * missing key fails at once), then the fallbacks, each created when first needed, so that an
 * unused fallback without a key costs nothing (its error, naming the variable to set, comes
 * when it is used).
 */
export class Targets {
  readonly #specs: readonly FallbackSpec[];
  readonly #resolved: (ResolvedTarget | { error: unknown } | undefined)[];
  #keyTargets: CacheKeyTarget[] | undefined;

  constructor(primary: ResolvedTarget, fallbacks: readonly FallbackSpec[]) {
    this.#specs = fallbacks;
    this.#resolved = [primary];
  }

  /** How many targets there are, the primary included. */
  get length(): number {
    return this.#specs.length + 1;
  }

  /** The primary target. */
  get primary(): ResolvedTarget {
    return this.#resolved[0] as ResolvedTarget;
  }

  /** Target `i` (0 is the primary); creates a fallback on first use, rethrowing its creation error. */
  resolve(i: number): ResolvedTarget {
    let r = this.#resolved[i];
    if (r === undefined) {
      const spec = this.#specs[i - 1]!;
      try {
        const provider = toProvider(spec);
        r = { provider, model: spec.model ?? provider.defaultModel };
      } catch (error) {
        r = { error };
      }
      this.#resolved[i] = r;
    }
    if ("error" in r) throw r.error;
    return r;
  }

  /**
   * The fallbacks as cache-key targets, computed once. A fallback that cannot be created (no
   * key) is keyed by its id and that fact, so the key is stable and never borrows another
   * target's identity.
   */
  keyTargets(): CacheKeyTarget[] {
    if (this.#keyTargets) return this.#keyTargets;
    this.#keyTargets = this.#specs.map((spec, i) => {
      try {
        const t = this.resolve(i + 1);
        return {
          provider: t.provider.name,
          baseURL: t.provider.baseURL,
          keyFingerprint: t.provider.keyFingerprint,
          providerIdentity: t.provider.cacheIdentity,
          model: t.model,
        };
      } catch {
        const id = typeof spec.provider === "string" ? spec.provider : spec.provider.name;
        return {
          provider: id,
          baseURL: spec.baseURL ?? "",
          keyFingerprint: "unavailable",
          model: spec.model ?? "",
        };
      }
    });
    return this.#keyTargets;
  }
}
