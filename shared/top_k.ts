/**
 * The k best classes.
 * @module
 */

/** One ranked class. */
export interface Ranked {
  index: number;
  score: number;
}

/**
 * The `k` highest scores, best first; equal scores rank the lower index first, NaN ranks last.
 * `k` is clamped to the number of scores, and `k = 0` means all of them.
 */
export function topK(scores: ArrayLike<number>, k: number): Ranked[] {
  if (!Number.isInteger(k) || k < 0) {
    throw new RangeError(`k must be a non-negative integer, got ${k}`);
  }
  const n = scores.length;
  const want = k === 0 ? n : Math.min(k, n);
  const idx = Array.from({ length: n }, (_, i) => i);
  const key = (i: number) => (Number.isNaN(scores[i]) ? -Infinity : scores[i]);
  idx.sort((a, b) => {
    const d = key(b) - key(a);
    if (d > 0 || d < 0) return d;
    const nanA = Number.isNaN(scores[a]) ? 1 : 0;
    const nanB = Number.isNaN(scores[b]) ? 1 : 0;
    return nanA - nanB || a - b;
  });
  return idx.slice(0, want).map((i) => ({ index: i, score: scores[i] }));
}
