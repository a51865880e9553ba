// What the reports share: number formats and Markdown tables.

/** A number with `d` decimals, or "–" when there is none. */
export const f = (x, d = 2) => (Number.isFinite(x) ? x.toFixed(d) : "–");
/** A whole number with thousands separators, or "–". */
export const int = (x) => (Number.isFinite(x) ? Math.round(x).toLocaleString("en-US") : "–");

/** A Markdown table (and a blank line after it). */
export function table(head, rows) {
  return [
    `| ${head.join(" | ")} |`,
    `|${head.map(() => "---").join("|")}|`,
    ...rows.map((row) => `| ${row.join(" | ")} |`),
    "",
  ].join("\n");
}
