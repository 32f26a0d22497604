/** Throws an `Error` with `message` when `cond` is false. For invariants, not for user input. */
export function assert(cond: unknown, message: string): asserts cond {
  if (!cond) throw new Error(`invariant failed: ${message}`);
}
