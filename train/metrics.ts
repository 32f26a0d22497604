import { assert } from "../shared/assert.ts";

/** Per-class scores derived from a confusion matrix. */
export interface ClassScores {
  label: string;
  precision: number;
  recall: number;
  f1: number;
  /** Number of true samples of this class. */
  support: number;
}

/** Validation metrics, as written to `metrics.json`. */
export interface ClassificationMetrics {
  /** `confusion[t][p]`: samples of true class `t` predicted as `p`. */
  confusion: number[][];
  perClass: ClassScores[];
  macroF1: number;
  top1: number;
  /** Null when there are 5 classes or fewer (top-5 would be trivially 1). */
  top5: number | null;
  count: number;
}

/**
 * The confusion matrix [K][K] (rows: true class, columns: predicted class) for `predicted` and
 * `actual` labels in [0, K).
 */
export function confusionMatrix(
  actual: ArrayLike<number>,
  predicted: ArrayLike<number>,
  numClasses: number,
): number[][] {
  assert(actual.length === predicted.length, "actual and predicted must have the same length");
  const m = Array.from({ length: numClasses }, () => new Array<number>(numClasses).fill(0));
  for (let i = 0; i < actual.length; i++) {
    const t = actual[i], p = predicted[i];
    if (!(t >= 0 && t < numClasses && p >= 0 && p < numClasses)) {
      throw new RangeError(`label out of range at ${i}: actual ${t}, predicted ${p}`);
    }
    m[t][p]++;
  }
  return m;
}

/**
 * Precision, recall and F1 per class from a confusion matrix. An undefined ratio (0/0) counts as
 * 0, like scikit-learn's `zero_division=0`.
 */
export function perClassScores(confusion: number[][], labels: string[]): ClassScores[] {
  const k = confusion.length;
  assert(labels.length === k, "one label per confusion row");
  return labels.map((label, c) => {
    const tp = confusion[c][c];
    let predicted = 0, support = 0;
    for (let i = 0; i < k; i++) {
      predicted += confusion[i][c];
      support += confusion[c][i];
    }
    const precision = predicted === 0 ? 0 : tp / predicted;
    const recall = support === 0 ? 0 : tp / support;
    const f1 = precision + recall === 0 ? 0 : 2 * precision * recall / (precision + recall);
    return { label, precision, recall, f1, support };
  });
}

/** Unweighted mean of per-class F1 (scikit-learn `f1_score(average="macro")`). */
export function macroF1(scores: ClassScores[]): number {
  return scores.length === 0 ? 0 : scores.reduce((s, c) => s + c.f1, 0) / scores.length;
}

/**
 * Fraction of rows of `scoresNk` ([N, K] row-major) whose true label is among the `k` highest
 * scores. Ties rank the lower index first, like `shared/top_k.ts`, so a constant row predicts 0.
 */
export function topKAccuracy(
  scoresNk: Float32Array | number[],
  actual: ArrayLike<number>,
  numClasses: number,
  k: number,
): number {
  const n = actual.length;
  assert(scoresNk.length === n * numClasses, "scores must be [N, K]");
  if (n === 0) return 0;
  let hits = 0;
  for (let i = 0; i < n; i++) {
    const t = actual[i];
    const st = scoresNk[i * numClasses + t];
    // rank of the true class = classes that beat it (strictly higher, or equal with lower index)
    let better = 0;
    for (let c = 0; c < numClasses && better < k; c++) {
      const s = scoresNk[i * numClasses + c];
      if (s > st || (s === st && c < t)) better++;
    }
    if (better < k) hits++;
  }
  return hits / n;
}

/** Index of the highest score in each row (lowest index on ties). */
export function argmaxRows(scoresNk: Float32Array | number[], numClasses: number): Int32Array {
  const n = scoresNk.length / numClasses;
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let c = 1; c < numClasses; c++) {
      if (scoresNk[i * numClasses + c] > scoresNk[i * numClasses + best]) best = c;
    }
    out[i] = best;
  }
  return out;
}

/** All validation metrics from logits (or probabilities) `scoresNk` and the true labels. */
export function classificationMetrics(
  scoresNk: Float32Array | number[],
  actual: ArrayLike<number>,
  labels: string[],
): ClassificationMetrics {
  const k = labels.length;
  const predicted = argmaxRows(scoresNk, k);
  const confusion = confusionMatrix(actual, predicted, k);
  const perClass = perClassScores(confusion, labels);
  return {
    confusion,
    perClass,
    macroF1: macroF1(perClass),
    top1: topKAccuracy(scoresNk, actual, k, 1),
    top5: k > 5 ? topKAccuracy(scoresNk, actual, k, 5) : null,
    count: actual.length,
  };
}
