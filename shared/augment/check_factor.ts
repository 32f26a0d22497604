/** Throws a `RangeError` unless `factor` is a finite number >= 0 (`name` says which). */
export function checkFactor(factor: number, name: string): void {
  if (!Number.isFinite(factor) || factor < 0) {
    throw new RangeError(`${name} must be a finite number >= 0, got ${factor}`);
  }
}
