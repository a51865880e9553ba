// Order statistics for a handful of rounds: median and spread, never the mean (one descheduled
// round on a shared machine would drag a mean far off).

/** The q-quantile (0..1) of `values`, linear between the two nearest ranks. */
export function quantile(values, q) {
  const s = [...values].sort((a, b) => a - b);
  if (s.length === 0) return Number.NaN;
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return s[lo] + (s[hi] - s[lo]) * (pos - lo);
}

/** Median, min, max and interquartile range of `values`. */
export function summarize(values) {
  return {
    median: quantile(values, 0.5),
    min: Math.min(...values),
    max: Math.max(...values),
    q1: quantile(values, 0.25),
    q3: quantile(values, 0.75),
    n: values.length,
  };
}

/**
 * Per-round ratios of `values` to `reference` (same round, same index), summarized. Pairing by
 * round cancels most of the drift a shared machine has between rounds.
 */
export function ratioSummary(values, reference, higherIsBetter) {
  const ratios = values.map((v, i) => (higherIsBetter ? v / reference[i] : reference[i] / v));
  return summarize(ratios);
}

/** `contenders` rotated by `round`: ABC, BCA, CAB, ... so that no contender always runs first. */
export function rotate(contenders, round) {
  const k = round % contenders.length;
  return [...contenders.slice(k), ...contenders.slice(0, k)];
}
