/**
 * The provider packages the CLI ships with. Importing one registers its providers with
 * `@rephysco/core`. Each is loaded on its own so that one broken install does not take the
 * others (or `rephysco providers`) down with it.
 */
const PROVIDER_PACKAGES: ReadonlyArray<readonly [string, () => Promise<unknown>]> = [
  ["@rephysco/openai", () => import("@rephysco/openai")],
  ["@rephysco/gemini", () => import("@rephysco/gemini")],
  ["@rephysco/aliyun", () => import("@rephysco/aliyun")],
  ["@rephysco/xai", () => import("@rephysco/xai")],
  ["@rephysco/siliconflow", () => import("@rephysco/siliconflow")],
  ["@rephysco/anthropic", () => import("@rephysco/anthropic")],
];

/** A provider package that could not be imported, and why. */
export interface ProviderLoadFailure {
  /** The npm package name. */
  readonly packageName: string;
  /** The import error. */
  readonly error: unknown;
}

/**
 * Imports every bundled provider package (registering its providers) and reports those that
 * failed to load instead of throwing.
 */
export async function loadProviders(): Promise<ProviderLoadFailure[]> {
  const failures: ProviderLoadFailure[] = [];
  // One after the other: registration order is the order `rephysco providers` lists them in.
  for (const [packageName, load] of PROVIDER_PACKAGES) {
    try {
      await load();
    } catch (error) {
      failures.push({ packageName, error });
    }
  }
  return failures;
}
