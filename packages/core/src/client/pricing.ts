import { computeCost, findPrice, type PriceOverrides } from "../cost.js";
import { nodeCrypto } from "../lazy.js";
import type { Provider } from "../provider.js";
import type { Cost, ModelPrice, Usage } from "../types.js";

const accounts = new WeakMap<Provider, string>();

/**
 * Whose quota a provider spends: a short hash of its id, base URL and credentials' fingerprint.
 * Computed once per provider instance.
 */
export function accountOf(provider: Provider): string {
  let id = accounts.get(provider);
  if (id === undefined) {
    id = nodeCrypto()
      .createHash("sha256")
      .update(`${provider.name}\n${provider.baseURL}\n${provider.keyFingerprint}`)
      .digest("base64url")
      .slice(0, 22);
    accounts.set(provider, id);
  }
  return id;
}

/**
 * A provider's reported cost with its parts: a vendor that reports only a total (xAI) gets the
 * parts of the price table, scaled so that they add up to its total. Kept as reported otherwise.
 */
function withParts(reported: Cost, computed: Cost | undefined): Cost {
  const sum =
    reported.input +
    reported.cachedInput +
    reported.cacheWrite +
    reported.output +
    reported.reasoning;
  if (sum > 0 || !computed || computed.total <= 0) return reported;
  const k = reported.total / computed.total;
  return {
    ...reported,
    input: computed.input * k,
    cachedInput: computed.cachedInput * k,
    cacheWrite: computed.cacheWrite * k,
    output: computed.output * k,
    reasoning: computed.reasoning * k,
  };
}

/** Prices a client knows: its overrides over each provider's own table. */
export class Pricing {
  readonly #overrides: PriceOverrides | undefined;

  constructor(overrides: PriceOverrides | undefined) {
    this.#overrides = overrides;
  }

  /** The price of `model` (the answering model first, then the asked one) on `provider`. */
  priceOf(provider: Provider, ...models: (string | undefined)[]): ModelPrice | undefined {
    return findPrice(provider.name, models, provider.prices?.models, this.#overrides);
  }

  /**
   * The cost of an answer: the provider's own report when it made one, else the usage at the
   * model's price; `undefined` without usage or price.
   */
  costOf(
    provider: Provider,
    usage: Usage | undefined,
    reported: Cost | undefined,
    answered: string | undefined,
    asked: string,
  ): Cost | undefined {
    const price = usage && this.priceOf(provider, answered, asked);
    const computed = price ? computeCost(usage, price) : undefined;
    if (!reported) return computed;
    return withParts(reported, computed);
  }
}
