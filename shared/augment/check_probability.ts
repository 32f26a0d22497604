/** Throws a `RangeError` unless `p` is a probability in [0, 1]. */
export function checkProbability(p: number, name = "p"): void {
  if (!(p >= 0 && p <= 1)) throw new RangeError(`${name} must be in [0, 1], got ${p}`);
}
