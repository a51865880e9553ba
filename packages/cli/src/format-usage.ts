import type { Cost, ModelResponse, Usage } from "@rephysco/core";

const count = new Intl.NumberFormat("en-US");

/** A USD amount with enough digits to show a fraction of a cent. */
export function usd(value: number): string {
  if (value === 0) return "$0";
  const digits = value >= 1 ? 2 : Math.min(8, Math.max(4, 2 - Math.floor(Math.log10(value))));
  return `$${value.toFixed(digits)}`;
}

function tokens(u: Usage): string {
  const prompt = [
    u.cachedPromptTokens ? `${count.format(u.cachedPromptTokens)} cached` : "",
    u.cacheWriteTokens ? `${count.format(u.cacheWriteTokens)} cache write` : "",
  ].filter(Boolean);
  const completion = u.reasoningTokens ? ` (${count.format(u.reasoningTokens)} reasoning)` : "";
  return (
    `${count.format(u.promptTokens)} prompt${prompt.length ? ` (${prompt.join(", ")})` : ""}` +
    ` + ${count.format(u.completionTokens)} completion${completion}` +
    ` = ${count.format(u.totalTokens)} tokens`
  );
}

function costText(c: Cost): string {
  if (c.source === "cache") return "cost $0 (cache hit)";
  if (c.source === "shared") return "cost $0 (shared an identical call in flight)";
  const named: [string, number][] = [
    ["input", c.input],
    ["cached", c.cachedInput],
    ["cache write", c.cacheWrite],
    ["output", c.output],
    ["reasoning", c.reasoning],
  ];
  const parts = named.filter(([, v]) => v > 0).map(([name, v]) => `${name} ${usd(v)}`);
  const notes = [
    ...(parts.length > 1 ? parts : []),
    ...(c.source === "provider" ? ["reported by the provider"] : []),
  ];
  return `cost ${usd(c.total)}${notes.length ? ` (${notes.join(", ")})` : ""}`;
}

/**
 * The two lines (no final newline) `--usage` prints on stderr: token counts with their parts, and the cost with its
 * parts, or why it is unknown.
 */
export function usageText(
  r: Pick<ModelResponse, "usage" | "cost" | "provider" | "model" | "cached">,
): string {
  const u = r.usage;
  const lines = [`usage: ${u ? tokens(u) : "not reported by the provider"}`];
  if (r.cost) lines.push(costText(r.cost));
  else if (r.cached) lines.push("cost $0 (cache hit)");
  else
    lines.push(
      u
        ? `cost unknown: no price for ${r.provider}/${r.model} (add one with the client's prices option)`
        : "cost unknown: no usage reported",
    );
  return lines.join("\n");
}
