import { Rng } from "../../shared/rng.ts";
import { balancedIndices } from "./balanced_sampler.ts";
import { deriveSeed } from "./derive_seed.ts";

/** How a loader walks its samples each epoch. */
export type SamplerKind = "sequential" | "shuffle" | "balanced";

/**
 * The sample indices visited in `epoch`: in order, a permutation, or a class-balanced draw with
 * replacement of the same length. Depends only on (labels, kind, seed, epoch), so a resumed
 * run at epoch e sees exactly the order the original run saw.
 */
export function epochOrder(
  labels: readonly number[],
  kind: SamplerKind,
  seed: number,
  epoch: number,
): number[] {
  if (!Number.isInteger(epoch) || epoch < 0) {
    throw new RangeError(`epoch must be a non-negative integer, got ${epoch}`);
  }
  const identity = labels.map((_, i) => i);
  switch (kind) {
    case "sequential":
      return identity;
    case "shuffle":
      return new Rng(deriveSeed(seed, epoch, 0x5f1e)).shuffle(identity);
    case "balanced":
      return balancedIndices(labels, labels.length, new Rng(deriveSeed(seed, epoch, 0xba1)));
  }
  throw new RangeError(`sampler must be sequential, shuffle or balanced, got '${kind}'`);
}
