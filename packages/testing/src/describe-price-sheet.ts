import type { PriceSheet, Provider } from "@rephysco/core";
import { findPrice, validatePriceOverrides } from "@rephysco/core/http";
import { vitest } from "./conformance/vitest-api.js";

/** What {@link describePriceSheet} checks a provider package's price sheet against. */
export interface PriceSheetCase {
  /** The sheet, as the package exports it. */
  readonly sheet: PriceSheet;
  /** Every model id the package knows (its exported model list). */
  readonly knownModels: readonly string[];
  /** Known model ids left out of the sheet on purpose, each with the reason (never a guess). */
  readonly unpriced: Readonly<Record<string, string>>;
  /** A provider made by the package: it must carry the sheet as `prices`. */
  readonly provider?: () => Provider;
}

/**
 * The checks every provider package's price sheet passes: every price valid as the client's
 * `prices` option requires, `asOf` a real `YYYY-MM-DD` date, https sources, every known model
 * priced or listed as unpriced with a reason (never both, and only known ids listed), and the
 * package's provider carrying the sheet.
 *
 * @example
 * ```ts
 * describePriceSheet("OPENAI_PRICES", { sheet: OPENAI_PRICES, knownModels: Object.values(OpenAIModels),
 *   unpriced: { "gpt-5.1": "sources disagree" }, provider: () => new OpenAIProvider({ apiKey: "k" }) });
 * ```
 */
export function describePriceSheet(name: string, c: PriceSheetCase): void {
  const { describe, expect, it } = vitest("describePriceSheet");
  describe(`${name} (price sheet)`, () => {
    it("is well formed: every price passes the client's validation", () => {
      expect(() => validatePriceOverrides({ x: c.sheet.models })).not.toThrow();
    });

    it("is dated and names https sources", () => {
      expect(c.sheet.asOf).toMatch(/^\d{4}-\d{2}-\d{2}$/);
      expect(Number.isNaN(Date.parse(c.sheet.asOf))).toBe(false);
      expect(c.sheet.sources.length).toBeGreaterThan(0);
      for (const url of c.sheet.sources) expect(new URL(url).protocol).toBe("https:");
    });

    it("prices every known model id, or lists it as unpriced with a reason", () => {
      for (const id of c.knownModels) {
        const priced = findPrice("p", [id], c.sheet.models, undefined) !== undefined;
        const reason = Object.hasOwn(c.unpriced, id) ? c.unpriced[id] : undefined;
        expect({ id, accounted: priced || Boolean(reason) }).toEqual({ id, accounted: true });
        expect({ id, both: priced && Boolean(reason) }).toEqual({ id, both: false });
      }
    });

    it("lists as unpriced only known model ids", () => {
      const known = new Set(c.knownModels);
      for (const id of Object.keys(c.unpriced))
        expect({ id, known: known.has(id) }).toEqual({ id, known: true });
    });

    if (c.provider) {
      const make = c.provider;
      it("is the provider's price table", () => {
        expect(make().prices).toBe(c.sheet);
      });
    }
  });
}
