import { ConfigurationError } from "./errors.js";
import type { Provider, ProviderOptions } from "./provider.js";

export type { ProviderOptions } from "./provider.js";

/**
 * Maps each registered provider id to its settings type. Provider packages add themselves by
 * declaration merging, which is what makes ids autocomplete in editors:
 *
 * @example
 * ```ts
 * declare module "@rephysco/core" {
 *   interface ProviderRegistry { "my-llm": MyLLMSettings }
 * }
 * ```
 */
// biome-ignore lint/suspicious/noEmptyInterface: filled by declaration merging in provider packages
export interface ProviderRegistry {}

/** A registered provider id (autocompleted), or any other string for providers registered at run time. */
export type ProviderId = keyof ProviderRegistry | (string & {});

/** The settings type of a provider id: its registered settings, or {@link ProviderOptions}. */
export type ProviderSettings<Id extends string> = Id extends keyof ProviderRegistry
  ? ProviderRegistry[Id]
  : ProviderOptions;

/** Creates a provider instance from settings. */
export type ProviderFactory<S extends ProviderOptions = ProviderOptions> = (
  settings: S,
) => Provider;

/** What a provider package tells the registry about itself (shown by `listProviders()` and the CLI). */
export interface ProviderInfo {
  /** Registry id. */
  readonly id: string;
  /** Default model id. */
  readonly defaultModel?: string;
  /** Environment variables read for the API key, in order. */
  readonly apiKeyEnvVars?: readonly string[];
  /** Environment variables read for the base URL, in order. */
  readonly baseURLEnvVars?: readonly string[];
  /** The npm package that registers it. */
  readonly packageName?: string;
  /** When set, this id is another name for `aliasOf`. */
  readonly aliasOf?: string;
}

/**
 * The registration info of a provider, taken from the configuration it is built from, so that
 * the defaults `listProviders()` and the CLI show cannot drift from those the provider uses.
 * `BaseProviderConfig` and `OpenAICompatibleConfig` both fit.
 *
 * @example
 * ```ts
 * registerProvider("my-llm", (s) => new MyLLMProvider(s), providerInfoOf(MY_LLM_CONFIG, "my-llm-rephysco"));
 * ```
 */
export function providerInfoOf(
  config: Pick<ProviderInfo, "defaultModel" | "apiKeyEnvVars" | "baseURLEnvVars">,
  packageName: string,
): Omit<ProviderInfo, "id"> {
  return {
    ...(config.defaultModel !== undefined && { defaultModel: config.defaultModel }),
    apiKeyEnvVars: config.apiKeyEnvVars ?? [],
    baseURLEnvVars: config.baseURLEnvVars ?? [],
    packageName,
  };
}

interface Entry {
  readonly factory: ProviderFactory<never>;
  readonly info: ProviderInfo;
}

const REGISTRY_KEY = Symbol.for("rephysco.provider-registry.v1");

/** One registry per process, even when several copies of core are installed. */
function registry(): Map<string, Entry> {
  const g = globalThis as { [REGISTRY_KEY]?: Map<string, Entry> };
  g[REGISTRY_KEY] ??= new Map();
  return g[REGISTRY_KEY];
}

/**
 * Registers a provider factory under an id. Provider packages call this when imported;
 * registering an id again replaces it (the last import wins).
 *
 * @example
 * ```ts
 * registerProvider("my-llm", (s) => new MyLLMProvider(s), { defaultModel: "m-1", apiKeyEnvVars: ["MY_LLM_API_KEY"] });
 * ```
 */
export function registerProvider<Id extends string>(
  id: Id,
  factory: ProviderFactory<ProviderSettings<Id>>,
  info: Omit<ProviderInfo, "id"> = {},
): void {
  if (typeof id !== "string" || id.length === 0) {
    throw new ConfigurationError("registerProvider: the id must be a non-empty string.", {
      provider: "client",
    });
  }
  if (typeof factory !== "function") {
    throw new ConfigurationError(`registerProvider("${id}"): the factory must be a function.`, {
      provider: "client",
    });
  }
  registry().set(id, { factory: factory as ProviderFactory<never>, info: { ...info, id } });
}

/**
 * The package that registers `id` by our naming convention: `@rephysco/` and the id without
 * underscores (`silicon_flow` -> `@rephysco/siliconflow`). Core keeps no list of vendors, so a
 * new provider package needs no change here; an id that cannot be a package name gets no guess.
 */
function conventionalPackage(id: string): string | undefined {
  const name = String(id).replaceAll("_", "");
  return /^[a-z0-9][a-z0-9.-]{0,100}$/.test(name) ? `@rephysco/${name}` : undefined;
}

/**
 * Creates a provider from the registry.
 *
 * @throws {ConfigurationError} when no provider is registered under `id`; the message names the
 * package to install and import.
 * @throws {AuthenticationError} when no API key is given or found in the environment.
 */
export function createProvider<Id extends ProviderId>(
  id: Id,
  settings?: ProviderSettings<Id>,
): Provider {
  const entry = registry().get(id);
  if (!entry) {
    const known = [...registry().keys()];
    const pkg = conventionalPackage(id);
    const hint = pkg
      ? `Install and import "${pkg}" (import "${pkg}";), or the package that provides it.`
      : "Import the package that provides it so that it registers itself.";
    throw new ConfigurationError(
      `Unknown provider ${JSON.stringify(String(id)).slice(0, 100)}. ${hint} Registered providers: ${known.length ? known.join(", ") : "none"}.`,
      { provider: "client", reason: "unknown_provider" },
    );
  }
  return (entry.factory as ProviderFactory<ProviderOptions>)((settings ?? {}) as ProviderOptions);
}

/** Every registered provider with what it declared about itself, in registration order. */
export function listProviders(): ProviderInfo[] {
  return [...registry().values()].map((e) => e.info);
}

/** `true` when a provider is registered under `id`. */
export function hasProvider(id: string): boolean {
  return registry().has(id);
}
