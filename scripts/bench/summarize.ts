/**
 * Order statistics of timing samples, as every bench section reports them.
 * @module
 */

/** Median and tail of a set of samples (same unit as the samples, usually ms). */
export interface Summary {
  n: number;
  median: number;
  p90: number;
  p99: number;
  min: number;
  max: number;
}

/**
 * The `q`-quantile (0..1) of `xs` with linear interpolation between order statistics (numpy's
 * default `method="linear"`), so numbers compare with a peer's `numpy.percentile`.
 */
export function quantile(xs: readonly number[], q: number): number {
  if (xs.length === 0) throw new RangeError("quantile of no samples");
  if (!(q >= 0 && q <= 1)) throw new RangeError(`quantile q must be in [0, 1], got ${q}`);
  const s = [...xs].sort((a, b) => a - b);
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, s.length - 1);
  return s[lo] + (s[hi] - s[lo]) * (pos - lo);
}

/** Median, p90, p99, min and max of `xs` (at least one sample), rounded to 4 digits. */
export function summarize(xs: readonly number[]): Summary {
  if (xs.length === 0) throw new RangeError("summarize needs at least one sample");
  const r = (v: number) => Number(v.toPrecision(4));
  return {
    n: xs.length,
    median: r(quantile(xs, 0.5)),
    p90: r(quantile(xs, 0.9)),
    p99: r(quantile(xs, 0.99)),
    min: r(Math.min(...xs)),
    max: r(Math.max(...xs)),
  };
}

/**
 * Element-wise sums of stage samples measured in different processes (decode + preprocess in
 * Python, inference in Node): sample i of the composite is the sum of sample i of each stage, for
 * as many samples as the shortest stage has (no sample is used twice). Pairing by index (not
 * summing medians) keeps the composite's tail a tail of per-run sums, not a sum of tails.
 */
export function pairedSum(stages: readonly (readonly number[])[]): number[] {
  if (stages.length === 0 || stages.some((s) => s.length === 0)) {
    throw new RangeError("pairedSum needs at least one stage, each with samples");
  }
  const n = Math.min(...stages.map((s) => s.length));
  return Array.from({ length: n }, (_, i) => stages.reduce((acc, s) => acc + s[i], 0));
}

/** `a / b` rounded to 3 digits, or null when either side is missing. */
export function ratio(a: number | undefined, b: number | undefined): number | null {
  if (a === undefined || b === undefined || !(b > 0)) return null;
  return Number((a / b).toPrecision(3));
}
