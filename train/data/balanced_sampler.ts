import type { Rng } from "../../shared/rng.ts";

/**
 * Draws `count` sample indices with replacement so that every class present is equally likely
 * (first a class uniformly, then a sample of it uniformly). Same distribution as PyTorch's
 * `WeightedRandomSampler(1 / n[label], count, replacement=True)`; rare classes repeat.
 */
export function balancedIndices(labels: readonly number[], count: number, rng: Rng): number[] {
  const byClass = new Map<number, number[]>();
  labels.forEach((label, i) => {
    const list = byClass.get(label);
    if (list) list.push(i);
    else byClass.set(label, [i]);
  });
  // Sorted by label so the draw does not depend on the order samples were listed in.
  const groups = [...byClass.entries()].sort((a, b) => a[0] - b[0]).map(([, v]) => v);
  if (groups.length === 0) return [];
  const out = new Array<number>(count);
  for (let k = 0; k < count; k++) {
    const group = groups[Math.floor(rng.next() * groups.length)];
    out[k] = group[Math.floor(rng.next() * group.length)];
  }
  return out;
}
