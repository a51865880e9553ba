import {
  type CacheStore,
  type CallParams,
  createProvider,
  hasProvider,
  LLMClient,
  type LLMClientOptions,
  listProviders,
  type Middleware,
  type Provider,
  type RephyscoEvent,
  type ResponseFormat,
} from "@rephysco/core";
import type { GatewayConfig, ModelRoute } from "./config.js";
import { GatewayConfigError } from "./config.js";
import { unsupported } from "./errors.js";
import type { Fleet } from "./fleet.js";

/** Where a request goes: the client of its route and the model to pass (none: the route's). */
export interface Resolved {
  /** The plain client: requests without a response format. */
  readonly client: LLMClient;
  /** The same route with the response-format middleware: only requests with a response format. */
  readonly formatClient: LLMClient;
  readonly model: string | undefined;
  /** The primary provider. */
  readonly provider: Provider;
  /** Whether every provider the route can reach takes a response format. */
  readonly structuredOutput: boolean;
  /** Whether answers of this route are cached. */
  readonly cached: boolean;
}

/** What every client of a gateway gets besides its route: middleware and an event listener. */
export interface ClientExtras {
  /** Added after the limits middleware (timing, telemetry). */
  readonly middleware?: readonly Middleware[];
  /** Every client event (metrics). */
  readonly onEvent?: (event: RephyscoEvent) => void;
  /**
   * The `fetch` of upstream calls, unless a provider's settings name their own. Gemini keeps
   * Node's (its image downloader checks addresses at connect time only with Node's `http`).
   */
  readonly fetch?: typeof globalThis.fetch;
}

/** Providers whose own transport matters for safety (the Gemini image downloader). */
function keepsOwnFetch(id: string): boolean {
  const info = listProviders().find((p) => p.id === id);
  return (info?.aliasOf ?? id) === "gemini";
}

/**
 * Response formats of calls in flight, keyed by the call's abort signal (one per request). The
 * middleware below puts it on the call's params: core then keys the cache by it and the provider
 * sends it, and the answer comes back as text (no parse, no re-serialisation).
 */
const formats = new WeakMap<AbortSignal, ResponseFormat>();

const withFormat = (params: CallParams): CallParams | undefined => {
  const format = params.signal ? formats.get(params.signal) : undefined;
  return format ? { ...params, responseFormat: format } : undefined;
};

const formatMiddleware: Middleware = {
  wrapGenerate: ({ doGenerate, params }) => doGenerate(withFormat(params)),
  wrapStream: ({ doStream, params }) => doStream(withFormat(params)),
};

/** Attaches a response format to the call that runs with `signal`. */
export function setResponseFormat(
  signal: AbortSignal,
  format: ResponseFormat,
  route: Resolved,
): void {
  if (!route.structuredOutput)
    throw unsupported(
      "response_format",
      `a provider of this route (${route.provider.name} or a fallback) has no structured output`,
    );
  formats.set(signal, format);
}

/** The LLMClients of a gateway: one per named model, one per provider; built once, reused. */
export class Router {
  readonly #config: GatewayConfig;
  readonly #named = new Map<string, Resolved>();
  readonly #byProvider = new Map<string, Resolved>();
  readonly #defaultProvider: string;
  readonly #fleet: Fleet | undefined;

  readonly #cache: CacheStore | true;

  /**
   * @param fleet - the shared cache and limits (absent: core's disk cache, no limits).
   * @param cacheNamespace - a key's private cache namespace (its own clients, its own entries).
   */
  readonly #extras: ClientExtras;

  constructor(
    config: GatewayConfig,
    fleet?: Fleet,
    cacheNamespace?: string,
    extras: ClientExtras = {},
  ) {
    this.#config = config;
    this.#fleet = fleet;
    this.#extras = extras;
    this.#cache = fleet
      ? cacheNamespace === undefined
        ? fleet.cache
        : fleet.cacheFor(cacheNamespace)
      : true;
    this.#defaultProvider = config.defaultProvider ?? "openai";
    for (const [name, route] of Object.entries(config.models ?? {})) {
      try {
        this.#named.set(name, this.#build(route));
      } catch (error) {
        throw new GatewayConfigError(
          `cannot create the client of this model: ${(error as Error).message}`,
          { field: `models.${name}` },
        );
      }
    }
  }

