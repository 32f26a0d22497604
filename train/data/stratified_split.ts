import { Rng } from "../../shared/rng.ts";
import { deriveSeed } from "./derive_seed.ts";

/**
 * Splits item indices into train and val so that every class keeps (about) `valFraction` of its
 * items in val. Seeded: the same labels, fraction and seed always give the same split. Classes
 * with at least two items keep at least one item on each side; a single item stays in train. Both lists keep input order.
 */
export function stratifiedSplit(
  labels: readonly number[],
  valFraction: number,
  seed: number,
): { train: number[]; val: number[] } {
  if (!(valFraction >= 0 && valFraction < 1)) {
    throw new RangeError(`valFraction must be in [0, 1), got ${valFraction}`);
  }
  const byClass = new Map<number, number[]>();
  labels.forEach((label, i) => {
    const list = byClass.get(label);
    if (list) list.push(i);
    else byClass.set(label, [i]);
  });
  const isVal = new Uint8Array(labels.length);
  for (const [label, items] of byClass) {
    // A lone item stays in train: a class must be learnable before it can be validated.
    let nVal = items.length < 2 ? 0 : Math.round(items.length * valFraction);
    if (valFraction > 0 && items.length >= 2) nVal = Math.min(Math.max(nVal, 1), items.length - 1);
    // One stream per class, so adding files to one class does not reshuffle the others.
    const picked = new Rng(deriveSeed(seed, label, 0x5e1)).shuffle(items).slice(0, nVal);
    for (const i of picked) isVal[i] = 1;
  }
  const train: number[] = [];
  const val: number[] = [];
  for (let i = 0; i < labels.length; i++) (isVal[i] ? val : train).push(i);
  return { train, val };
}
