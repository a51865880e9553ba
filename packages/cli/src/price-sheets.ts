import type { PriceSheet } from "@rephysco/core";

/**
 * The price sheet each bundled provider package exports, by package name. Loaded on demand (the
 * packages are already imported by `loadProviders`), so that one broken install only loses its
 * own prices.
 */
const PRICE_SHEETS: Readonly<Record<string, () => Promise<PriceSheet>>> = {
  "@rephysco/openai": async () => (await import("@rephysco/openai")).OPENAI_PRICES,
  "@rephysco/gemini": async () => (await import("@rephysco/gemini")).GEMINI_PRICES,
  "@rephysco/aliyun": async () => (await import("@rephysco/aliyun")).ALIYUN_PRICES,
  "@rephysco/xai": async () => (await import("@rephysco/xai")).XAI_PRICES,
  "@rephysco/siliconflow": async () => (await import("@rephysco/siliconflow")).SILICONFLOW_PRICES,
  "@rephysco/anthropic": async () => (await import("@rephysco/anthropic")).ANTHROPIC_PRICES,
};

/**
 * The price sheet of the provider package `packageName` (as `ProviderInfo.packageName` names
 * it), or `undefined` for a package the CLI does not bundle or one that cannot be loaded.
 */
export async function priceSheetOf(
  packageName: string | undefined,
): Promise<PriceSheet | undefined> {
  const load =
    packageName !== undefined && Object.hasOwn(PRICE_SHEETS, packageName)
      ? PRICE_SHEETS[packageName]
      : undefined;
  if (!load) return undefined;
  try {
    return await load();
  } catch {
    return undefined;
  }
}