  #settingsOf(provider: string): Readonly<Record<string, unknown>> | undefined {
    const s = this.#config.providers?.[provider];
    const fetch = this.#extras.fetch;
    if (!fetch || keepsOwnFetch(provider) || (s && "fetch" in s)) return s;
    return { ...s, fetch };
  }

  #build(route: ModelRoute): Resolved {
    const settings = { ...this.#settingsOf(route.provider), ...route.settings };
    const provider = createProvider(route.provider, settings);
    const options: LLMClientOptions = {
      provider,
      ...(route.model !== undefined && { model: route.model }),
      ...(route.cache === true && { cache: this.#cache }),
      middleware: [
        ...(this.#fleet?.middleware ? [this.#fleet.middleware] : []),
        ...(this.#extras.middleware ?? []),
      ],
      ...(this.#extras.onEvent && { onEvent: this.#extras.onEvent }),
      ...(route.retries !== undefined && {
        retry: route.retries === 0 ? false : { maxRetries: route.retries },
      }),
      ...(route.timeoutMs !== undefined && { timeoutMs: route.timeoutMs }),
      ...(this.#config.prices && { prices: this.#config.prices }),
      ...(route.fallbacks &&
        route.fallbacks.length > 0 && {
          fallbacks: route.fallbacks.map((f) => {
            const s = this.#settingsOf(f.provider);
            return {
              provider: f.provider,
              ...(f.model !== undefined && { model: f.model }),
              ...(s && { settings: s }),
            };
          }),
        }),
    };
    // Fallbacks are created here only to read their capabilities (core creates its own when
    // needed); one that cannot be created yet (no key) fails its own attempt later.
    let structuredOutput = provider.capabilities.structuredOutput === true;
    for (const f of route.fallbacks ?? []) {
      try {
        const fb = createProvider(f.provider, { ...this.#settingsOf(f.provider) });
        if (!fb.capabilities.structuredOutput) structuredOutput = false;
      } catch {
        // see above
      }
    }
    return {
      client: new LLMClient(options),
      formatClient: new LLMClient({
        ...options,
        middleware: [...(options.middleware ?? []), formatMiddleware],
      }),
      model: undefined,
      provider,
      structuredOutput,
      cached: route.cache === true,
    };
  }

  /** The client of a provider route (created on first use: a provider without a key fails only its own requests). */
  #providerRoute(id: string): Resolved {
    let r = this.#byProvider.get(id);
    if (!r) {
      r = this.#build({ provider: id });
      this.#byProvider.set(id, r);
    }
    return r;
  }

  /**
   * Routes a `model`: a named model; else `provider/model` when the part before the first `/`
   * is a registered provider id; else a model of the default provider (so `Qwen/Qwen3-8B` stays
   * whole).
   */
  resolve(model: string): Resolved {
    const named = this.#named.get(model);
    if (named) return named;
    const slash = model.indexOf("/");
    if (slash > 0) {
      const id = model.slice(0, slash);
      if (hasProvider(id)) {
        const rest = model.slice(slash + 1);
        const r = this.#providerRoute(id);
        return rest ? { ...r, model: rest } : r;
      }
    }
    return { ...this.#providerRoute(this.#defaultProvider), model };
  }

  /** Named models and `provider/defaultModel` of every registered provider (aliases left out). */
  models(): { id: string; owned_by: string }[] {
    const list: { id: string; owned_by: string }[] = [];
    for (const [name, route] of Object.entries(this.#config.models ?? {}))
      list.push({ id: name, owned_by: route.provider });
    for (const info of listProviders())
      if (!info.aliasOf && info.defaultModel)
        list.push({ id: `${info.id}/${info.defaultModel}`, owned_by: info.id });
    return list;
  }
}
