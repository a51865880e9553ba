import { hasProvider, listProviders } from "@rephysco/core";
import type { Settings } from "./store/settings.js";
import { UsageError } from "./usage-error.js";

/** Where the provider id came from (commander's option value source). */
export type ProviderSource = "cli" | "env" | "default";

/** The inputs of {@link resolveModel}, highest precedence first. */
export interface ModelInputs {
  /** `-m`: an alias, a model, or `provider/model`. */
  readonly flag?: string;
  /** The template's `model`. */
  readonly template?: string;
  /** The continued conversation's provider and model (`-c`, `--cid`). */
  readonly conversation?: { readonly provider: string; readonly model: string };
  /** The provider from `-p` / `REPHYSCO_PROVIDER` / the built-in default. */
  readonly provider: string;
  /** Where {@link provider} came from. */
  readonly providerSource: ProviderSource;
  /** Aliases and the default model. */
  readonly settings: Settings;
}

/** The provider and model a call goes to. */
export interface ModelChoice {
  readonly provider: string;
  /** `undefined`: the provider's default model. */
  readonly model?: string;
}

/** At most this many alias hops (`fast` → `quick` → `openai/gpt-4.1-mini`). */
const MAX_ALIAS_DEPTH = 8;

/**
 * Follows aliases: `fast` → `openai/gpt-4.1-mini`. An alias may name another alias.
 *
 * @throws {UsageError} on a cycle of aliases.
 */
export function expandAlias(spec: string, settings: Settings): string {
  const aliases = settings.aliases ?? {};
  let current = spec;
  const seen: string[] = [];
  while (Object.hasOwn(aliases, current)) {
    seen.push(current);
    if (seen.length > MAX_ALIAS_DEPTH || seen.includes(aliases[current]!)) {
      throw new UsageError(
        `The aliases ${[...seen, aliases[current]].join(" → ")} loop or nest too deep: fix them with \`rephysco aliases set\`.`,
      );
    }
    current = aliases[current]!;
  }
  return current;
}

/**
 * Splits a model spec (aliases already expanded). The part before the first `/` is a provider
 * only when it is a registered provider id: `openai/gpt-4.1-mini` is gpt-4.1-mini of openai, while
 * SiliconFlow's own ids such as `Qwen/Qwen2.5-72B-Instruct` stay whole models.
 */
export function splitModel(spec: string): { provider?: string; model: string } {
  const slash = spec.indexOf("/");
  if (slash > 0) {
    const prefix = spec.slice(0, slash);
    if (hasProvider(prefix)) {
      const model = spec.slice(slash + 1);
      if (model === "") {
        throw new UsageError(`"${spec}" names the provider ${prefix} but no model after the "/".`);
      }
      return { provider: prefix, model };
    }
  }
  return { model: spec };
}

function sameProvider(a: string, b: string): boolean {
  if (a === b) return true;
  const infos = listProviders();
  const canonical = (id: string) => infos.find((p) => p.id === id)?.aliasOf ?? id;
  return canonical(a) === canonical(b);
}

/**
 * Picks the provider and model of a call. Precedence: `-m` (after alias resolution) over the
 * template's model over the continued conversation's model over the default model setting over
 * the provider's default model. `-p` / `REPHYSCO_PROVIDER` chooses the provider when the model
 * names none.
 *
 * A lower-precedence model that names a provider other than the one given with `-p` is passed
 * over (`-p anthropic` with a default model of `openai/gpt-4.1-mini` asks Anthropic's default).
 *
 * @throws {UsageError} when `-m` names a provider other than the one given with `-p`.
 */
export function resolveModel(inputs: ModelInputs): ModelChoice {
  const explicitProvider = inputs.providerSource === "cli" ? inputs.provider : undefined;
  if (inputs.flag !== undefined) {
    const expanded = expandAlias(inputs.flag, inputs.settings);
    const { provider, model } = splitModel(expanded);
    if (provider && explicitProvider && !sameProvider(provider, explicitProvider)) {
      throw new UsageError(
        `-m ${inputs.flag} names the provider ${provider}, but -p says ${explicitProvider}: drop one of them.`,
      );
    }
    return { provider: provider ?? inputs.provider, model };
  }
  const candidates: { provider?: string; model: string }[] = [];
  if (inputs.template !== undefined)
    candidates.push(splitModel(expandAlias(inputs.template, inputs.settings)));
  if (inputs.conversation) candidates.push(inputs.conversation);
  if (inputs.settings.defaultModel !== undefined) {
    candidates.push(splitModel(expandAlias(inputs.settings.defaultModel, inputs.settings)));
  }
  for (const c of candidates) {
    if (c.provider && explicitProvider && !sameProvider(c.provider, explicitProvider)) continue;
    return { provider: c.provider ?? inputs.provider, model: c.model };
  }
  return { provider: inputs.provider };
}
