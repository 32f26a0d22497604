/** How many samples of each class there are; labels outside [0, numClasses) are an error. */
export function classCounts(samples: readonly { label: number }[], numClasses: number): number[] {
  const counts = new Array<number>(numClasses).fill(0);
  for (const s of samples) {
    if (!Number.isInteger(s.label) || s.label < 0 || s.label >= numClasses) {
      throw new RangeError(`label ${s.label} is not in 0..${numClasses - 1}`);
    }
    counts[s.label]++;
  }
  return counts;
}

/**
 * Inverse-frequency class weights, normalized like scikit-learn's `class_weight="balanced"`:
 * `w[c] = N / (K * n[c])` with K the number of classes present, so every present class carries
 * the same total weight and the mean weight per sample is 1. Absent classes get 0.
 *
 * Accepts either per-class counts or `(samples, numClasses)`.
 */
export function classWeights(counts: readonly number[]): number[];
export function classWeights(samples: readonly { label: number }[], numClasses: number): number[];
export function classWeights(
  countsOrSamples: readonly number[] | readonly { label: number }[],
  numClasses?: number,
): number[] {
  const counts = numClasses === undefined
    ? (countsOrSamples as readonly number[])
    : classCounts(countsOrSamples as readonly { label: number }[], numClasses);
  if (counts.some((n) => typeof n !== "number" || !Number.isInteger(n) || n < 0)) {
    throw new RangeError("class counts must be non-negative integers");
  }
  const total = counts.reduce((a, b) => a + b, 0);
  const present = counts.filter((n) => n > 0).length;
  return counts.map((n) => (n > 0 ? total / (present * n) : 0));
}
