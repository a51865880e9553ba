// Run sizes. BENCH_QUICK=1 gives a run of about a minute; the full run stays within a few minutes
// on two cores.
export const QUICK = process.env.BENCH_QUICK === "1" || process.env.BENCH_QUICK === "true";

/** `full` normally, `quick` under BENCH_QUICK=1. */
export function size(full, quick) {
  return QUICK ? quick : full;
}

/** Rounds of every alternated comparison (at least 5, as the issue asks). */
export const ROUNDS = Number(process.env.BENCH_ROUNDS ?? size(9, 5));

export const MODEL = "gpt-4o-mini";
export const GEMINI_MODEL = "gemini-2.5-flash";
export const API_KEY = "bench";
